import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { heldModel, type Held } from '../helpers/held.js';
import { rWorkerPids, workerPattern } from '../helpers/processes.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * The cap on R processes per instance (R_MAX_PROCESSES), with real R: waking one version
 * after another never runs more than the cap; a version past it stops the least recently
 * used idle version first; with every process busy it is refused with 503 and Retry-After,
 * and is served once one is idle again. Busy means a call held by the test
 * (test/fixtures/held-score.R), for as long as it needs.
 */
let stack: Stack;
let held: Held;
const car = { wt: 3, hp: 110, cyl: 6 };
const lm = join(sampleModelsDir, 'mtcars-lm');
const houses = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };

beforeAll(async () => {
  held = await heldModel();
  // boston-rf (the default model) preloads: one of the two processes.
  stack = await startStack({ R_WORKERS: '1', R_MAX_PROCESSES: '2', ...held.env });
  // Two models, not two versions of one: a model's versions share its R_WORKERS calls at once.
  for (const name of ['held-a', 'held-b']) await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: held.fixture, name, version: '1' });
}, 120_000);

afterAll(async () => {
  await held?.release();
  await stack?.close();
});

type Loaded = { models: { name: string; version: string; workers: number; state: string }[] };
const loaded = async () => ((await (await stack.call('/api/health/models')).json()) as Loaded).models.map((m) => `${m.name}/${m.version}`).sort();
const processes = async () => (await rWorkerPids(workerPattern(stack.modelCacheDir))).length;
const score = (path: string, row: Record<string, number>) => stack.post(path, { data: [row] });

describe('R processes per instance (R_MAX_PROCESSES)', () => {
  it('stops the least recently used idle version to start another, refuses with 503 and Retry-After while all are busy, and serves once one is idle', async () => {
    await waitFor(async () => (await loaded()).includes('boston-rf/1'), { timeoutMs: 60_000, what: 'the default model to preload' });
    expect((await score('/api/models/held-a/score', car)).status).toBe(200);
    expect(await loaded()).toEqual(['boston-rf/1', 'held-a/1']);
    // A third version: boston-rf, idle since it preloaded, stops (its process ends first).
    expect((await score('/api/models/held-b/score', car)).status).toBe(200);
    expect(await loaded()).toEqual(['held-a/1', 'held-b/1']);
    await waitFor(async () => (await processes()) === 2, { what: 'two R processes left', last: async () => `${await processes()} running` });

    // Both busy with a call each: nothing to stop, no process free.
    await held.hold();
    const busy = [score('/api/models/held-a/score', car), score('/api/models/held-b/score', car)];
    await held.waitHeld(2);
    const refused = await score('/api/models/boston-rf/score', houses);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem.code).toBe('overloaded');
    expect(problem.detail).toContain('R_MAX_PROCESSES=2');
    expect(await processes()).toBe(2);

    await held.release();
    for (const res of await Promise.all(busy)) expect(res.status).toBe(200);
    // Idle again: boston-rf starts in the place of the least recently used one.
    const served = await score('/api/models/boston-rf/score', houses);
    expect(served.status).toBe(200);
    expect((await loaded()).length).toBe(2);
    expect(await loaded()).toContain('boston-rf/1');
    await waitFor(async () => (await processes()) <= 2, { what: 'at most two R processes', last: async () => `${await processes()} running` });
  }, 180_000);
});
