import { describe, expect, it } from 'vitest';
import { Preloader } from '../../functions/models/preloader.js';
import { waitFor } from '../helpers/waitFor.js';

describe('preloading models at start-up', () => {
  it('warms while each first try runs, then not, whether it loaded or failed', async () => {
    const loads: Record<string, () => void> = {};
    const fails: Record<string, (e: Error) => void> = {};
    const p = new Preloader((name) => new Promise<void>((resolve, reject) => ((loads[name] = resolve), (fails[name] = reject))), { retryMs: 60_000, warn: () => undefined });
    const started = p.start(['a', 'b']);
    expect(p.warming).toBe(true);
    loads.a();
    await Promise.resolve();
    expect(p.warming).toBe(true);
    fails.b(new Error('model_not_found'));
    await started;
    expect(p.warming).toBe(false);
    p.stop();
  });

  it('tries a model that failed again until it loads, saying why each time', async () => {
    const warnings: string[] = [];
    let tries = 0;
    const p = new Preloader(
      async () => {
        tries += 1;
        if (tries < 3) throw new Error(`No model named "iris" (try ${tries})`);
      },
      { retryMs: 100, warn: (m) => warnings.push(m) },
    );
    await p.start(['iris']);
    await waitFor(() => tries === 3, { timeoutMs: 10_000, what: 'the third try' });
    await new Promise((r) => setTimeout(r, 300));
    expect(tries).toBe(3);
    expect(warnings).toEqual([expect.stringMatching(/^preloading model iris failed, trying again in 0 s: .*try 1/), expect.stringMatching(/try 2\)$/)]);
    p.stop();
  });

  it('stops trying once the app stops', async () => {
    let tries = 0;
    const p = new Preloader(
      async () => {
        tries += 1;
        throw new Error('unreachable');
      },
      { retryMs: 100, warn: () => undefined },
    );
    await p.start(['iris']);
    p.stop();
    await new Promise((r) => setTimeout(r, 400));
    expect(tries).toBe(1);
  });
});
