/**
 * Live traffic and input drift of a model version, pure: running counts kept in one-minute
 * buckets (so that instances' counts and time windows merge by adding them), and the
 * report the monitoring endpoint answers, computed from merged buckets.
 */
import type { Feature, FeatureType } from '../scoring/modelSchema.js';
import { binOf, profiledAsNumbers, profileNumberText, psi, shares, timeNumber, type ReferenceProfile } from './profile.js';
import { addComparison, emptyComparison, type Comparison } from './shadowCompare.js';

/** The width of a bucket: counts are kept per minute. */
export const BUCKET_MS = 60_000;

/** Upper bounds (inclusive) of the latency histogram's buckets; one more bucket holds the rest. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000,
]);

/** One feature's values in a bucket. */
export interface FeatureCounts {
  /** Rows scored. */
  rows: number;
  /** Of those, rows where the value was missing (null, or NaN). */
  nulls: number;
  /** Numbers below the feature's min or above its max. */
  outOfRange: number;
  /** Values refused as levels unseen in training (those rows were not scored). */
  unseen: number;
  /** Counts of non-null values per reference bin (see binLayout); [] without a reference profile. */
  bins: number[];
}

/** A shadow version's comparisons in a bucket. `requests` counts every outcome. */
export interface ShadowCounts extends Comparison {
  requests: number;
  /** Shadow calls that failed (their predictions were not compared). */
  failed: number;
  /** Requests not sent to the shadow (for example, too many shadow calls in flight). */
  dropped: number;
}

/** A version's counts over one minute; plain JSON, merged by adding (mergeBuckets). */
export interface BucketCounts {
  /** Epoch ms, a multiple of BUCKET_MS. */
  start: number;
  /** HTTP scoring requests answered by this version (any status). */
  requests: number;
  /** Rows scored (observed by observeRows). */
  rows: number;
  /** Answered errors by error code. */
  errors: Record<string, number>;
  /** Latency histogram counts, LATENCY_BOUNDS_MS.length + 1 entries. */
  latency: number[];
  features: Record<string, FeatureCounts>;
  /** By shadow version. */
  shadow: Record<string, ShadowCounts>;
  /** Prediction log rows written / dropped (reported by the logger). */
  log: { rows: number; dropped: number };
}

/** How a feature's values are binned against its reference profile. */
interface BinLayout {
  feature: Feature;
  /** Numbers are checked against min and max (dates and date-times as their numbers too). */
  numeric: boolean;
  /** A date's or date-time's text as its number (see timeNumber); undefined for other features. */
  toNumber?: ((v: unknown) => number) | undefined;
  /** The training range as numbers (-Infinity, Infinity when not known). */
  min: number;
  max: number;
  /** The reference's cut points (numbers binned), or undefined. */
  breaks?: number[];
  /** Each reference level's bin (levels binned, the last bin for the others), or undefined. */
  levels?: Map<string, number>;
  /** Reference shares per bin: the layout's length; [] when not binned. */
  reference: number[];
  labels: string[];
}


/** The label of a level bin for values the reference never saw. */
export const UNSEEN_LABEL = '(unseen)';

/**
 * The bins of a feature: a numeric profile's for numbers, a levels profile's plus one for
 * the others for factors, logicals and characters; none without a (matching) profile, or
 * when the reference had no values.
 */
