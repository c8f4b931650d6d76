/**
 * Waiting on a condition instead of a guessed time: the test goes on as soon as the condition
 * holds, and fails with a message naming what did not happen if it never does. A busy
 * machine only makes it wait longer.
 */
export interface WaitOptions {
  /** What the condition stands for, as the failure names it ("timed out ... waiting for <what>"). */
  what: string;
  /** The longest wait (30 s unless told): generous, since a condition that holds ends it at once. */
  timeoutMs?: number;
  /** Time between checks (25 ms unless told). */
  intervalMs?: number;
  /** The state last seen, added to the failure message (called once, on failure). */
  last?: () => unknown;
  /** Take a check that throws as "not yet" (its last error is in the failure message) rather than failing at once. */
  ignoreErrors?: boolean;
}

export const DEFAULT_WAIT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition` returns true; rejects once `timeoutMs` has passed without it. */
export async function waitFor(condition: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (err) {
      if (!options.ignoreErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const parts = [`timed out after ${timeoutMs / 1000} s waiting for ${options.what}`];
      if (lastError !== undefined) parts.push(`last error: ${(lastError as Error).message ?? String(lastError)}`);
      if (options.last) {
        let seen: unknown;
        try {
          seen = await options.last();
        } catch (err) {
          seen = `(could not tell: ${(err as Error).message})`;
        }
        parts.push(`last seen: ${typeof seen === 'string' ? seen : JSON.stringify(seen)}`);
      }
      throw new Error(parts.join('; '));
    }
    await sleep(options.intervalMs ?? 25);
  }
}

/** Like waitFor, but returns what `probe` gave once it gave something other than undefined. */
export async function waitForValue<T>(probe: () => T | undefined | Promise<T | undefined>, options: WaitOptions): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => (value = await probe()) !== undefined, options);
  return value as T;
}
