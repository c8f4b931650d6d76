import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { appRoot } from '../../functions/paths.js';
import { models } from '../../functions/runtime.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * Hostile input against every scoring path: each generated body must get a 4xx
 * problem+json, never a 5xx, never reach R, and never carry a stack trace or an R
 * traceback.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ MAX_BODY_BYTES: '65536', MAX_ROWS: '100' });
  const rf = join(sampleModelsDir, 'boston-rf');
  await publishModel(stack.store, { model: join(rf, 'model.rds'), schema: join(rf, 'model.json'), score: join(appRoot, 'test/fixtures/echo-score.R'), name: 'echo', version: '1' });
  // Load both models before counting R calls.
  for (const path of ['/api/score', '/api/models/penguins-rf/score']) await stack.post(path, { data: [] });
});

afterAll(async () => {
  await stack?.close();
});

const boston = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
const penguin = { island: 'Dream', bill_length_mm: 40, bill_depth_mm: 18, flipper_length_mm: 190, body_mass_g: 3800, sex: 'male' };
const fields = Object.keys(boston);

interface Attack {
  path: string;
  body: string;
  type: string;
}

const json = (path: string, body: string): Attack => ({ path, body, type: 'application/json' });
const validText = JSON.stringify({ data: [boston, boston] });
const numberField = fc.constantFrom(...fields);
const paths = fc.constantFrom('/api/score', '/api/models/boston-rf/score', '/api/models/boston-rf/versions/1/score', '/api/models/boston-rf/versions/production/score');

const attacks: fc.Arbitrary<Attack> = fc.oneof(
  // malformed and truncated JSON
  fc.tuple(paths, fc.string({ maxLength: 200 })).map(([p, s]) => json(p, `{${s}`)),
  fc.tuple(paths, fc.integer({ min: 0, max: validText.length - 2 })).map(([p, cut]) => json(p, validText.slice(0, cut))),
  // NaN and Infinity literals, which JSON does not have
  fc.tuple(paths, numberField, fc.constantFrom('NaN', 'Infinity', '-Infinity', 'nan', 'undefined')).map(([p, f, lit]) => json(p, validText.replace(`"${f}":${JSON.stringify((boston as Record<string, number>)[f])}`, `"${f}":${lit}`))),
  // "NA" and "Inf" strings, 1e309, integers beyond 2^53 and 32 bits
  fc.tuple(paths, numberField, fc.constantFrom('"NA"', '"Inf"', '"-Inf"', '"NaN"', '1e309', '-1e309', '"1.5"', 'true', '[]', '{}')).map(([p, f, v]) => json(p, JSON.stringify({ data: [{ ...boston, [f]: '__V__' }] }).replace('"__V__"', v))),
  // deep nesting
  fc.tuple(paths, fc.integer({ min: 100, max: 10_000 })).map(([p, depth]) => json(p, `{"data":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
  // huge keys, __proto__ and constructor keys, unknown and missing fields
  fc.tuple(paths, fc.integer({ min: 1000, max: 20_000 })).map(([p, n]) => json(p, JSON.stringify({ data: [{ ...boston, ['k'.repeat(n)]: 1 }] }))),
  fc.tuple(paths, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString')).map(([p, k]) => json(p, JSON.stringify({ data: [boston] }).replace('"crim"', `"${k}":{"polluted":true},"crim"`))),
  fc.tuple(paths, fc.constantFrom('__proto__', 'constructor')).map(([p, k]) => json(p, `{"${k}":{"data":[]},"columns":["${k}"],"data":[[1]]}`)),
  fc.tuple(paths, fc.subarray(fields, { minLength: 1 })).map(([p, drop]) => json(p, JSON.stringify({ data: [Object.fromEntries(Object.entries(boston).filter(([k]) => !drop.includes(k)))] }))),
  fc.tuple(paths, fc.string({ minLength: 1, maxLength: 30 }).filter((k) => !fields.includes(k))).map(([p, k]) => json(p, JSON.stringify({ data: [{ ...boston, [k]: 1 }] }))),
  // wrong content types and empty bodies
  fc.tuple(paths, fc.constantFrom('text/plain', 'text/csv', 'application/x-www-form-urlencoded', 'application/rds', 'application/octet-stream', 'multipart/form-data; boundary=x', '')).map(([p, t]) => ({ path: p, body: validText, type: t })),
  fc.tuple(paths, fc.constantFrom('', ' ', '\n', 'null', '[]', '""', '0')).map(([p, b]) => json(p, b)),
  // unseen factor levels, huge strings, too many rows, bodies over the limit
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !['Biscoe', 'Dream', 'Torgersen'].includes(s)).map((island) => json('/api/models/penguins-rf/score', JSON.stringify({ data: [{ ...penguin, island }] }))),
  fc.integer({ min: 10_000, max: 60_000 }).map((n) => json('/api/models/penguins-rf/score', JSON.stringify({ data: [{ ...penguin, sex: 'x'.repeat(n) }] }))),
  fc.integer({ min: 101, max: 300 }).map((n) => json('/api/score', JSON.stringify({ data: Array.from({ length: n }, () => boston) }))),
  fc.integer({ min: 70_000, max: 200_000 }).map((n) => json('/api/score', `{"data":[{"crim":"${'x'.repeat(n)}"}]}`)),
  // prediction types that do not exist, bodies of the wrong shape
  fc.tuple(paths, fc.string({ maxLength: 20 }).filter((t) => t !== 'response')).map(([p, t]) => json(p, JSON.stringify({ data: [boston], type: t }))),
  fc.tuple(paths, fc.jsonValue()).filter(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length > 0).map(([p, v]) => json(p, JSON.stringify({ data: v }))),
);

const TRACE = /\bat \S+ \(|\.ts:\d+|\.js:\d+|Error in |Traceback|Calls:/;

describe('hostile input', () => {
  it('answers 10,000 generated bodies with a 4xx problem, none reaching R', async () => {
    const callsBefore = models().pools().reduce((n, p) => n + p.stats.calls, 0);
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(attacks, async (attack) => {
        const before = models().pools().reduce((n, p) => n + p.stats.calls, 0);
        const res = await stack.call(attack.path, { method: 'POST', headers: attack.type ? { 'content-type': attack.type } : {}, body: attack.body });
        const text = await res.text();
        const reachedR = models().pools().reduce((n, p) => n + p.stats.calls, 0) - before;
        expect(reachedR, `reached R: ${attack.path} ${attack.type} ${attack.body.slice(0, 300)}`).toBe(0);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${attack.path} ${attack.type} ${attack.body.slice(0, 120)}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(text).not.toMatch(TRACE);
        const problem = JSON.parse(text) as { status: number; code: string };
        expect(problem.status).toBe(res.status);
      }),
      { numRuns: 10_000 },
    );
    const callsAfter = models().pools().reduce((n, p) => n + p.stats.calls, 0);
    expect(callsAfter).toBe(callsBefore);
    console.log(`fuzz: 10000 bodies, statuses ${JSON.stringify(Object.fromEntries(statuses))}, R calls ${callsAfter - callsBefore}`);
  }, 600_000);

  it('keeps 15 significant digits of every valid value through the whole path', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 20 }), async (values) => {
        const res = await stack.post('/api/models/echo/score', { data: values.map((crim) => ({ ...boston, crim })) });
        expect(res.status).toBe(200);
        const back = ((await res.json()) as { predictions: number[] }).predictions;
        values.forEach((v, i) => expect(Number((back[i] as number).toPrecision(15))).toBe(Number(v.toPrecision(15))));
      }),
      { numRuns: 200 },
    );
  });
});
