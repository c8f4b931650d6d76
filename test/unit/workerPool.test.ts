import { describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/errors.js';
import type { ColumnBatch } from '../../functions/scoring/inputValidator.js';
import { CallBudget } from '../../functions/workers/callBudget.js';
import { WorkerPool, type PoolOptions } from '../../functions/workers/workerPool.js';
import { fakeFactory } from '../fakes/fakeWorkers.js';
import { inFakeTime } from '../helpers/fakeTime.js';
import { waitFor } from '../helpers/waitFor.js';

const options: PoolOptions = { size: 2, queueLimit: 100, timeoutMs: 1000, maxBatchRows: 1000, retryAfterSeconds: 2 };
const batch = (...x: number[]): ColumnBatch => ({ rows: x.length, type: 'response', columns: { x } });

describe('WorkerPool', () => {
  it('keeps the R calls of pools sharing a budget within it, merging what waits; background calls go outside it', async () => {
    let inFlight = 0;
    let most = 0;
    const counting = () =>
      fakeFactory({
        delayMs: 15,
        onCall: () => {
          most = Math.max(most, ++inFlight);
          setTimeout(() => inFlight--, 15);
          return undefined;
        },
      });
    const budget = new CallBudget(2);
    const a = new WorkerPool(counting().factory, { ...options, budget });
    const b = new WorkerPool(counting().factory, { ...options, budget });
    await Promise.all([a.ready(), b.ready()]);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? b : a).score(batch(i))));
    expect(answers.map((r) => r.predictions[0])).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    // Four workers, but never more than the budget's two calls at once.
    expect(most).toBe(2);
    expect(budget.inFlight).toBe(0);
    // A background call does not wait for the budget, nor take from it.
    const hold = Array.from({ length: 4 }, (_, i) => a.score(batch(i)));
    await expect(b.score(batch(7), { background: true })).resolves.toEqual({ type: 'response', predictions: [14] });
    await Promise.all(hold);
    expect(most).toBe(3);
    expect(budget.inFlight).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('merges the minor version of a split as the major one under load, and holds it no longer than maxHoldMs', async () => {
    /** 24 clients in a closed loop, every tenth request to the minor pool; its rows per call and its slowest answer. */
    const run = async (maxHoldMs: number) => {
      const budget = new CallBudget(2, { maxHoldMs });
      const major = fakeFactory({ delayMs: 10 });
      const minor = fakeFactory({ delayMs: 10 });
      const a = new WorkerPool(major.factory, { ...options, maxWaitMs: 1, budget });
      const b = new WorkerPool(minor.factory, { ...options, maxWaitMs: 1, budget });
      await Promise.all([a.ready(), b.ready()]);
      let slowest = 0;
      await Promise.all(
        Array.from({ length: 24 }, async (_, c) => {
          for (let k = 0; k < 40; k++) {
            const toMinor = (c + k) % 10 === 0;
            const started = performance.now();
            const answer = await (toMinor ? b : a).score(batch(c * 100 + k));
            expect(answer.predictions).toEqual([(c * 100 + k) * 2]);
            if (toMinor) slowest = Math.max(slowest, performance.now() - started);
          }
        }),
      );
      const rows = minor.workers.flatMap((w) => w.calls);
      await Promise.all([a.close(), b.close()]);
      return { meanRows: rows.reduce((x, y) => x + y, 0) / rows.length, slowest };
    };
    // In fake time: the waits measured are the pool's own, not a busy machine's late timers.
    const held = await inFakeTime(() => run(80));
    const unheld = await inFakeTime(() => run(0));
    // Without holding, the minor pool calls R with the one or two rows it has.
    expect(unheld.meanRows).toBeLessThan(4);
    expect(held.meanRows).toBeGreaterThan(2 * unheld.meanRows);
    // Held at most 80 ms, then behind calls of 10 ms (in fake time no late timer adds to it).
    expect(held.slowest).toBeLessThanOrEqual(80 + 2 * 10);
  });

  it('scores a request on a ready worker', async () => {
    const { factory } = fakeFactory();
    const pool = new WorkerPool(factory, options);
    await pool.ready();
    await expect(pool.score(batch(1, 2))).resolves.toEqual({ type: 'response', predictions: [2, 4] });
    await pool.close();
  });

  it('merges requests that wait while workers are busy, and splits the answers back in order', async () => {
    const { factory, workers } = fakeFactory({ delayMs: 20 });
    const pool = new WorkerPool(factory, { ...options, size: 1 });
    await pool.ready();
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => pool.score(batch(i, i + 10))));
    expect(results.map((r) => r.predictions)).toEqual([[2, 22], [4, 24], [6, 26], [8, 28], [10, 30]]);
    // The first request went alone to the idle worker; the four that waited went as one call.
    expect(workers[0]?.calls).toEqual([2, 8]);
    await pool.close();
  });

  it('does not merge requests of different prediction types', async () => {
    const { factory, workers } = fakeFactory({ delayMs: 10 });
    const pool = new WorkerPool(factory, { ...options, size: 1 });
    await pool.ready();
    await Promise.all([pool.score(batch(1)), pool.score(batch(2)), pool.score({ ...batch(3), type: 'prob' }), pool.score(batch(4))]);
    expect(workers[0]?.calls).toEqual([1, 2, 1]);
    await pool.close();
  });

  it('keeps merged calls within maxBatchRows', async () => {
    const { factory, workers } = fakeFactory({ delayMs: 10 });
    const pool = new WorkerPool(factory, { ...options, size: 1, maxBatchRows: 3 });
    await pool.ready();
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => pool.score(batch(i))));
    expect(Math.max(...(workers[0]?.calls ?? []))).toBeLessThanOrEqual(3);
    await pool.close();
  });

  it('answers each merged request on its own when R rejects the merged call', async () => {
    const { factory } = fakeFactory({
      delayMs: 5,
      onCall: (body) =>
        body.columns.x.includes(666)
          ? { status: 500, contentType: 'application/problem+json', body: '{"code":"prediction_failed"}' }
          : undefined,
    });
    const pool = new WorkerPool(factory, { ...options, size: 1 });
    await pool.ready();
    const outcomes = await Promise.allSettled([pool.score(batch(0)), pool.score(batch(1)), pool.score(batch(666)), pool.score(batch(3))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[2] as PromiseRejectedResult).reason as AppError).code).toBe('prediction_failed');
    expect((outcomes[3] as PromiseFulfilledResult<{ predictions: number[] }>).value.predictions).toEqual([6]);
    await pool.close();
  });

  it('retries a request once on another worker when its worker dies, and restarts the worker', async () => {
    let crashes = 0;
    const { factory, workers } = fakeFactory({ onCall: () => (crashes++ === 0 ? 'crash' : undefined) });
    const pool = new WorkerPool(factory, options);
    await pool.ready();
    await expect(pool.score(batch(5))).resolves.toEqual({ type: 'response', predictions: [10] });
    await waitFor(() => pool.stats().ready === 2, { what: 'the dead worker replaced', last: () => pool.stats() });
    expect(workers).toHaveLength(3);
    expect(pool.stats()).toMatchObject({ ready: 2, restarts: 1 });
    await pool.close();
  });

  it('gives a 503 with Retry-After when the retry dies too', async () => {
    const { factory } = fakeFactory({ onCall: () => 'crash' });
    const pool = new WorkerPool(factory, options);
    await pool.ready();
    const err = (await pool.score(batch(5)).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('worker_failed');
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBe(1);
    await pool.close();
  });

  it('times out a hung call with a 504 and recycles its worker', async () => {
    const { factory, workers } = fakeFactory({ onCall: (_b, w) => (w.id === 0 ? 'hang' : undefined) });
    const pool = new WorkerPool(factory, { ...options, size: 1, timeoutMs: 50 });
    await pool.ready();
    const err = (await pool.score(batch(1)).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('timeout');
    expect(err.status).toBe(504);
    expect(workers[0]?.killed).toBe(true);
    await waitFor(() => pool.stats().ready === 1 && workers.length === 2, { what: 'the recycled worker replaced', last: () => pool.stats() });
    await expect(pool.score(batch(2))).resolves.toMatchObject({ predictions: [4] });
    await pool.close();
  });

  it('refuses with 503 and Retry-After when the wait queue is full', async () => {
    const { factory } = fakeFactory({ delayMs: 50 });
    const pool = new WorkerPool(factory, { ...options, size: 1, queueLimit: 2, maxBatchRows: 1 });
    await pool.ready();
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => pool.score(batch(i))));
    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as AppError);
    expect(refused).toHaveLength(2);
    expect(refused.every((e) => e.code === 'overloaded' && e.retryAfter === 2)).toBe(true);
    await pool.close();
  });

  it('reports a model that cannot load as unavailable, without restarting forever', async () => {
    const { factory, workers } = fakeFactory({ loadFails: true });
    // In fake time, every timer the pool ever sets runs (a restart after any backoff
    // included): a pool that restarted forever would never run out of them.
    const pool = await inFakeTime(async () => {
      const pool = new WorkerPool(factory, options);
      await expect(pool.ready()).rejects.toThrow('failed to load');
      const err = (await pool.score(batch(1)).catch((e: unknown) => e)) as AppError;
      expect(err.code).toBe('model_unavailable');
      return pool;
    });
    expect(workers).toHaveLength(2);
    expect(workers.every((w) => w.killed)).toBe(true);
    expect(pool.stats().state).toBe('failed');
    await pool.close();
  });

  it('answers waiting requests with 503 when closed', async () => {
    const { factory } = fakeFactory({ delayMs: 30 });
    const pool = new WorkerPool(factory, { ...options, size: 1, maxBatchRows: 1 });
    await pool.ready();
    const first = pool.score(batch(1));
    const waiting = pool.score(batch(2)).catch((e: unknown) => e);
    await pool.close();
    expect(await waiting).toMatchObject({ code: 'model_unavailable' });
    await first.catch(() => undefined);
    expect(pool.stats().state).toBe('closed');
  });

  it('adds no wait at one client: an idle pool calls R at once', async () => {
    const { factory, workers } = fakeFactory({ delayMs: 1 });
    // In fake time: what is measured is the pool's wait alone (R's 1 ms), not a busy machine's.
    const took = await inFakeTime(async () => {
      const pool = new WorkerPool(factory, { ...options, size: 1, maxWaitMs: 200 });
      await pool.ready();
      const started = performance.now();
      await pool.score(batch(1));
      const took = performance.now() - started;
      await pool.close();
      return took;
    });
    expect(took).toBeLessThan(200);
    expect(workers[0]?.calls).toEqual([1]);
  });

  it('under load, waits briefly so that requests arriving one by one share an R call', async () => {
    const { factory, workers } = fakeFactory({ delayMs: 30 });
    // In fake time, "5 ms apart" is exactly that, whatever else the machine does.
    const pool = await inFakeTime(async () => {
      const pool = new WorkerPool(factory, { ...options, size: 2, maxWaitMs: 20 });
      await pool.ready();
      const first = pool.score(batch(0));
      // Worker 1 is idle, but a call is in flight: requests trickling in 5 ms apart merge.
      const later: Promise<unknown>[] = [];
      for (let i = 1; i <= 3; i++) {
        await new Promise((r) => setTimeout(r, 5));
        later.push(pool.score(batch(i)));
      }
      await Promise.all([first, ...later]);
      return pool;
    });
    expect(workers[0]?.calls).toEqual([1]);
    expect(workers[1]?.calls).toEqual([3]);
    expect(pool.callStats).toEqual({ calls: 2, rows: 4 });
    await pool.close();
  });

  it('never merges when maxBatchRows is 1 (micro-batching off for a model)', async () => {
    const { factory, workers } = fakeFactory({ delayMs: 10 });
    const pool = new WorkerPool(factory, { ...options, size: 1, maxBatchRows: 1, maxWaitMs: 20 });
    await pool.ready();
    await Promise.all([1, 2, 3].map((i) => pool.score(batch(i))));
    expect(workers[0]?.calls).toEqual([1, 1, 1]);
    await pool.close();
  });
});
