import { vi } from 'vitest';

/** Everything a pool, a budget or a fake worker reads time from or waits with. */
const FAKED = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date', 'performance'] as const;

/**
 * Runs `body` in fake time, running every timer it sets (and the timers those set) until it
 * has finished, then every timer it left: waits and latencies measured inside are the code's
 * own, exactly, however busy the machine is. `body` must wait on nothing but timers and
 * promises (no I/O); if it would wait for ever, this throws instead.
 */
export async function inFakeTime<T>(body: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: [...FAKED] });
  try {
    let settled = false;
    const result = body().finally(() => {
      settled = true;
    });
    result.catch(() => undefined);
    for (let round = 0; !settled; round++) {
      if (round >= 100) throw new Error('the code under test never finished in fake time: it waits for something no timer brings');
      await vi.runAllTimersAsync();
    }
    await vi.runAllTimersAsync();
    return await result;
  } finally {
    vi.useRealTimers();
  }
}
