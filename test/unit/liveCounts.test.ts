import { describe, expect, it } from 'vitest';
import { BUCKET_MS, LATENCY_BOUNDS_MS, mergeBuckets, versionReport, VersionCounts, type BucketCounts, type ReportOptions } from '../../functions/monitoring/liveCounts.js';
import type { ReferenceProfile } from '../../functions/monitoring/profile.js';
import { comparePredictions } from '../../functions/monitoring/shadowCompare.js';
import type { Feature } from '../../functions/scoring/modelSchema.js';

/** A seeded uniform generator (mulberry32), so that every run draws the same numbers. */
function uniform(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller). */
function normal(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

const features: Feature[] = [
  { name: 'x', type: 'numeric', nullable: true, min: -3, max: 3 },
  { name: 'island', type: 'factor', levels: ['Biscoe', 'Dream', 'Torgersen'] },
  { name: 'male', type: 'logical' },
  { name: 'note', type: 'character', nullable: true },
];

// x: the deciles of a standard normal; island: Torgersen never seen in the prototype;
// male: as profile.R writes a logical (as.character: "FALSE", "TRUE"); note: no profile.
const profile: ReferenceProfile = {
  rows: 1000,
  bins: 10,
  features: {
    x: { kind: 'numeric', breaks: [-1.28155, -0.841621, -0.524401, -0.253347, 0, 0.253347, 0.524401, 0.841621, 1.28155], shares: new Array(10).fill(0.1), nullShare: 0.1 },
    island: { kind: 'levels', shares: { Biscoe: 0.6, Dream: 0.4 }, nullShare: 0 },
    male: { kind: 'levels', shares: { FALSE: 0.5, TRUE: 0.5 }, nullShare: 0 },
  },
};

const t0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const options = (o: Partial<ReportOptions> = {}): ReportOptions => ({ from: t0, to: t0 + 10 * BUCKET_MS, psiThreshold: 0.25, minRows: 100, points: 5, ...o });

/** Columns of `n` rows: x normal (shifted by `shift` sd), every tenth null; islands and sexes alternating. */
function rows(n: number, seed: number, shift = 0): Record<string, unknown[]> {
  const draw = normal(seed);
  const x: (number | null)[] = [];
  const island: string[] = [];
  const male: boolean[] = [];
  const note: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    x.push(i % 10 === 9 ? null : draw() + shift);
    island.push(i % 5 < 3 ? 'Biscoe' : 'Dream');
    male.push(i % 2 === 0);
    note.push(i % 2 === 0 ? null : 'hello');
  }
  return { x, island, male, note };
}

