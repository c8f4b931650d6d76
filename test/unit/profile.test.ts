import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUCKET_MS, versionReport, VersionCounts } from '../../functions/monitoring/liveCounts.js';
import { binOf, featurePsi, psi, readProfile, shares, timeNumber, type FeatureProfile } from '../../functions/monitoring/profile.js';
import { rHandlerDir } from '../../functions/paths.js';
import { parseModelSchema, type Feature } from '../../functions/scoring/modelSchema.js';
import { sampleModelsDir } from '../../scripts/samples.js';

describe('population stability index', () => {
  it('is zero for the same shares and grows with the shift', () => {
    const ref = [0.25, 0.25, 0.25, 0.25];
    expect(psi(ref, ref)).toBe(0);
    const small = psi(ref, [0.3, 0.25, 0.25, 0.2]);
    const large = psi(ref, [0.7, 0.1, 0.1, 0.1]);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.25);
    // (0.7-0.25)ln(0.7/0.25) + 3 (0.1-0.25)ln(0.1/0.25)
    expect(large).toBeCloseTo(0.45 * Math.log(2.8) + 3 * -0.15 * Math.log(0.4), 12);
  });

  it('stays finite when a bin is empty on one side', () => {
    expect(Number.isFinite(psi([0.5, 0.5, 0], [0.4, 0.4, 0.2]))).toBe(true);
    expect(() => psi([1], [0.5, 0.5])).toThrow(/same bins/);
  });

  it('bins numbers as R does (left-open intervals)', () => {
    expect([-5, 1, 1.5, 2, 9].map((x) => binOf([1, 2], x))).toEqual([0, 0, 1, 1, 2]);
    expect(shares([1, 3])).toEqual([0.25, 0.75]);
    expect(shares([0, 0])).toEqual([0, 0]);
  });
});

describe('feature PSI against the reference profile', () => {
  const numeric: FeatureProfile = { kind: 'numeric', breaks: [10, 20, 30], shares: [0.25, 0.25, 0.25, 0.25], nullShare: 0 };
  const levels: FeatureProfile = { kind: 'levels', shares: { a: 0.5, b: 0.5 }, nullShare: 0 };

  it('is low for values spread as in training, high for shifted numbers and for unseen levels', () => {
    const like = [5, 15, 25, 35, 6, 16, 26, 36];
    expect(featurePsi(numeric, like)).toBe(0);
    expect(featurePsi(numeric, like.map((x) => x + 20))).toBeGreaterThan(0.25);
    expect(featurePsi(levels, ['a', 'b', 'a', 'b'])).toBe(0);
    expect(featurePsi(levels, ['a', 'c', 'c', 'c'])).toBeGreaterThan(0.25);
    // Missing values are the null share's business, not the bins'.
    expect(featurePsi(levels, ['a', 'b', null, undefined])).toBe(0);
  });
});

describe('dates, date-times and difftimes', () => {
  const day: Feature = { name: 'day', type: 'date', min: '2024-01-01', max: '2024-01-31' };
  const at: Feature = { name: 'at', type: 'datetime', timezone: 'America/New_York', min: '2024-01-01T05:00:00Z', max: '2024-01-02T05:00:00Z' };
  const wait: Feature = { name: 'wait', type: 'difftime', units: 'days', min: 0, max: 2 };
  const jan = (d: number) => `2024-01-${String(d).padStart(2, '0')}`;

  it("are profiled as R's numbers: days since 1970-01-01, seconds since the epoch, the difftime's own number", () => {
    expect(timeNumber(day)?.('2024-02-15')).toBe(19768);
    // Without an offset, in the feature's time zone (EST in February).
    expect(timeNumber(at)?.('2024-02-15 10:30:00')).toBe(Date.parse('2024-02-15T15:30:00Z') / 1000);
    expect(timeNumber(at)?.('2024-02-15T10:30:00Z')).toBe(Date.parse('2024-02-15T10:30:00Z') / 1000);
    expect(timeNumber(wait)).toBeUndefined();
  });

  it('bin live values against the reference as numbers, and count those outside the training range', () => {
    // Deciles of 1-30 January 2024 in days since 1970-01-01 (19723 is 1 January): three days a bin.
    const breaks = [2, 5, 8, 11, 14, 17, 20, 23, 26].map((d) => 19723 + d);
    const profile = { rows: 31, bins: 10, features: { day: { kind: 'numeric' as const, breaks, shares: new Array(10).fill(0.1), nullShare: 0 } } };
    const january = Array.from({ length: 30 }, (_, i) => jan(i + 1));
    expect(featurePsi(profile.features.day, january, day)).toBeCloseTo(0, 10);
    expect(featurePsi(profile.features.day, january.map((d) => d.replace('2024-01', '2024-03')), day)).toBeGreaterThan(0.25);

    const counts = new VersionCounts([day, at, wait], profile);
    const t0 = Date.UTC(2025, 0, 1);
    counts.observeRows({ day: [...january, '2024-02-01', null], at: new Array(32).fill('2024-01-01 12:00'), wait: new Array(32).fill(3) }, 32, t0);
    const report = versionReport(counts.buckets(t0), [day, at, wait], profile, { from: t0, to: t0 + BUCKET_MS, psiThreshold: 0.25, minRows: 10, points: 1 });
    const [dayReport, atReport, waitReport] = report.features;
    expect(dayReport?.psi).toBeCloseTo(featurePsi(profile.features.day, [...january, '2024-02-01'], day), 12);
    expect(dayReport?.outOfRangeShare).toBeCloseTo(1 / 31, 12);
    expect(dayReport?.bins[0]?.label).toBe('(-Inf, 2024-01-03]');
    expect(atReport?.outOfRangeShare).toBe(0);
    expect(waitReport?.outOfRangeShare).toBe(1);
  });
});

describe('the profile describe writes', () => {
  it('is read from model.json with the PSI of the prototype against itself zero', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'profile-'));
    const out = join(dir, 'model.json');
    const penguins = join(sampleModelsDir, 'penguins-rf');
    await execa('Rscript', [join(rHandlerDir, 'describe.R'), '--model', join(penguins, 'model.rds'), '--prototype', join(penguins, 'prototype.rds'), '--score', join(penguins, 'score.R'), '--response', 'species', '--out', out]);
    const schema = parseModelSchema(await readFile(out, 'utf8'));
    const profile = schema.profile;
    expect(profile?.rows).toBe(344);
    expect(Object.keys(profile?.features ?? {}).sort()).toEqual(schema.features.map((f) => f.name).sort());
    const bill = profile?.features.bill_length_mm;
    expect(bill?.kind).toBe('numeric');
    const { stdout } = await execa('Rscript', ['-e', `p <- readRDS("${join(penguins, 'prototype.rds')}"); cat(jsonlite::toJSON(list(bill = p$bill_length_mm, island = as.character(p$island)), digits = NA, na = "null"))`]);
    const proto = JSON.parse(stdout) as { bill: (number | null)[]; island: string[] };
    expect(featurePsi(bill as FeatureProfile, proto.bill)).toBeCloseTo(0, 10);
    expect(featurePsi(profile?.features.island as FeatureProfile, proto.island)).toBeCloseTo(0, 10);
    expect(readProfile(undefined)).toBeUndefined();
  });
});