function binLayout(feature: Feature, profile: ReferenceProfile | undefined): BinLayout {
  const numeric = profiledAsNumbers(feature);
  const toNumber = timeNumber(feature);
  const asNumber = (v: unknown, missing: number): number => {
    const x = typeof v === 'number' ? v : toNumber && v !== undefined ? toNumber(v) : NaN;
    return Number.isNaN(x) ? missing : x;
  };
  const none: BinLayout = { feature, numeric, toNumber, min: asNumber(feature.min, -Infinity), max: asNumber(feature.max, Infinity), reference: [], labels: [] };
  const p = profile?.features[feature.name];
  if (!p) return none;
  if (numeric && p.kind === 'numeric') {
    if (p.shares.reduce((a, b) => a + b, 0) === 0) return none;
    const b = p.breaks;
    const text = (x: number) => profileNumberText(feature, x);
    const labels = p.shares.map((_, i) => `(${i === 0 ? '-Inf' : text(b[i - 1] as number)}, ${i === b.length ? 'Inf)' : `${text(b[i] as number)}]`}`);
    return { ...none, breaks: b, reference: [...p.shares], labels };
  }
  if (!numeric && p.kind === 'levels') {
    const names = Object.keys(p.shares);
    const reference = names.map((l) => p.shares[l] as number);
    if (reference.reduce((a, b) => a + b, 0) === 0) return none;
    return { ...none, levels: new Map(names.map((l, i) => [l, i])), reference: [...reference, 0], labels: [...names, UNSEEN_LABEL] };
  }
  return none;
}

/** A level as R's profile.R writes it: as.character() of the value (TRUE/FALSE for logicals). */
const levelOf = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : String(v));

const emptyFeature = (bins: number): FeatureCounts => ({ rows: 0, nulls: 0, outOfRange: 0, unseen: 0, bins: new Array<number>(bins).fill(0) });
const emptyShadow = (): ShadowCounts => ({ ...emptyComparison(), requests: 0, failed: 0, dropped: 0 });
const emptyBucket = (start: number): BucketCounts => ({
  start,
  requests: 0,
  rows: 0,
  errors: {},
  latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
  features: {},
  shadow: {},
  log: { rows: 0, dropped: 0 },
});

