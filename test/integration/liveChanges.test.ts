import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDir, sampleModelsDir } from '../../scripts/samples.js';
import { listening, rWorkerPids, workerPattern } from '../helpers/processes.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { startTraffic, until } from '../helpers/traffic.js';
import { waitFor } from '../helpers/waitFor.js';

const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };

let stack: Stack;

beforeAll(async () => {
  // These workers are plumber over loopback HTTP (R_TRANSPORT=http); the other suites use pipes.
  stack = await startStack({ MODEL_REFRESH_MS: '200', MODEL_IDLE_MS: '1000', R_TRANSPORT: 'http' });
  await publishDir(stack.store, join(sampleModelsDir, 'boston-rf'), 'housing', '1', ['production']);
});

afterAll(async () => {
  await stack?.close();
});

/** The versions of a model whose workers are running, as /api/health/models lists them. */
async function loadedVersions(name: string): Promise<string[]> {
  const ready = (await (await stack.call('/api/health/models')).json()) as { models: { name: string; version: string }[] };
  return ready.models.filter((m) => m.name === name).map((m) => m.version);
}

describe('models changing under traffic', () => {
  it('moves to a newly published version without dropping a request, and stops the old one', async () => {
    const send = () => stack.post('/api/models/housing/score', { data: [row] });
    expect((await send()).status).toBe(200);
    const traffic = startTraffic(send, 4);
    await until(() => traffic.sent() > 20, 30_000, 'traffic on version 1');
    // Version 2 is a different model with the same inputs: its answers tell the versions apart.
    await publishDir(stack.store, join(sampleModelsDir, 'boston-glmnet'), 'housing', '2', ['production']);
    await until(() => traffic.seen().versions.includes('2'), 30_000, 'answers from version 2');
    const switched = traffic.sent();
    await until(() => traffic.sent() > switched + 40, 30_000, 'traffic on version 2');
    const result = await traffic.stop();

    expect(result.errors).toEqual([]);
    expect(result.statuses.every((s) => s === 200)).toBe(true);
    const firstTwo = result.versions.indexOf('2');
    expect(firstTwo).toBeGreaterThan(0);
    // Once requests reached version 2, only the few already in flight finished on version 1.
    expect(result.versions.slice(firstTwo + 8).every((v) => v === '2')).toBe(true);
    expect(new Set(result.predictions.slice(0, 5)).size).toBe(1);
    expect(result.predictions.at(-1)).not.toEqual(result.predictions[0]);
    await until(async () => !(await loadedVersions('housing')).includes('1'), 30_000, 'version 1 to stop when idle');
  });

  it('has its plumber workers listen on 127.0.0.1 only', async () => {
    // This app's workers (other test runs on the machine have theirs), once each listens.
    const pids = await rWorkerPids(workerPattern(stack.modelCacheDir, { script: 'main' }));
    expect(pids.length).toBeGreaterThan(0);
    let checked = 0;
    for (const pid of pids) {
      let sockets: string[] = [];
      // A worker of a version being stopped may exit meanwhile: it listens nowhere any more.
      const gone = () => !existsSync(`/proc/${pid}`);
      await waitFor(async () => gone() || (sockets = await listening(pid).catch(() => [])).length > 0, { what: `R worker ${pid} to listen` });
      if (gone()) continue;
      checked++;
      expect(sockets.every((s) => s.startsWith('127.0.0.1:')), sockets.join(', ')).toBe(true);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('loses no request when an R worker is killed mid-traffic', async () => {
    const send = () => stack.post('/api/score', { data: [row] });
    expect((await send()).status).toBe(200);
    const traffic = startTraffic(send, 4);
    const killed = new Set<number>();
    for (let kill = 0; kill < 5; kill++) {
      await until(() => traffic.sent() > (kill + 1) * 30, 30_000, 'traffic');
      let pid: number | undefined;
      await until(async () => {
        // This app's boston-rf workers only: other test runs on the machine have theirs.
        pid = (await rWorkerPids(workerPattern(stack.modelCacheDir, { name: 'boston-rf' }))).find((p) => !killed.has(p));
        return pid !== undefined;
      }, 30_000, 'a live worker to kill');
      killed.add(pid as number);
      process.kill(pid as number, 'SIGKILL');
    }
    await until(() => traffic.sent() > 200, 30_000, 'traffic after the kills');
    const result = await traffic.stop();
    expect(result.errors).toEqual([]);
    const ready = (await (await stack.call('/api/health/models')).json()) as { models: { name: string; readyWorkers: number; restarts: number }[] };
    const boston = ready.models.find((m) => m.name === 'boston-rf');
    expect(boston?.restarts).toBeGreaterThanOrEqual(5);
    await until(async () => {
      const r = (await (await stack.call('/api/health/models')).json()) as { models: { name: string; readyWorkers: number }[] };
      return r.models.find((m) => m.name === 'boston-rf')?.readyWorkers === 2;
    }, 60_000, 'the pool back to full size');
  }, 120_000);
});
