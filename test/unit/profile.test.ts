import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binOf, featurePsi, psi, readProfile, shares, type FeatureProfile } from '../../functions/monitoring/profile.js';
import { rHandlerDir } from '../../functions/paths.js';
import { parseModelSchema } from '../../functions/scoring/modelSchema.js';
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
