/**
 * npm start: runs the app locally. Starts Azurite (data in .azurite/, the default
 * development ports), publishes the sample models if absent, then runs
 * `func start --enableAuth`: without that flag Core Tools checks no keys at all and treats
 * every caller as admin. Without Azure Functions Core Tools it serves the app with the
 * bundled local host, which always checks keys.
 *
 * Stopping it (SIGTERM, SIGINT or SIGHUP to this process, or to the npm process that
 * started it) stops the host, which stops its R workers, then Azurite, then exits. npm
 * forwards SIGTERM and SIGINT only to the shell running the script, and that shell (dash)
 * dies of it without passing it on, so this process also stops when its parent goes.
 * The host runs in a process group of its own, with its R workers: once the host has
 * exited, or after HOST_GRACE_MS, the whole group is killed, so no worker outlives it.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { developmentStorage } from '../functions/config.js';
import { appRoot } from '../functions/paths.js';
import { ModelStore } from '../functions/storage/modelStore.js';
import { portOpen, startAzurite, type Azurite } from './azurite.js';
import { publishSamples } from './samples.js';

const HOST_PORT = 7071;

/** The key options given to `npm start --`, passed on to the local host. */
function keyArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) if (args[i] === '--master-key' || args[i] === '--function-key') out.push(args[i] as string, args[++i] ?? '');
  return out;
}
const AZURITE_PORTS = { blobPort: 10000, queuePort: 10001, tablePort: 10002 };
/** The host's time to stop (the local test host gives its app 5 s), then its process group is killed. */
const HOST_GRACE_MS = 6000;
/** Azurite's time to stop after the host, then it is killed. */
const AZURITE_GRACE_MS = 1500;
/** Past this, whatever is still running is killed and this process exits. */
const HARD_DEADLINE_MS = 8000;

let azuriteStart: Promise<Azurite> | undefined;
let azurite: Azurite | undefined;
let host: ResultPromise | undefined;
let stopping: Promise<void> | undefined;

/** Signals a process group, ignoring one that is already gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

/** Stops the host, then Azurite, then exits with `code`; a second call waits for the first. */
function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    const deadline = setTimeout(() => {
      console.error(`npm start: not stopped within ${HARD_DEADLINE_MS / 1000} s; killing what is left`);
      killGroup(host?.pid, 'SIGKILL');
      killGroup(azurite?.pid, 'SIGKILL');
      process.exit(code || 1);
    }, HARD_DEADLINE_MS);
    if (host) {
      const h = host;
      if (h.exitCode === null && h.signalCode === null) h.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(h.pid, 'SIGKILL'), HOST_GRACE_MS);
      await h;
      clearTimeout(timer);
      // R workers the host did not stop (it was killed, or crashed) are still in its group.
      killGroup(h.pid, 'SIGKILL');
    }
    // Stopped while Azurite was starting: let it start, then stop it.
    await (azurite ?? (await azuriteStart?.catch(() => undefined)))?.stop(AZURITE_GRACE_MS);
    clearTimeout(deadline);
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(0));
}
// When npm is sent SIGTERM, the shell between it and this process dies and this process is
// re-parented without receiving any signal.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown(0);
}, 250).unref();

try {
  for (const port of [AZURITE_PORTS.blobPort, AZURITE_PORTS.queuePort, AZURITE_PORTS.tablePort, HOST_PORT]) {
    if (await portOpen(port)) throw new Error(`port ${port} is in use: is another \`npm start\`, Azurite or \`func start\` running? Stop it first.`);
  }
  azuriteStart = startAzurite({ location: join(appRoot, '.azurite'), ...AZURITE_PORTS, detached: true });
  azurite = await azuriteStart;
  const published = await publishSamples(ModelStore.fromConnectionString(developmentStorage, 'models'));
  console.log(published.length ? `published sample models: ${published.join(', ')}` : 'sample models already published');

  const settings = join(appRoot, 'local.settings.json');
  if (!existsSync(settings)) await copyFile(join(appRoot, 'local.settings.sample.json'), settings);

  if (!stopping) {
    const func = join(appRoot, 'node_modules', '.bin', 'func');
    // Locally, R's error messages are shown in answers (plumber's debug mode); deployed, only logged.
    const env = { DEFAULT_MODEL: 'boston-rf', SHOW_R_ERRORS: 'true', ...process.env };
    // A process group of its own (detached) holds the host and every R worker it starts.
    const options = { stdio: ['ignore', 'inherit', 'inherit'], reject: false, env, detached: true, forceKillAfterDelay: false } as const;
    if (existsSync(func)) {
      console.log(`once func is up: API reference http://localhost:${HOST_PORT}/api/docs (Authorize with a function key), console http://localhost:${HOST_PORT}/api/console`);
      host = execa(func, ['start', '--enableAuth', '--port', String(HOST_PORT)], options);
    } else {
      console.log('Azure Functions Core Tools (func) is not installed: serving with the local host instead.');
      // `npm start -- --master-key <key>` (or --function-key) fixes a key instead of a random one.
      host = execa('node', [join(appRoot, 'dist', 'test', 'host', 'cli.js'), '--port', String(HOST_PORT), '--use-storage', developmentStorage, ...keyArgs(process.argv.slice(2))], options);
    }
    const result = await host;
    // The host stopped by itself (a failure to start, or a crash): stop the rest.
    if (!stopping) console.error(`npm start: the host exited (${result.signal ?? `code ${result.exitCode}`}); stopping Azurite`);
    await shutdown(result.exitCode ?? 1);
  }
} catch (err) {
  console.error(`npm start: ${(err as Error).message}`);
  await shutdown(1);
}