describe('live counts of a model version', () => {
  it('finds no drift in a stream drawn from the reference distribution', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeRows(rows(5000, 1), 5000, t0 + 1000);
    const report = versionReport(counts.buckets(), features, profile, options());
    const [x, island, male, note] = report.features;
    expect(report.rows).toBe(5000);
    expect(x?.psi).toBeLessThan(0.1);
    expect(x?.drift).toBe(false);
    expect(x?.nullShare).toEqual({ live: 0.1, reference: 0.1 });
    expect(x?.bins.map((b) => b.label)).toEqual(['(-Inf, -1.28155]', '(-1.28155, -0.841621]', '(-0.841621, -0.524401]', '(-0.524401, -0.253347]', '(-0.253347, 0]', '(0, 0.253347]', '(0.253347, 0.524401]', '(0.524401, 0.841621]', '(0.841621, 1.28155]', '(1.28155, Inf)']);
    for (const b of x?.bins ?? []) expect(b.live).toBeGreaterThan(0.08);
    // Biscoe 3 rows in 5, Dream 2: exactly the reference.
    expect(island?.psi).toBe(0);
    expect(island?.bins).toEqual([
      { label: 'Biscoe', reference: 0.6, live: 0.6 },
      { label: 'Dream', reference: 0.4, live: 0.4 },
      { label: '(unseen)', reference: 0, live: 0 },
    ]);
    // true and false count as R's "TRUE" and "FALSE".
    expect(male?.bins.map((b) => b.live)).toEqual([0.5, 0.5, 0]);
    expect(male?.drift).toBe(false);
    expect(note).toMatchObject({ name: 'note', type: 'character', rows: 5000, nullShare: { live: 0.5, reference: null }, outOfRangeShare: null, psi: null, drift: null, bins: [] });
    expect(report.drifted).toEqual([]);
  });

  it('finds drift in a stream shifted by two standard deviations, and counts numbers out of range', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeRows(rows(5000, 2, 2), 5000, t0);
    const report = versionReport(counts.buckets(), features, profile, options());
    const x = report.features[0];
    expect(x?.psi).toBeGreaterThan(1);
    expect(x?.drift).toBe(true);
    expect(report.drifted).toEqual(['x']);
    // P(z + 2 > 3) = P(z > 1) ≈ 0.159; nothing falls below -3.
    expect(x?.outOfRangeShare).toBeGreaterThan(0.14);
    expect(x?.outOfRangeShare).toBeLessThan(0.18);
    expect(x?.bins.at(-1)?.live).toBeGreaterThan(0.7);
  });

  it('puts levels the reference never saw in the unseen bin, and reports refused unseen levels apart', () => {
    const counts = new VersionCounts(features, profile);
    const island = [...new Array<string>(60).fill('Biscoe'), ...new Array<string>(40).fill('Torgersen')];
    counts.observeRows({ island, male: new Array(100).fill(true) }, 100, t0);
    counts.observeUnseen('island', 7, t0);
    const report = versionReport(counts.buckets(), features, profile, options());
    const f = report.features[1];
    expect(f?.bins.map((b) => b.live)).toEqual([0.6, 0, 0.4]);
    expect(f?.unseenLevelAttempts).toBe(7);
    expect(f?.rows).toBe(100);
    expect(f?.drift).toBe(true);
    // Columns absent from the rows count as missing.
    expect(report.features[0]?.nullShare.live).toBe(1);
    expect(report.features[0]?.psi).toBeNull();
  });

  it('gives no PSI below minRows values', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeRows(rows(50, 3), 50, t0);
    const report = versionReport(counts.buckets(), features, profile, options({ minRows: 50 }));
    // 45 non-null numbers, 50 islands.
    expect(report.features[0]?.psi).toBeNull();
    expect(report.features[1]?.psi).toBe(0);
  });

  it('reads latency quantiles off the histogram, and error rates by code', () => {
    const counts = new VersionCounts(features, profile);
    for (let ms = 1; ms <= 100; ms++) counts.observeRequest({ latencyMs: ms, ...(ms % 10 === 0 ? { code: ms === 100 ? 'r_failed' : 'invalid_input' } : {}) }, t0);
    const report = versionReport(counts.buckets(), features, profile, options());
    // The 50th latency is 50 ms, in (30, 50]; the 95th and 99th in (75, 100].
    expect(report.latencyMs).toEqual({ p50: 50, p95: 100, p99: 100 });
    expect(report.requests).toBe(100);
    expect(report.errors).toEqual({ invalid_input: 9, r_failed: 1 });
    expect(report.errorRate).toBe(0.1);

    const slow = new VersionCounts(features, profile);
    slow.observeRequest({ latencyMs: 60_000 }, t0);
    const bucket = slow.buckets()[0] as BucketCounts;
    expect(bucket.latency).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(bucket.latency.at(-1)).toBe(1);
    expect(versionReport([bucket], features, profile, options()).latencyMs.p99).toBe(30_000);
    expect(versionReport([], features, profile, options())).toMatchObject({ requests: 0, errorRate: null, latencyMs: { p50: null, p95: null, p99: null } });
  });

  it('reports shadow versions and the prediction log', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeShadow('2', { comparison: comparePredictions([1, 2, 3, 4], [1, 2, 3, 5]) }, t0);
    counts.observeShadow('2', { comparison: comparePredictions(['a', 'b'], ['a', 'c']) }, t0);
    counts.observeShadow('2', 'failed', t0);
    counts.observeShadow('2', 'dropped', t0);
    counts.observeLog(6, 1, t0);
    const report = versionReport(counts.buckets(), features, profile, options());
    expect(report.shadow).toEqual([{ version: '2', requests: 4, compared: 2, failed: 1, dropped: 1, rows: 6, agreement: 4 / 6, meanAbsDiff: 0.25, classAgreement: 0.5 }]);
    expect(report.predictionLog).toEqual({ rows: 6, dropped: 1 });
  });
});

