import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { rPredict, rRecords } from '../helpers/r.js';
import { startStack, type Stack } from '../helpers/stack.js';

interface ScoreBody {
  model: { name: string; version: string };
  type: string;
  predictions: unknown[];
  requestId: string;
}

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; row?: number; pointer: string; message: string }[];
}

const bostonRow = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ MAX_ROWS: '1000', MAX_BODY_BYTES: '200000', SCORE_TIMEOUT_MS: '2000', SCORE_QUEUE_LIMIT: '4', MICRO_BATCH_MAX_ROWS: '1' });
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures/slow-score.R'), name: 'slow', version: '1' });
});

afterAll(async () => {
  await stack?.close();
});

async function problem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Problem;
  expect(body.status).toBe(status);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+|Error in |Traceback/);
  return body;
}

describe('POST /api/score and model routes, end to end', () => {
  it('scores 200 Boston rows equal to R predict(), double for double', async () => {
    const rows = 'proto[1:200, setdiff(names(proto), "medv")]';
    const [records, expected] = await Promise.all([rRecords('boston-rf', rows), rPredict('boston-rf', rows)]);
    const res = await stack.post('/api/score', { data: records });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScoreBody;
    expect(body.model).toEqual({ name: 'boston-rf', version: '1' });
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.predictions).toHaveLength(200);
    body.predictions.forEach((p, i) => expect(Object.is(p, expected[i])).toBe(true));
  });

  it('takes a fraction for an integer column the model uses as a number, equal to R', async () => {
    // chas, rad and tax are integers in the training data; R's model frame reads them as numbers.
    const rows = 'within(proto[1:5, setdiff(names(proto), "medv")], { chas <- chas + 0.5; rad <- rad + 0.25; tax <- tax + 0.5 })';
    const [records, expected] = await Promise.all([rRecords('boston-rf', rows), rPredict('boston-rf', rows)]);
    expect(records[0]?.chas).toBe(0.5);
    const res = await stack.post('/api/score', { data: records });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScoreBody;
    body.predictions.forEach((p, i) => expect(Object.is(p, expected[i])).toBe(true));
  });

  it('scores penguins (with missing values) as classes and as probabilities, equal to R', async () => {
    const rows = 'proto[c(1:10, which(!complete.cases(proto))), setdiff(names(proto), "species")]';
    const [records, classes, probs] = await Promise.all([rRecords('penguins-rf', rows), rPredict('penguins-rf', rows), rPredict('penguins-rf', rows, 'prob')]);
    const asClass = (await (await stack.post('/api/models/penguins-rf/score', { data: records })).json()) as ScoreBody;
    expect(asClass.type, JSON.stringify(asClass)).toBe('class');
    expect(asClass.predictions).toEqual(classes);
    const asProb = (await (await stack.post('/api/models/penguins-rf/versions/production/score', { df: records, type: 'prob' })).json()) as ScoreBody;
    expect(asProb.predictions).toEqual(probs);
  });

  it('scores the mtcars ridge model (custom score.R) in split form equal to R', async () => {
    const rows = 'proto[, setdiff(names(proto), "mpg")]';
    const [records, expected] = await Promise.all([rRecords('mtcars-ridge', rows), rPredict('mtcars-ridge', rows)]);
    const columns = Object.keys(records[0] as object);
    const res = await stack.post('/api/models/mtcars-ridge/versions/1/score', { columns, data: records.map((r) => columns.map((c) => r[c])) });
    const body = (await res.json()) as ScoreBody;
    body.predictions.forEach((p, i) => expect(Object.is(p, expected[i])).toBe(true));
  });

  it('accepts a single object as one row', async () => {
    const body = (await (await stack.post('/api/score', { data: bostonRow })).json()) as ScoreBody;
    expect(body.predictions).toHaveLength(1);
    expect(typeof body.predictions[0]).toBe('number');
  });

  it('requires a function key on scoring and model routes, not on health', async () => {
    expect((await stack.post('/api/score', { data: bostonRow }, { key: null })).status).toBe(401);
    expect((await stack.post('/api/score', { data: bostonRow }, { key: 'wrong' })).status).toBe(401);
    expect((await stack.call('/api/models', { key: null })).status).toBe(401);
    expect((await stack.call(`/api/models?code=${stack.host.functionKey}`, { key: null })).status).toBe(200);
    expect((await stack.call('/api/health/live', { key: null })).status).toBe(200);
    expect((await stack.call('/api/health/ready', { key: null })).status).toBe(200);
  });

  it('answers 404 for an unknown model or version', async () => {
    expect((await problem(await stack.post('/api/models/nope/score', { data: bostonRow }), 404)).code).toBe('model_not_found');
    expect((await problem(await stack.post('/api/models/boston-rf/versions/9/score', { data: bostonRow }), 404)).code).toBe('version_not_found');
    expect((await problem(await stack.call('/api/models/nope'), 404)).code).toBe('model_not_found');
    expect((await problem(await stack.call('/api/models/boston-rf/versions/staging'), 404)).code).toBe('version_not_found');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await stack.call('/api/score', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'crim,zn\n1,2' });
    expect((await problem(res, 415)).code).toBe('unsupported_media_type');
  });

  it('answers 400 for malformed JSON and for a body of the wrong shape', async () => {
    expect((await problem(await stack.post('/api/score', '{"data": [{"crim": 1'), 400)).code).toBe('malformed_json');
    expect((await problem(await stack.post('/api/score', '[1,2]'), 400)).code).toBe('invalid_request');
    expect((await problem(await stack.post('/api/score', { rows: [] }), 400)).errors?.[0]?.pointer).toBe('/rows');
    expect((await problem(await stack.post('/api/score', { data: [] }), 400)).code).toBe('invalid_request');
  });

  it('answers 413 over the body size or the row limit', async () => {
    const big = { data: Array.from({ length: 3000 }, () => bostonRow) };
    expect((await problem(await stack.post('/api/score', big), 413)).code).toBe('payload_too_large');
    const many = { data: Array.from({ length: 1001 }, () => ({ crim: 1 })) };
    expect((await problem(await stack.post('/api/score', many), 413)).code).toBe('too_many_rows');
  });

  it('answers 422 with one entry per bad field: row index and JSON pointer', async () => {
    // chas is an integer column the forest uses as a number: 0.5 is accepted, as R's model frame takes it.
    const rows = [bostonRow, { ...bostonRow, crim: 'high', chas: 0.5, rad: true }, { ...bostonRow, lstat: undefined, extra: 1 }, { ...bostonRow, rm: null }];
    const body = await problem(await stack.post('/api/score', { data: rows }), 422);
    expect(body.code).toBe('invalid_input');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'crim', row: 1, pointer: '/data/1/crim', message: 'must be a number' }),
        expect.objectContaining({ field: 'rad', row: 1, pointer: '/data/1/rad', message: 'must be a number' }),
        expect.objectContaining({ field: 'lstat', row: 2, pointer: '/data/2/lstat', message: 'is missing or NA; this model cannot score without it' }),
        expect.objectContaining({ field: 'extra', row: 2, pointer: '/data/2/extra', message: 'is not an input of this model' }),
        expect.objectContaining({ field: 'rm', row: 3, pointer: '/data/3/rm' }),
      ]),
    );
  });

  it('names unseen factor levels, in split form with column pointers', async () => {
    const body = await problem(
      await stack.post('/api/models/penguins-rf/score', { columns: ['island', 'sex'], data: [['Dream', 'male'], ['Atlantis', 'unknown']] }),
      422,
    );
    expect(body.errors).toEqual([
      expect.objectContaining({ field: 'island', row: 1, pointer: '/data/1/0', message: expect.stringContaining('Biscoe, Dream, Torgersen') }),
      expect.objectContaining({ field: 'sex', row: 1, pointer: '/data/1/1' }),
    ]);
  });

  it('answers 422 for a prediction type the model does not offer', async () => {
    const body = await problem(await stack.post('/api/score', { data: bostonRow, type: 'prob' }), 422);
    expect(body.code).toBe('unsupported_type');
    expect(body.errors?.[0]?.pointer).toBe('/type');
  });

  it('lists models, versions, aliases, and a version\'s schema with an example request that scores', async () => {
    const list = (await (await stack.call('/api/models')).json()) as { models: { name: string; aliases: Record<string, string> }[] };
    expect(list.models.map((m) => m.name)).toEqual(['boston-rf', 'mtcars-ridge', 'penguins-rf', 'slow']);
    expect(list.models[0]?.aliases).toEqual({ latest: '1', production: '1' });
    const model = (await (await stack.call('/api/models/penguins-rf')).json()) as { versions: string[]; defaultVersion: string };
    expect(model).toMatchObject({ versions: ['1'], defaultVersion: '1' });
    const version = (await (await stack.call('/api/models/penguins-rf/versions/production')).json()) as {
      inputSchema: { properties: Record<string, unknown> };
      exampleRequest: unknown;
      predictionTypes: Record<string, unknown>;
    };
    expect(Object.keys(version.inputSchema.properties)).toContain('island');
    expect(Object.keys(version.predictionTypes)).toEqual(['class', 'prob']);
    const scored = await stack.post('/api/models/penguins-rf/score', version.exampleRequest);
    expect(scored.status).toBe(200);
  });

  it('serves an OpenAPI 3 document with each model\'s rows as a typed request body', async () => {
    const doc = (await (await stack.call('/api/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, { type?: unknown; enum?: unknown }> }> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/score', '/models/boston-rf/score', '/models/penguins-rf/score']));
    expect(doc.components.schemas.Row_boston_rf?.properties?.crim).toEqual({ type: 'number' });
    expect(doc.components.schemas.Row_penguins_rf?.properties?.island?.enum).toEqual(['Biscoe', 'Dream', 'Torgersen', null]);

    // A valid OpenAPI document, describing every route the app registers, by method.
    const validation = await new Validator().validate(doc as never);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => [path.split('/').filter(Boolean), m.toUpperCase()] as const));
    for (const fn of stack.host.core.functions) {
      const trigger = Object.values(fn.bindings).find((b) => b.type === 'httpTrigger');
      // The pages (/api/docs, /api/console) are HTML for people, not operations of the API.
      if (!trigger || fn.name === 'openApi' || /^(docs|console)(\/|$)/.test(String(trigger.route))) continue;
      const route = String(trigger.route).split('/');
      for (const method of trigger.methods as string[]) {
        const found = described.some(([segments, m]) => m === method && segments.length === route.length && route.every((r, i) => r === segments[i] || /^\{\w+\}$/.test(r)));
        expect(found, `${method} /${trigger.route}`).toBe(true);
      }
    }
  });

  it('answers 504 when R takes longer than the timeout, and recycles that worker', async () => {
    // R sleeps 30 s on this row and would then answer 200: a 504 "timeout" is the 2 s timeout's doing (no clock needed).
    const body = await problem(await stack.post('/api/models/slow/score', { data: { wt: 999, hp: 100, cyl: 4 } }), 504);
    expect(body.code).toBe('timeout');
    const ok = await stack.post('/api/models/slow/score', { data: { wt: 3, hp: 100, cyl: 4 } });
    expect(ok.status).toBe(200);
  });

  it('answers 503 with Retry-After when requests for a model would wait beyond the queue limit', async () => {
    const hung = Array.from({ length: 8 }, () => stack.post('/api/models/slow/score', { data: { wt: 999, hp: 100, cyl: 4 } }));
    const statuses = await Promise.all(hung.map(async (p) => {
      const res = await p;
      return { status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as Problem).code };
    }));
    const refused = statuses.filter((s) => s.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((s) => s.code === 'overloaded' && Number(s.retryAfter) >= 1)).toBe(true);
    expect(statuses.filter((s) => s.status === 504).length).toBeGreaterThanOrEqual(1);
  });
});
