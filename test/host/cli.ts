/**
 * npm run test-host -- [--port 7071] [--azurite-dir .azurite] [--function-key k] [--master-key k]
 * Starts Azurite, publishes the sample models if absent, and serves the app as the
 * Functions host would, printing the function key and the master key. SIGTERM or SIGINT
 * stops it as the host stops: the appTerminate hooks get the worker's 5 s grace period, then
 * Azurite (if it was started here) stops and the process exits.
 */
import { Command } from 'commander';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';
import { ModelStore } from '../../functions/storage/modelStore.js';
import { publishSamples } from '../../scripts/samples.js';
import { startAzurite } from '../../scripts/azurite.js';
import { startTestHost } from './testHost.js';

const opts = new Command()
  .name('test-host')
  .option('--port <n>', 'port to serve on', '7071')
  .option('--azurite-dir <dir>', 'where Azurite keeps its data', join(appRoot, '.azurite'))
  .option('--default-model <name>', 'the model POST /api/score uses', 'boston-rf')
  .option('--function-key <key>', 'the function key (random by default)')
  .option('--master-key <key>', 'the master key, which alone opens admin routes (random by default)')
  .option('--use-storage <connection>', 'use this storage account rather than starting Azurite')
  .parse()
  .opts<{ port: string; azuriteDir: string; defaultModel: string; functionKey?: string; masterKey?: string; useStorage?: string }>();

const azurite = opts.useStorage ? undefined : await startAzurite({ location: opts.azuriteDir });
const connection = opts.useStorage ?? (azurite as { connectionString: string }).connectionString;
const store = ModelStore.fromConnectionString(connection, 'models');
const published = await publishSamples(store);
if (published.length) console.log(`published sample models: ${published.join(', ')}`);

const host = await startTestHost({
  port: Number(opts.port),
  functionKey: opts.functionKey,
  masterKey: opts.masterKey,
  settings: { AzureWebJobsStorage: connection, DEFAULT_MODEL: opts.defaultModel, ...pick(process.env) },
});
// The master key is printed for local use only: it opens every route, admin ones included.
console.log(`serving ${host.url}/api  (function key: ${host.functionKey})  (master key: ${host.masterKey}; local only)`);
console.log(`API reference: ${host.url}/api/docs  (Authorize with the function key)  console: ${host.url}/api/console`);
console.log(`try: curl -s -X POST "${host.url}/api/score?code=${host.functionKey}" -H 'content-type: application/json' \\
  -d '{"data":[{"crim":0.00632,"zn":18,"indus":2.31,"chas":0,"nox":0.538,"rm":6.575,"age":65.2,"dis":4.09,"rad":1,"tax":296,"ptratio":15.3,"black":396.9,"lstat":4.98}]}'`);

// As the host shuts down: the worker's appTerminate hooks get WorkerTerminateGracePeriodInSeconds
// (5 s; host.close() resolves after at most that), then the worker exits with 0
// (azure-functions-nodejs-worker src/eventHandlers/terminateWorker.ts). A second signal exits at once.
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log(`${signal}: stopping`);
  try {
    await host.close();
    await azurite?.stop();
  } catch (err) {
    console.error(`stopping failed: ${(err as Error).message}`);
    process.exit(1);
  }
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

/** App settings given in the environment (R_WORKERS, SCORE_TIMEOUT_MS, FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, ...) pass through. */
function pick(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => /^(R_|SCORE_|MICRO_|MAX_|MODEL_|PRELOAD_|FUNCTIONS_REQUEST_BODY_SIZE_LIMIT$)/.test(e[0]) && e[1] !== undefined));
}
