// The Functions app's entry: importing each function file registers it with the host.
import './http/healthLive.js';
