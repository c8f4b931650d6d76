import { ModelStore } from '../../functions/storage/modelStore.js';
import { publishSamples } from '../../scripts/samples.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { startTestHost, type TestHost } from '../host/testHost.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Real Azurite, the sample models published, and the app served by the test host. */
export interface Stack {
  azurite: Azurite;
  host: TestHost;
  store: ModelStore;
  /** Where this app keeps its models (its R workers' --model paths start here: see workerPattern()). */
  modelCacheDir: string;
  /** fetch against the host, with the function key unless `key: null`. */
  call(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  post(path: string, body: unknown, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export async function startStack(settings: Record<string, string> = {}): Promise<Stack> {
  const azurite = await startAzurite();
  const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  const modelCacheDir = settings.MODEL_CACHE_DIR ?? (await mkdtemp(join(tmpdir(), 'model-cache-')));
  const host = await startTestHost({
    settings: {
      AzureWebJobsStorage: azurite.connectionString,
      DEFAULT_MODEL: 'boston-rf',
      R_WORKERS: '2',
      ...settings,
      MODEL_CACHE_DIR: modelCacheDir,
    },
  });
  const call = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const { key, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key !== null) headers.set('x-functions-key', key ?? host.functionKey);
    return fetch(`${host.url}${path}`, { ...rest, headers });
  };
  return {
    azurite,
    host,
    store,
    modelCacheDir,
    call,
    post: (path, body, init = {}) =>
      call(path, {
        method: 'POST',
        ...init,
        headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: async () => {
      await host.close();
      await azurite.stop();
    },
  };
}