describe('buckets', () => {
  /** Ten minutes of traffic: requests, rows, unseen levels, shadow calls and log rows, sent to `into(i)`. */
  function traffic(into: (i: number) => VersionCounts): void {
    for (let i = 0; i < 40; i++) {
      const at = t0 + i * 15_000;
      const counts = into(i);
      counts.observeRows(rows(25, 100 + i, i >= 20 ? 2 : 0), 25, at);
      counts.observeRequest({ latencyMs: 3 * i, ...(i % 7 === 0 ? { code: 'invalid_input' } : {}) }, at);
      if (i % 3 === 0) counts.observeUnseen('island', 1, at);
      counts.observeShadow(i % 2 ? '2' : '3', i % 5 ? { comparison: comparePredictions([i, 1], [i + 0.5, 1]) } : 'failed', at);
      counts.observeLog(25, i % 4 === 0 ? 1 : 0, at);
    }
  }

  it('are kept per minute, and pruned', () => {
    const counts = new VersionCounts(features, profile);
    traffic(() => counts);
    expect(counts.buckets().map((b) => b.start)).toEqual(Array.from({ length: 10 }, (_, i) => t0 + i * BUCKET_MS));
    expect(counts.buckets(t0 + 8 * BUCKET_MS).map((b) => b.requests)).toEqual([4, 4]);
    counts.prune(t0 + 5 * BUCKET_MS);
    expect(counts.buckets()).toHaveLength(5);
    expect(counts.buckets()[0]?.start).toBe(t0 + 5 * BUCKET_MS);
  });

  it('are copies', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeRequest({ latencyMs: 1 }, t0);
    (counts.buckets()[0] as BucketCounts).requests = 99;
    expect(counts.buckets()[0]?.requests).toBe(1);
  });

  it('of two instances, merged, equal the counts of one instance that saw everything', () => {
    const one = new VersionCounts(features, profile);
    traffic(() => one);
    const a = new VersionCounts(features, profile);
    const b = new VersionCounts(features, profile);
    traffic((i) => (i % 3 === 0 ? a : b));
    const merged = mergeBuckets([a.buckets(), b.buckets()]);
    expect(merged).toEqual(one.buckets());
    expect(versionReport(merged, features, profile, options())).toEqual(versionReport(one.buckets(), features, profile, options()));
  });

  it('merge the same after a JSON round trip', () => {
    const a = new VersionCounts(features, profile);
    const b = new VersionCounts(features, profile);
    traffic((i) => (i < 25 ? a : b));
    const stored = JSON.parse(JSON.stringify(a.buckets())) as BucketCounts[];
    expect(mergeBuckets([stored, b.buckets()])).toEqual(mergeBuckets([a.buckets(), b.buckets()]));
  });

  it('merge features, shadow versions and bins only some lists have', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeRows(rows(10, 5), 10, t0);
    const b = counts.buckets()[0] as BucketCounts;
    const other: BucketCounts = { ...b, features: { x: { rows: 1, nulls: 0, outOfRange: 0, unseen: 0, bins: [1, 2] }, extra: { rows: 1, nulls: 1, outOfRange: 0, unseen: 0, bins: [] } }, shadow: { '9': { rows: 1, agreed: 1, numericRows: 1, absDiffSum: 0, classRows: 0, classAgreed: 0, requests: 1, failed: 0, dropped: 0 } } };
    const [merged, ...more] = mergeBuckets([[], [b], [other]]);
    expect(more).toEqual([]);
    expect(merged?.rows).toBe(20);
    // x's ten bins plus a shorter list of two.
    expect(merged?.features.x?.bins).toEqual(b.features.x?.bins.map((n, i) => n + ([1, 2][i] ?? 0)));
    expect(merged?.features.extra).toEqual({ rows: 1, nulls: 1, outOfRange: 0, unseen: 0, bins: [] });
    expect(merged?.shadow['9']?.requests).toBe(1);
    expect(Object.keys(merged?.features ?? {})).toEqual(['x', 'island', 'male', 'note', 'extra']);
  });
});

describe('the timeline', () => {
  it('splits the window into equal intervals by bucket start, counting only buckets inside it', () => {
    const counts = new VersionCounts(features, profile);
    counts.observeRequest({ latencyMs: 5 }, t0 - 1); // before the window
    for (let minute = 0; minute < 10; minute++) {
      for (let r = 0; r <= minute; r++) counts.observeRequest({ latencyMs: minute < 6 ? 5 : 200, ...(r === 0 ? { code: 'r_failed' } : {}) }, t0 + minute * BUCKET_MS + 30_000);
      // Drift from minute 6 on.
      counts.observeRows(rows(200, minute, minute < 6 ? 0 : 2), 200, t0 + minute * BUCKET_MS);
    }
    counts.observeRequest({ latencyMs: 5 }, t0 + 10 * BUCKET_MS); // at `to`: outside
    const report = versionReport(counts.buckets(), features, profile, options());
    expect(report.requests).toBe(55);
    expect(report.timeline.map((p) => p.start)).toEqual(['12:00', '12:02', '12:04', '12:06', '12:08'].map((hm) => `2025-01-01T${hm}:00.000Z`));
    expect(report.timeline.map((p) => p.requests)).toEqual([1 + 2, 3 + 4, 5 + 6, 7 + 8, 9 + 10]);
    expect(report.timeline.map((p) => p.errors)).toEqual([2, 2, 2, 2, 2]);
    expect(report.timeline.map((p) => p.latencyMs)).toEqual([{ p50: 5, p95: 5 }, { p50: 5, p95: 5 }, { p50: 5, p95: 5 }, { p50: 200, p95: 200 }, { p50: 200, p95: 200 }]);
    const psiX = report.timeline.map((p) => p.psi.x as number);
    expect(psiX.slice(0, 3).every((v) => v < 0.25)).toBe(true);
    expect(psiX.slice(3).every((v) => v > 0.25)).toBe(true);
    expect(report.timeline[0]?.psi.note).toBeNull();
    // Uneven intervals: three over ten minutes.
    const uneven = versionReport(counts.buckets(), features, profile, options({ points: 3 }));
    expect(uneven.timeline.map((p) => p.requests).reduce((a, b) => a + b, 0)).toBe(55);
    expect(uneven.timeline[1]?.start).toBe(new Date(t0 + (10 * BUCKET_MS) / 3).toISOString());
  });

  it('refuses an empty window or no points', () => {
    expect(() => versionReport([], features, profile, options({ to: t0 }))).toThrow(RangeError);
    expect(() => versionReport([], features, profile, options({ points: 0 }))).toThrow(RangeError);
  });
});