/** Adds counts into `into`, the longer length winning (a missing count is 0). */
function addCounts(into: number[], from: readonly number[] | undefined): void {
  if (!from) return;
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

/** Keys merged from stored JSON: never one that would reach an object's prototype. */
const safeKey = (k: string): boolean => k !== '__proto__';

/** Adds each member's number into `into` (a member only one side has counts as 0 on the other). */
function addRecord<T extends object>(into: T, from: Partial<T> | undefined): void {
  if (!from) return;
  const target = into as Record<string, unknown>;
  for (const [k, v] of Object.entries(from)) {
    if (typeof v === 'number' && safeKey(k)) target[k] = ((target[k] as number | undefined) ?? 0) + v;
  }
}

/** Adds bucket `b` into `into` (same start), tolerant of members only one of them has. */
function addBucket(into: BucketCounts, b: BucketCounts): void {
  into.requests += b.requests ?? 0;
  into.rows += b.rows ?? 0;
  addRecord(into.errors, b.errors);
  addCounts(into.latency, b.latency);
  for (const [name, f] of Object.entries(b.features ?? {})) {
    if (!safeKey(name)) continue;
    const target = (into.features[name] ??= emptyFeature(0));
    const { bins, ...counts } = f;
    addRecord(target, counts);
    addCounts(target.bins, bins);
  }
  for (const [version, s] of Object.entries(b.shadow ?? {})) if (safeKey(version)) addRecord((into.shadow[version] ??= emptyShadow()), s);
  addRecord(into.log, b.log);
}

/** A deep copy of a bucket, through addition so that JSON read back with missing members comes out whole. */
function copyBucket(b: BucketCounts): BucketCounts {
  const copy = emptyBucket(b.start);
  addBucket(copy, b);
  return copy;
}

/** Running counts of one model version on this instance, per minute. */
export class VersionCounts {
  readonly #layouts: BinLayout[];
  readonly #buckets = new Map<number, BucketCounts>();
  /** The last bucket written, to skip the map lookup while the minute lasts. */
  #current: BucketCounts | undefined;

  constructor(features: readonly Feature[], profile: ReferenceProfile | undefined) {
    this.#layouts = features.map((f) => binLayout(f, profile));
  }

  #bucket(at: number): BucketCounts {
    const start = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    if (this.#current?.start === start) return this.#current;
    let b = this.#buckets.get(start);
    if (!b) {
      b = emptyBucket(start);
      for (const l of this.#layouts) b.features[l.feature.name] = emptyFeature(l.reference.length);
      this.#buckets.set(start, b);
    }
    this.#current = b;
    return b;
  }

  /**
   * Rows that were scored, by column (columns[feature.name][row]; null or absent = missing).
   * Hot path: no allocation per row, a binary search per number, a Map lookup per level.
   */
  observeRows(columns: Readonly<Record<string, readonly unknown[]>>, rows: number, at: number): void {
    const bucket = this.#bucket(at);
    bucket.rows += rows;
    for (const layout of this.#layouts) {
      const counts = bucket.features[layout.feature.name] as FeatureCounts;
      const column = columns[layout.feature.name];
      const { breaks, levels, numeric, toNumber, min, max } = layout;
      const bins = counts.bins;
      const other = bins.length - 1;
      let nulls = 0;
      let outOfRange = 0;
      for (let r = 0; r < rows; r++) {
        const v = column?.[r];
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
          nulls++;
        } else if (numeric) {
          const x = typeof v === 'number' ? v : toNumber ? toNumber(v) : NaN;
          if (Number.isNaN(x)) continue;
          if (x < min || x > max) outOfRange++;
          // Infinite values bin as R's findInterval() bins them: in the first or last bin.
          if (breaks) (bins[binOf(breaks, x)] as number)++;
        } else if (levels) {
          (bins[levels.get(levelOf(v)) ?? other] as number)++;
        }
      }
      counts.rows += rows;
      counts.nulls += nulls;
      counts.outOfRange += outOfRange;
    }
  }

  /** One answered scoring request: its latency, and its error code when the answer was an error. */
  observeRequest(r: { latencyMs: number; code?: string }, at: number): void {
    const bucket = this.#bucket(at);
    bucket.requests++;
    (bucket.latency[binOf(LATENCY_BOUNDS_MS as number[], r.latencyMs)] as number)++;
    if (r.code !== undefined) bucket.errors[r.code] = (bucket.errors[r.code] ?? 0) + 1;
  }

  /** Values of `feature` refused as levels unseen in training (their rows were not scored). */
  observeUnseen(feature: string, count: number, at: number): void {
    if (!safeKey(feature)) return;
    const bucket = this.#bucket(at);
    (bucket.features[feature] ??= emptyFeature(0)).unseen += count;
  }

  /** One request's outcome on a shadow version: its comparison, or that it failed or was dropped. */
  observeShadow(version: string, outcome: { comparison: Comparison } | 'failed' | 'dropped', at: number): void {
    const s = (this.#bucket(at).shadow[version] ??= emptyShadow());
    s.requests++;
    if (outcome === 'failed') s.failed++;
    else if (outcome === 'dropped') s.dropped++;
    else addComparison(s, outcome.comparison);
  }

  /** Prediction log rows written and dropped, as the logger reports them. */
  observeLog(rows: number, dropped: number, at: number): void {
    const log = this.#bucket(at).log;
    log.rows += rows;
    log.dropped += dropped;
  }

  /** Buckets that started at or after `from` (all when omitted), oldest first, as plain JSON-able copies. */
  buckets(from = -Infinity): BucketCounts[] {
    return [...this.#buckets.values()]
      .filter((b) => b.start >= from)
      .sort((a, b) => a.start - b.start)
      .map(copyBucket);
  }

  /** Drops buckets that started before `before`. */
  prune(before: number): void {
    for (const start of this.#buckets.keys()) if (start < before) this.#buckets.delete(start);
    if (this.#current && this.#current.start < before) this.#current = undefined;
  }
}

/**
 * Sums buckets with the same start across lists (instances, or stored and live counts),
 * oldest first. Features and shadow versions only some lists have, and bins of different
 * lengths, are added as if the missing counts were 0. The inputs are not changed.
 */
export function mergeBuckets(lists: readonly (readonly BucketCounts[])[]): BucketCounts[] {
  const merged = new Map<number, BucketCounts>();
  for (const list of lists) {
    for (const b of list) {
      const into = merged.get(b.start);
      if (into) addBucket(into, b);
      else merged.set(b.start, copyBucket(b));
    }
  }
  return [...merged.values()].sort((a, b) => a.start - b.start);
}

/** What versionReport covers and how it judges drift. */
export interface ReportOptions {
  /** Epoch ms; buckets with from <= start < to count. */
  from: number;
  to: number;
  /** A feature drifted when its PSI is above this (0.25 is the common reading). */
  psiThreshold: number;
  /** No PSI for a feature with fewer non-null values than this. */
  minRows: number;
  /** Intervals in the timeline (at least 1). */
  points: number;
}

/** Latency quantiles in ms: the upper bound of the histogram bucket the quantile falls in. */
export interface LatencyQuantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** One bin of a feature: the reference's share and the live share (of non-null values). */
export interface BinReport {
  label: string;
  reference: number;
  live: number;
}

/** One input feature's live values against the reference profile. */
export interface FeatureReport {
  name: string;
  type: FeatureType;
  /** Rows scored. */
  rows: number;
  /** Share of missing values, live (null without rows) and in the reference (null without a profile). */
  nullShare: { live: number | null; reference: number | null };
  /** Share of non-null numbers outside the feature's [min, max] (null for non-numbers, or no values). */
  outOfRangeShare: number | null;
  /** Values refused as levels unseen in training (in requests that were refused). */
  unseenLevelAttempts: number;
  /** Population stability index; null without a profile or with fewer than minRows values. */
  psi: number | null;
  /** psi > psiThreshold; null when psi is null. */
  drift: boolean | null;
  /** [] without a profile. */
  bins: BinReport[];
}

/** A shadow version against the served one. */
export interface ShadowReport {
  version: string;
  /** Requests mirrored to the shadow, whatever came of them. */
  requests: number;
  /** Of those, requests whose predictions were compared (neither failed nor dropped). */
  compared: number;
  failed: number;
  dropped: number;
  /** Rows compared. */
  rows: number;
  /** Share of rows compared whose predictions agreed (null without rows). */
  agreement: number | null;
  /** Mean |served - shadow| over rows with numbers on both sides (null without any). */
  meanAbsDiff: number | null;
  /** Share of rows with classes on both sides whose class agreed (null without any). */
  classAgreement: number | null;
}

/** One interval of the timeline. */
export interface TimelinePoint {
  /** ISO 8601 start of the interval. */
  start: string;
  requests: number;
  /** Error answers, all codes. */
  errors: number;
  latencyMs: { p50: number | null; p95: number | null };
  /** Each feature's PSI over the interval (null as in FeatureReport). */
  psi: Record<string, number | null>;
}

/** What the monitoring endpoint answers for one model version over a window. */
export interface VersionReport {
  requests: number;
  rows: number;
  /** Error answers by error code. */
  errors: Record<string, number>;
  /** Error answers per request (null without requests). */
  errorRate: number | null;
  latencyMs: LatencyQuantiles;
  /** In the schema's order. */
  features: FeatureReport[];
  /** Names of the features with drift true. */
  drifted: string[];
  /** By version name. */
  shadow: ShadowReport[];
  predictionLog: { rows: number; dropped: number };
  timeline: TimelinePoint[];
}

/** The upper bound of the histogram bucket where quantile q falls (overflow: the last bound); null when empty. */
function latencyQuantile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] as number;
    if (seen >= rank) return LATENCY_BOUNDS_MS[Math.min(i, LATENCY_BOUNDS_MS.length - 1)] as number;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] as number;
}

/** Live bin counts laid out as the reference's bins (extra counts dropped, missing ones 0). */
const liveCounts = (layout: BinLayout, counts: FeatureCounts | undefined): number[] => layout.reference.map((_, i) => counts?.bins[i] ?? 0);

/** The PSI of a feature's counts, or null without bins or with fewer than minRows binned values. */
function featurePsi(layout: BinLayout, counts: FeatureCounts | undefined, minRows: number): number | null {
  if (layout.reference.length === 0) return null;
  const live = liveCounts(layout, counts);
  const n = live.reduce((a, b) => a + b, 0);
  return n === 0 || n < minRows ? null : psi(layout.reference, shares(live));
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

function featureReport(layout: BinLayout, c: FeatureCounts | undefined, profile: ReferenceProfile | undefined, o: ReportOptions): FeatureReport {
  const f = layout.feature;
  const rows = c?.rows ?? 0;
  const nulls = c?.nulls ?? 0;
  const value = featurePsi(layout, c, o.minRows);
  const live = shares(liveCounts(layout, c));
  return {
    name: f.name,
    type: f.type,
    rows,
    nullShare: { live: ratio(nulls, rows), reference: profile?.features[f.name]?.nullShare ?? null },
    outOfRangeShare: layout.numeric ? ratio(c?.outOfRange ?? 0, rows - nulls) : null,
    unseenLevelAttempts: c?.unseen ?? 0,
    psi: value,
    drift: value === null ? null : value > o.psiThreshold,
    bins: layout.labels.map((label, i) => ({ label, reference: layout.reference[i] as number, live: live[i] as number })),
  };
}

/** The report of a version from (merged) buckets, over the buckets with o.from <= start < o.to. */
export function versionReport(buckets: readonly BucketCounts[], features: readonly Feature[], profile: ReferenceProfile | undefined, o: ReportOptions): VersionReport {
  if (!(o.to > o.from)) throw new RangeError('versionReport: `to` must be after `from`');
  if (!Number.isInteger(o.points) || o.points < 1) throw new RangeError('versionReport: `points` must be a positive integer');
  const layouts = features.map((f) => binLayout(f, profile));
  const total = emptyBucket(o.from);
  const intervals = Array.from({ length: o.points }, (_, i) => emptyBucket(o.from + (i * (o.to - o.from)) / o.points));
  for (const b of buckets) {
    if (b.start < o.from || b.start >= o.to) continue;
    addBucket(total, b);
    const i = Math.min(o.points - 1, Math.floor(((b.start - o.from) * o.points) / (o.to - o.from)));
    addBucket(intervals[i] as BucketCounts, b);
  }
  const featureReports = layouts.map((l) => featureReport(l, total.features[l.feature.name], profile, o));
  const errors = sum(total.errors);
  return {
    requests: total.requests,
    rows: total.rows,
    errors: total.errors,
    errorRate: ratio(errors, total.requests),
    latencyMs: { p50: latencyQuantile(total.latency, 0.5), p95: latencyQuantile(total.latency, 0.95), p99: latencyQuantile(total.latency, 0.99) },
    features: featureReports,
    drifted: featureReports.filter((f) => f.drift === true).map((f) => f.name),
    shadow: Object.keys(total.shadow)
      .sort()
      .map((version) => {
        const s = total.shadow[version] as ShadowCounts;
        return {
          version,
          requests: s.requests,
          compared: s.requests - s.failed - s.dropped,
          failed: s.failed,
          dropped: s.dropped,
          rows: s.rows,
          agreement: ratio(s.agreed, s.rows),
          meanAbsDiff: ratio(s.absDiffSum, s.numericRows),
          classAgreement: ratio(s.classAgreed, s.classRows),
        };
      }),
    predictionLog: { ...total.log },
    timeline: intervals.map((b) => ({
      start: new Date(b.start).toISOString(),
      requests: b.requests,
      errors: sum(b.errors),
      latencyMs: { p50: latencyQuantile(b.latency, 0.5), p95: latencyQuantile(b.latency, 0.95) },
      psi: Object.fromEntries(layouts.map((l) => [l.feature.name, featurePsi(l, b.features[l.feature.name], o.minRows)])),
    })),
  };
}
