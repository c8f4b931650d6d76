/**
 * Input drift, pure: the reference profile `describe` writes into model.json (from the
 * prototype) and the population stability index of live inputs against it.
 */
import type { Feature } from '../scoring/modelSchema.js';
import { dateDays, dateTimeSeconds, formatDays } from '../scoring/timeInputs.js';

/** A number's deciles (cut points) and the share of rows in each bin; or each value's share. */
export type FeatureProfile =
  | { kind: 'numeric'; breaks: number[]; shares: number[]; nullShare: number }
  | { kind: 'levels'; shares: Record<string, number>; nullShare: number };

export interface ReferenceProfile {
  rows: number;
  bins: number;
  features: Record<string, FeatureProfile>;
}

const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** The profile in a model.json, or undefined if it has none (published before profiles, or without a prototype). */
export function readProfile(raw: unknown): ReferenceProfile | undefined {
  const p = raw as { rows?: unknown; bins?: unknown; features?: Record<string, Record<string, unknown>> } | null | undefined;
  if (!p || typeof p !== 'object' || typeof p.features !== 'object' || p.features === null) return undefined;
  const features: Record<string, FeatureProfile> = {};
  for (const [name, f] of Object.entries(p.features)) {
    const nullShare = typeof f.nullShare === 'number' ? f.nullShare : 0;
    if (f.kind === 'numeric') {
      // A single cut point or share is written by R as a scalar.
      const breaks = typeof f.breaks === 'number' ? [f.breaks] : f.breaks;
      const shares = typeof f.shares === 'number' ? [f.shares] : f.shares;
      if (isNumberArray(breaks) && isNumberArray(shares) && shares.length === breaks.length + 1) features[name] = { kind: 'numeric', breaks, shares, nullShare };
    } else if (f.kind === 'levels' && f.shares && typeof f.shares === 'object' && !Array.isArray(f.shares)) {
      features[name] = { kind: 'levels', shares: f.shares as Record<string, number>, nullShare };
    }
  }
  return { rows: typeof p.rows === 'number' ? p.rows : 0, bins: typeof p.bins === 'number' ? p.bins : 10, features };
}

/**
 * How a date's or date-time's values (ISO text) become the numbers its profile holds, as R's
 * as.numeric() gives them: days since 1970-01-01 for a Date, seconds since the epoch for a
 * POSIXct; NaN for what is not one. Undefined for every other type: numbers (a difftime's
 * too, in its units) are their own numbers, and levels are not numbers.
 */
export function timeNumber(feature: Feature): ((v: unknown) => number) | undefined {
  if (feature.type === 'date') return (v) => (typeof v === 'string' ? dateDays(v) : NaN);
  if (feature.type === 'datetime') {
    const timezone = feature.timezone ?? 'UTC';
    return (v) => (typeof v === 'string' ? dateTimeSeconds(v, timezone) : NaN);
  }
  return undefined;
}

/** Whether a feature is profiled as numbers (numbers, integers, dates, date-times, difftimes), not as levels. */
export const profiledAsNumbers = (feature: Feature): boolean => feature.type !== 'factor' && feature.type !== 'logical' && feature.type !== 'character';

/** A number of a feature's profile in words: a date for a Date, an ISO instant for a POSIXct, else six significant digits. */
export function profileNumberText(feature: Feature, x: number): string {
  if (feature.type === 'date') return formatDays(x);
  if (feature.type === 'datetime') return Number.isFinite(x) && Math.abs(x) < 8.64e12 ? new Date(Math.round(x) * 1000).toISOString().replace('.000Z', 'Z') : String(x);
  return String(Number(x.toPrecision(6)));
}

/** The bin of a number: (-Inf, b1] is 0, (b1, b2] is 1, ..., (bk, Inf) is k; as R's findInterval(left.open = TRUE). */
export function binOf(breaks: number[], x: number): number {
  let lo = 0;
  let hi = breaks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > (breaks[mid] as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Smallest share a bin is counted with, so an empty bin on either side gives a large but finite index. */
export const PSI_FLOOR = 1e-4;

/**
 * The population stability index of live shares against reference shares over the same
 * bins: the sum of (live - ref) * ln(live / ref), each share floored at PSI_FLOOR. Common
 * reading: below 0.1 stable, 0.1 to 0.25 some shift, above 0.25 drifted.
 */
export function psi(reference: number[], live: number[]): number {
  if (reference.length !== live.length) throw new Error('psi: the shares must be over the same bins');
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i] as number, PSI_FLOOR);
    const l = Math.max(live[i] as number, PSI_FLOOR);
    sum += (l - r) * Math.log(l / r);
  }
  return sum;
}

/** Shares from counts (all zero: all zero). */
export function shares(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return total === 0 ? counts.map(() => 0) : counts.map((c) => c / total);
}

/**
 * The PSI of live values of one feature against its reference profile. Levels the
 * reference never saw count in a bin of their own (share 0 in the reference). Dates and
 * date-times (given `feature`) count as their numbers (see timeNumber).
 */
export function featurePsi(profile: FeatureProfile, values: unknown[], feature?: Feature): number {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (profile.kind === 'numeric') {
    const toNumber = feature ? timeNumber(feature) : undefined;
    const counts = new Array<number>(profile.breaks.length + 1).fill(0);
    for (const value of present) {
      const v = typeof value === 'number' ? value : toNumber ? toNumber(value) : NaN;
      if (Number.isFinite(v)) (counts[binOf(profile.breaks, v)] as number)++;
    }
    return psi(profile.shares, shares(counts));
  }
  const levels = Object.keys(profile.shares);
  const counts = new Array<number>(levels.length + 1).fill(0);
  for (const v of present) {
    const i = levels.indexOf(String(v));
    (counts[i < 0 ? levels.length : i] as number)++;
  }
  return psi([...levels.map((l) => profile.shares[l] as number), 0], shares(counts));
}
