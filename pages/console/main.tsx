/** The console's entry: renders the app into #app (index.html has no inline script or style). */
import { render } from 'preact';
import { App } from './App';

const root = document.getElementById('app');
if (root) render(<App />, root);
