import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore } from '../../functions/storage/modelStore.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { publishModel } from '../../scripts/publish.js';
import { publishSamples, sampleModelsDir } from '../../scripts/samples.js';
import { heldModel, type Held } from '../helpers/held.js';
import { startHostProcess } from '../helpers/hostProcess.js';
import { rWorkerPids, workerPattern } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * The app within the host's limits: appStart runs inside the worker's initialisation (2
 * minutes, no request served meanwhile), so models preload in the background; appTerminate
 * has the host's 5 s grace period, so it stops R within it whatever R is doing. The models
 * here load, and score, for as long as the test holds them (test/fixtures/held-score.R).
 */
let azurite: Azurite;
let held: Held;
const lm = join(sampleModelsDir, 'mtcars-lm');

beforeAll(async () => {
  azurite = await startAzurite();
  held = await heldModel();
  const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  for (const name of ['slowload', 'slow']) {
    await publishModel(store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: held.fixture, name, version: '1' });
  }
});

afterAll(async () => {
  await held?.release();
  await held?.releaseLoad();
  await azurite?.stop();
});

/** What the test host says when the appTerminate hooks outlast the grace period (test/host/worker.ts). */
const OVER_GRACE = /did not finish within the \d+ ms grace period/;

describe('start and stop within the host limits', () => {
  it('serves at once while a model that is still loading preloads in the background', async () => {
    // The model's loading waits until this test lets it go: the app must serve meanwhile.
    await held.holdLoad();
    const host = await startHostProcess(azurite.connectionString, { PRELOAD_MODELS: 'slowload', DEFAULT_MODEL: 'slowload', ...held.env }, false);
    try {
      // Serving (startHostProcess waited for /api/health/live), and R is loading the model.
      await waitFor(async () => (await held.loadingPids()).length > 0, { timeoutMs: 60_000, what: 'an R worker loading the preloaded model' });
      const ready = await fetch(`${host.url}/api/health/ready`);
      expect(ready.status).toBe(503);
      expect((await fetch(`${host.url}/api/health/live`)).status).toBe(200);
      await held.releaseLoad();
      // Nobody asked for the model: it became ready because it was preloading all along.
      await waitFor(async () => (await fetch(`${host.url}/api/health/ready`)).status === 200, { timeoutMs: 60_000, what: 'the preloaded model to be ready' });
    } finally {
      await held.releaseLoad();
      await host.stop();
    }
  }, 150_000);

  it('takes requests when its default model is not published yet, and preloads it once it is', async () => {
    const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
    const host = await startHostProcess(azurite.connectionString, { DEFAULT_MODEL: 'published-later', PRELOAD_RETRY_MS: '500' }, false);
    try {
      // The first try failed (no such model): the replica is not kept out of traffic for it,
      // or nobody could reach it to publish the model.
      await waitFor(async () => (await fetch(`${host.url}/api/health/ready`)).status === 200, { timeoutMs: 60_000, what: 'readiness after the failed first preload' });
      expect(await (await fetch(`${host.url}/api/health/ready`)).json()).toEqual({ status: 'idle' });
      expect(host.stderr()).toMatch(/preloading model published-later failed, trying again/);
      await publishModel(store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), name: 'published-later', version: '1' });
      // Nobody asks for it: the retry starts its workers.
      await waitFor(
        async () => {
          const body = (await (await host.call('/api/health/models')).json()) as { status: string; models: { name: string; readyWorkers: number }[] };
          return body.status === 'ready' && body.models.some((m) => m.name === 'published-later' && m.readyWorkers > 0);
        },
        { timeoutMs: 60_000, what: 'the default model, published after the start, to be preloaded' },
      );
    } finally {
      await host.stop();
    }
  }, 150_000);

  it('stops within the 5 s grace period, R workers and all, while R is busy', async () => {
    const host = await startHostProcess(azurite.connectionString, { PRELOAD_MODELS: 'slow', DEFAULT_MODEL: 'slow', R_WORKERS: '2', ...held.env });
    const pattern = workerPattern(host.modelCacheDir, { name: 'slow', version: '1', script: 'worker' });
    let workers: number[] = [];
    try {
      // Both workers up (a worker's warm-up call at load would be held too), then R kept busy with a call.
      const readyWorkers = async () => ((await (await host.call('/api/health/models')).json()) as { models: { name: string; readyWorkers: number }[] }).models.find((m) => m.name === 'slow')?.readyWorkers;
      await waitFor(async () => (await readyWorkers()) === 2, { timeoutMs: 60_000, what: 'both R workers ready' });
      workers = await rWorkerPids(pattern);
      expect(workers).toHaveLength(2);
      await held.hold();
      const busy = host.post('/api/score', { data: [{ wt: 3, hp: 110, cyl: 6 }] }).catch(() => undefined);
      await held.waitHeld(1);
      await host.stop();
      await busy;
    } finally {
      await held.release();
      await host.stop();
    }
    // The host's own verdict (it times the appTerminate hooks as the real host does, which
    // kills the worker process past the grace period): they finished within it.
    expect(host.stderr()).not.toMatch(OVER_GRACE);
    const alive = workers.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 150_000);
});
