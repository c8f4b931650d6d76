import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { ModelStore } from '../../functions/storage/modelStore.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { publishModel } from '../../scripts/publish.js';
import { publishSamples, sampleModelsDir } from '../../scripts/samples.js';
import { startHostProcess } from '../helpers/hostProcess.js';
import { rWorkerPids } from '../helpers/processes.js';
import { until } from '../helpers/traffic.js';

/**
 * The app within the host's limits: appStart runs inside the worker's initialisation (2
 * minutes, no request served meanwhile), so models preload in the background; appTerminate
 * has the host's 5 s grace period, so it stops R within it whatever R is doing.
 */
let azurite: Azurite;
const lm = join(sampleModelsDir, 'mtcars-lm');

beforeAll(async () => {
  azurite = await startAzurite();
  const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  for (const [name, score] of [['slowload', 'slow-load-score.R'], ['slow', 'slow-score.R']]) {
    await publishModel(store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures', score as string), name: name as string, version: '1' });
  }
});

afterAll(async () => {
  await azurite?.stop();
});

describe('start and stop within the host limits', () => {
  it('serves at once while a model that takes 15 s to load preloads in the background', async () => {
    const started = Date.now();
    const host = await startHostProcess(azurite.connectionString, { PRELOAD_MODELS: 'slowload', DEFAULT_MODEL: 'slowload' }, false);
    try {
      expect(Date.now() - started).toBeLessThan(12_000);
      const ready = await fetch(`${host.url}/api/health/ready`);
      expect(ready.status).toBe(503);
      // Nobody asked for the model: it became ready because it was preloading all along.
      await until(async () => (await fetch(`${host.url}/api/health/ready`)).status === 200, 60_000, 'the preloaded model');
    } finally {
      await host.stop();
    }
  });

  it('stops within the 5 s grace period, R workers and all, while R is busy', async () => {
    const host = await startHostProcess(azurite.connectionString, { PRELOAD_MODELS: 'slow', DEFAULT_MODEL: 'slow', R_WORKERS: '2' });
    const busy = host.post('/api/score', { data: [{ wt: 999, hp: 110, cyl: 6 }] }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const workers = await rWorkerPids('worker[.]R.*--model [^ ]+/slow/1-');
    expect(workers.length).toBeGreaterThan(0);
    const stopping = Date.now();
    await host.stop();
    expect(Date.now() - stopping).toBeLessThan(5000);
    await busy;
    const alive = workers.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});
