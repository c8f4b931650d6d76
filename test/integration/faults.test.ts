import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { rWorkerPids } from '../helpers/processes.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { startTraffic, until } from '../helpers/traffic.js';

/** The short versions of npm run reliability's faults, with the default (stdin/stdout) workers. */
let stack: Stack;
const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };

beforeAll(async () => {
  stack = await startStack({ R_WORKERS: '2', SCORE_TIMEOUT_MS: '10000' });
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures/sleepy-score.R'), name: 'sleepy', version: '1' });
});

afterAll(async () => {
  await stack?.close();
});

interface Ready {
  status: string;
  models: { name: string; readyWorkers: number; workers: number; state: string; restarts: number }[];
}
const ready = async () => (await (await stack.call('/api/health/ready')).json()) as Ready;

describe('faults', () => {
  it('survives 20 R worker kills under load: no request fails, readiness degrades, the pool refills', async () => {
    const traffic = startTraffic(() => stack.post('/api/score', { data: [row] }), 8);
    const killed = new Set<number>();
    let sawDegraded = false;
    for (let i = 0; i < 20; i++) {
      await until(() => traffic.sent() > i * 20, 30_000, 'traffic');
      let pid: number | undefined;
      await until(async () => {
        pid = (await rWorkerPids('worker.R.*--model .*boston-rf')).find((p) => !killed.has(p));
        return pid !== undefined;
      }, 30_000, 'a live worker');
      killed.add(pid as number);
      process.kill(pid as number, 'SIGKILL');
      if ((await ready()).status === 'degraded') sawDegraded = true;
    }
    const result = await traffic.stop();
    // A request can fail only as a clean 503 with Retry-After, when its retry dies too.
    expect(result.errors.filter((e) => !e.startsWith('503 worker_failed'))).toEqual([]);
    expect(result.statuses.filter((s) => s === 200).length).toBeGreaterThan(300);
    expect(sawDegraded).toBe(true);
    await until(async () => {
      const boston = (await ready()).models.find((m) => m.name === 'boston-rf');
      return boston?.readyWorkers === boston?.workers && boston?.state === 'ready';
    }, 30_000, 'the pool back to full size');
    expect((await ready()).models.find((m) => m.name === 'boston-rf')?.restarts).toBeGreaterThanOrEqual(20);
  });

  it('sheds a burst: 503 with Retry-After past the model\'s queue, 429 past the host\'s limit, and serves normally after', async () => {
    // A model that takes half a second a call keeps the burst outstanding.
    expect((await stack.post('/api/models/sleepy/score', { data: { wt: 3, hp: 100, cyl: 4 } })).status).toBe(200);
    const burst = await Promise.all(
      Array.from({ length: 700 }, () =>
        stack.post('/api/models/sleepy/score', { data: { wt: 3, hp: 100, cyl: 4 } }).then(async (r) => {
          await r.arrayBuffer();
          return { status: r.status, retryAfter: r.headers.get('retry-after') };
        }, () => ({ status: 0, retryAfter: null })),
      ),
    );
    const count = (status: number) => burst.filter((b) => b.status === status).length;
    // How many the host refuses (429) and how many the model's queue refuses (503) depends
    // on how fast the burst arrives; together they must shed the surplus.
    expect(count(429) + count(503)).toBeGreaterThan(0);
    expect(burst.filter((b) => b.status === 503).every((b) => Number(b.retryAfter) >= 1)).toBe(true);
    expect(count(200)).toBeGreaterThan(0);
    expect(count(200) + count(429) + count(503)).toBe(700);
    const after = await stack.post('/api/score', { data: [row] });
    expect(after.status).toBe(200);
  });
});
