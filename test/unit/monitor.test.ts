import { afterEach, describe, expect, it } from 'vitest';
import type { LoadedVersion } from '../../functions/models/registry.js';
import { Monitor, type MonitorOptions } from '../../functions/monitoring/monitor.js';
import type { MonitorStore } from '../../functions/monitoring/monitorStore.js';
import type { BucketCounts } from '../../functions/monitoring/liveCounts.js';
import type { PredictionLog } from '../../functions/monitoring/predictionLog.js';
import { InputValidator } from '../../functions/scoring/inputValidator.js';
import { parseModelSchema } from '../../functions/scoring/modelSchema.js';
import type { Telemetry } from '../../functions/telemetry.js';

// One numeric input with a decile profile of 0..99 (the monitor's wiring; the counting itself is liveCounts.test.ts).
const schema = parseModelSchema(
  JSON.stringify({
    features: [{ name: 'x', type: 'numeric', min: 0, max: 99 }],
    output: { defaultType: 'response', types: { response: { kind: 'numeric' } } },
    profile: { rows: 100, bins: 10, features: { x: { kind: 'numeric', breaks: [9, 19, 29, 39, 49, 59, 69, 79, 89], shares: new Array(10).fill(0.1), nullShare: 0 } } },
  }),
);
const loaded = { name: 'm', version: '1', tag: 't', dir: '', schema, validator: new InputValidator(schema), pool: {} } as unknown as LoadedVersion;

const monitors: Monitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.close(100)));
});

function setup(store?: Pick<MonitorStore, 'write' | 'read'>) {
  const metrics: { name: string; value: number; properties?: Record<string, string> }[] = [];
  const written: string[] = [];
  const telemetry: Telemetry = { dependency: () => undefined, event: () => undefined, flush: async () => undefined, metric: (name, value, properties) => metrics.push({ name, value, ...(properties ? { properties } : {}) }) };
  const options: MonitorOptions = {
    store: (store ?? { write: async (model: string, version: string) => void written.push(`${model}/${version}`), read: async () => new Map() }) as unknown as MonitorStore,
    log: { add: () => true, close: async () => undefined } as unknown as PredictionLog,
    instance: 'i',
    flushMs: 60_000,
    psiThreshold: 0.2,
    minRows: 50,
    shadowMaxInFlight: 1,
    logSample: {},
    loadVersion: async () => loaded,
    schemaOf: async () => schema,
    telemetry: () => telemetry,
  };
  const monitor = new Monitor(options);
  monitors.push(monitor);
  return { monitor, metrics, written };
}

const scoreRows = (monitor: Monitor, xs: number[]) =>
  monitor.scored({ loaded, parsed: { form: 'records', rows: [], pointer: () => '' }, batch: { rows: xs.length, type: 'response', columns: { x: xs } }, predictions: xs, latencyMs: 1, requestId: 'r' });

describe('Monitor', () => {
  it("writes each version's counts and exports its drift against the training profile as metrics", async () => {
    const { monitor, metrics, written } = setup();
    scoreRows(monitor, Array.from({ length: 200 }, (_, i) => 200 + i));
    await monitor.flush();
    expect(written).toContain('m/1');
    const psi = metrics.find((m) => m.name === 'Feature PSI');
    expect(psi?.properties).toEqual({ model: 'm', version: '1', feature: 'x' });
    // Every value above the training range: all in the last bin, and all out of range.
    expect(psi?.value).toBeGreaterThan(1);
    expect(metrics.find((m) => m.name === 'Out-of-range share')?.value).toBe(1);
  });
});

describe('Monitor report', () => {
  it('includes requests counted while an earlier write was under way (it writes again after it)', async () => {
    const stored = new Map<string, BucketCounts[][]>();
    let release: () => void = () => undefined;
    const firstWrite = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    const store = {
      write: async (_model: string, version: string, _instance: string, _hour: number, buckets: BucketCounts[]) => {
        // The first write reads the counts at once, then takes its time to reach storage.
        const copy = structuredClone(buckets);
        if (writes++ === 0) await firstWrite;
        stored.set(version, [copy]);
      },
      read: async () => stored,
    };
    const { monitor: slow } = setup(store as unknown as MonitorStore);
    scoreRows(slow, [1]);
    const under = slow.flush();
    scoreRows(slow, [2, 3]);
    const report = slow.report('m', undefined, 3_600_000);
    release();
    await under;
    const versions = (await report).versions;
    expect(versions.map((v) => v.version)).toEqual(['1']);
    expect(versions[0]?.requests).toBe(2);
    expect(writes).toBe(2);
  });
});
