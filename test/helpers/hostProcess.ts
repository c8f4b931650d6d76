import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';
import { waitFor } from './waitFor.js';

/** The app served by the test host in a process of its own, as one instance of a scaled-out app. */
export interface HostProcess {
  url: string;
  key: string;
  child: ResultPromise;
  /** Where it keeps its models (its R workers' --model paths start here: see workerPattern()). */
  modelCacheDir: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  call(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts `npm run test-host`'s program on `connection` (samples must be published already)
 * with a disk of its own, and waits until it serves (and, unless `waitReady` is false, until
 * a model is ready).
 */
export async function startHostProcess(connection: string, env: Record<string, string> = {}, waitReady = true): Promise<HostProcess> {
  const port = await getPort({ host: '127.0.0.1' });
  const key = `key-${port}`;
  const modelCacheDir = env.MODEL_CACHE_DIR ?? (await mkdtemp(join(tmpdir(), 'instance-')));
  // The host takes the default model from its command line (an environment's DEFAULT_MODEL would be overridden).
  const defaultModel = env.DEFAULT_MODEL ? ['--default-model', env.DEFAULT_MODEL] : [];
  const child = execa('node', [join(appRoot, 'dist/test/host/cli.js'), '--port', String(port), '--use-storage', connection, '--function-key', key, ...defaultModel], {
    reject: false,
    env: { R_WORKERS: '1', ...env, MODEL_CACHE_DIR: modelCacheDir },
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const call = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { 'x-functions-key': key, ...(init.headers as Record<string, string> | undefined) } });
  const path = waitReady ? '/api/health/ready' : '/api/health/live';
  await waitFor(async () => (await fetch(`${url}${path}`).catch(() => undefined))?.status === 200, {
    timeoutMs: 90_000,
    what: `the instance on port ${port} to answer ${path}`,
    last: () => `stderr: ${err.slice(-2000)}`,
  });
  return {
    url,
    key,
    child,
    modelCacheDir,
    stderr: () => err,
    call,
    post: (p, body, headers = {}) => call(p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}
