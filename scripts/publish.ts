// Publishing lives with the app (the admin route uses it too); the CLI and the tests import it from here.
export * from '../functions/models/publish.js';
