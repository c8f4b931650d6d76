import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';
import { waitFor, type WaitOptions } from './waitFor.js';

/**
 * R held busy on a test's word (test/fixtures/held-score.R): a call, or the model's loading,
 * waits until the test lets it go, so "R is busy" or "the model is still loading" holds for
 * as long as the test needs, however fast or slow the machine.
 */
export interface Held {
  /** The score.R to publish. */
  fixture: string;
  /** The setting its R processes must see (an app setting reaches them through the app's environment). */
  env: { HELD_SCORE_DIR: string };
  /** From now on every call waits (forgetting the calls held so far). */
  hold(): Promise<void>;
  /** Lets the held calls go, and calls no longer wait. */
  release(): Promise<void>;
  /** From now on loading the model waits (before its workers start: the warm-up call would wait too). */
  holdLoad(): Promise<void>;
  releaseLoad(): Promise<void>;
  /** The R processes that have a call waiting (or that waited since hold()). */
  heldPids(): Promise<number[]>;
  /** The R processes that are (or were) waiting to load. */
  loadingPids(): Promise<number[]>;
  /** Waits until `n` different R processes hold a call. */
  waitHeld(n: number, options?: Partial<WaitOptions>): Promise<void>;
}

export async function heldModel(): Promise<Held> {
  const dir = await mkdtemp(join(tmpdir(), 'held-'));
  const pids = async (prefix: string) => {
    const found = new Set<number>();
    for (const name of await readdir(dir)) {
      const m = new RegExp(`^${prefix}-(\\d+)`).exec(name);
      if (m) found.add(Number(m[1]));
    }
    return [...found];
  };
  const clear = async (prefix: string) => {
    for (const name of await readdir(dir)) if (name.startsWith(`${prefix}-`)) await rm(join(dir, name), { force: true });
  };
  const held: Held = {
    fixture: join(appRoot, 'test/fixtures/held-score.R'),
    env: { HELD_SCORE_DIR: dir },
    hold: async () => {
      await clear('held');
      await writeFile(join(dir, 'hold'), '');
    },
    release: () => rm(join(dir, 'hold'), { force: true }),
    holdLoad: async () => {
      await clear('loading');
      await writeFile(join(dir, 'hold-load'), '');
    },
    releaseLoad: () => rm(join(dir, 'hold-load'), { force: true }),
    heldPids: () => pids('held'),
    loadingPids: () => pids('loading'),
    waitHeld: (n, options = {}) =>
      waitFor(async () => (await pids('held')).length >= n, { what: `${n} R worker(s) holding a call`, last: async () => `holding: ${(await pids('held')).join(', ') || 'none'}`, ...options }),
  };
  return held;
}
