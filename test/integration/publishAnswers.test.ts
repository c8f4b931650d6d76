import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleModelsDir } from '../../scripts/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * What PUT /api/models/{name}/versions/{version} answers a publish that cannot work, through
 * the real host with the master key: each wrong part named (singular or plural), an unknown
 * part by its name with the parts there are, a model file that is not an .rds, and a
 * prototype that lacks a column the model uses; nothing is published for any of them.
 */
let stack: Stack;
const lm = join(sampleModelsDir, 'mtcars-lm');

beforeAll(async () => {
  stack = await startStack({ R_WORKERS: '1' });
});

afterAll(async () => {
  await stack?.close();
});

interface Problem {
  code: string;
  detail: string;
  errors: { field: string; pointer: string }[];
}

async function put(version: string, parts: Record<string, Blob | string>): Promise<{ status: number; problem: Problem }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value === 'string') form.set(name, value);
    else form.set(name, value, name === 'prototype' ? 'train.csv' : `${name}.rds`);
  }
  const res = await stack.call(`/api/models/publish-answers/versions/${version}`, { method: 'PUT', key: stack.host.masterKey, body: form });
  return { status: res.status, problem: (await res.json()) as Problem };
}

const fileOf = async (path: string) => new Blob([await readFile(path)]);
const csv = (rows: string[]) => new Blob([`${rows.join('\n')}\n`]);

describe('publishing over HTTP, refused', () => {
  it('names the missing file in the singular, and an unknown part with the parts there are', async () => {
    const one = await put('1', { model: await fileOf(join(lm, 'model.rds')) });
    expect(one.status).toBe(400);
    expect(one.problem.detail).toBe("The file 'prototype' is needed.");
    expect(one.problem.errors.map((e) => e.field)).toEqual(['prototype']);

    const unknown = await put('1', { models: await fileOf(join(lm, 'model.rds')), prototype: await fileOf(join(lm, 'prototype.csv')) });
    expect(unknown.status).toBe(400);
    expect(unknown.problem.code).toBe('invalid_request');
    expect(unknown.problem.detail).toMatch(/^The part 'models' is unknown: the parts are the files 'model', 'prototype' and, optionally, 'score', and the fields .*'aliases'.* The file 'model' is needed\.$/);
    expect(unknown.problem.errors.map((e) => [e.field, e.pointer])).toEqual([
      ['models', '/models'],
      ['model', '/model'],
    ]);
  });

  it('says a model file that is not an .rds is not one saved with saveRDS()', async () => {
    const res = await put('1', { model: csv(['mpg,wt', '21,2.62']), prototype: await fileOf(join(lm, 'prototype.csv')) });
    expect(res.status).toBe(422);
    expect(res.problem.code).toBe('describe_failed');
    expect(res.problem.detail).toMatch(/^describing the model failed: the model file \(model\.rds\) is not an \.rds file saved with saveRDS\(\)/);
  });

  it('names the column a prototype lacks, with no advice about score.R or --types', async () => {
    const res = await put('1', { model: await fileOf(join(lm, 'model.rds')), prototype: csv(['mpg,wt', '21,2.62', '22.8,2.32', '21.4,3.215']) });
    expect(res.status).toBe(422);
    expect(res.problem.code).toBe('describe_failed');
    expect(res.problem.detail).toMatch(/^describing the model failed: the prototype lacks the columns 'hp' and 'cyl', which the model uses/);
    expect(res.problem.detail).not.toMatch(/score\.R|--types|describe failed/);
    expect((await stack.call('/api/models/publish-answers')).status).toBe(404);
  });
});
