/**
 * npm start: runs the app locally. Starts Azurite (data in .azurite/, the default
 * development ports), publishes the sample models if absent, then runs `func start`.
 * Without Azure Functions Core Tools it serves the app with the bundled local host.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { developmentStorage } from '../functions/config.js';
import { appRoot } from '../functions/paths.js';
import { ModelStore } from '../functions/storage/modelStore.js';
import { startAzurite } from './azurite.js';
import { publishSamples } from './samples.js';

const azurite = await startAzurite({ location: join(appRoot, '.azurite'), blobPort: 10000, queuePort: 10001, tablePort: 10002 });
const published = await publishSamples(ModelStore.fromConnectionString(developmentStorage, 'models'));
console.log(published.length ? `published sample models: ${published.join(', ')}` : 'sample models already published');

const settings = join(appRoot, 'local.settings.json');
if (!existsSync(settings)) await copyFile(join(appRoot, 'local.settings.sample.json'), settings);

const func = join(appRoot, 'node_modules', '.bin', 'func');
// Locally, R's error messages are shown in answers (plumber's debug mode); deployed, only logged.
const env = { DEFAULT_MODEL: 'boston-rf', SHOW_R_ERRORS: 'true', ...process.env };
const child = existsSync(func)
  ? execa(func, ['start'], { stdio: 'inherit', reject: false, env })
  : (console.log('Azure Functions Core Tools (func) is not installed: serving with the local host instead.'),
    execa('node', [join(appRoot, 'dist', 'test', 'host', 'cli.js'), '--port', '7071', '--use-storage', developmentStorage], { stdio: 'inherit', reject: false, env }));

const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
const result = await child;
await azurite.stop();
process.exit(result.exitCode ?? 0);
