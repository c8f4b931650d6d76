import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { until } from '../helpers/traffic.js';

/**
 * What R users send by habit (jsonlite's row names and dropped NA fields, write.csv's row
 * name column), and what they see when R fails: the request id to find R's message in the
 * log, which the answer itself leaves out unless SHOW_R_ERRORS is on (it is off here).
 */

interface Problem {
  status: number;
  code: string;
  detail: string;
  requestId?: string;
  model?: { name: string; version: string };
  errors?: { field: string; row?: number; pointer: string; message: string }[];
}

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ R_WORKERS: '1' });
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), name: 'mtcars-lm', version: '1' });
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures/fragile-score.R'), name: 'fragile', version: '1' });
});

afterAll(async () => {
  await stack?.close();
});

/** The text an R expression prints, as a user's R session would produce it. */
async function r(expression: string): Promise<string> {
  return (await execa('Rscript', ['-e', expression])).stdout;
}

async function problem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as Problem;
}

describe('R users', () => {
  it("scores jsonlite::toJSON(df) as sent: \"_row\" is each row's name, given back beside the predictions", async () => {
    const body = await r('cat(jsonlite::toJSON(list(data = mtcars[c(1, 3, 5), c("wt", "hp", "cyl")]), digits = NA))');
    expect(body).toContain('"_row":"Mazda RX4"');
    const model = join(sampleModelsDir, 'mtcars-lm', 'model.rds');
    const expected = JSON.parse(`[${await r(`cat(sprintf("%.17g", predict(readRDS("${model}"), mtcars[c(1, 3, 5), ])), sep = ",")`)}]`) as number[];
    const res = await stack.post('/api/models/mtcars-lm/score', body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { predictions: number[]; rowNames: string[] };
    expect(answer.rowNames).toEqual(['Mazda RX4', 'Datsun 710', 'Hornet Sportabout']);
    expect(answer.predictions).toEqual(expected);
  });

  it('says a value jsonlite dropped as NA is missing or NA, naming the field', async () => {
    const body = await r('cat(jsonlite::toJSON(list(data = data.frame(wt = c(2.5, NA), hp = c(110, 120), cyl = c(4, NA)))))');
    expect(body).toBe('{"data":[{"wt":2.5,"hp":110,"cyl":4},{"hp":120}]}');
    const answer = await problem(await stack.post('/api/models/mtcars-lm/score', body), 422);
    expect(answer.errors).toEqual([
      { field: 'wt', row: 1, message: 'is missing or NA; this model cannot score without it', pointer: '/data/1/wt' },
      { field: 'cyl', row: 1, message: 'is missing or NA; this model cannot score without it', pointer: '/data/1/cyl' },
    ]);
    const nulls = await problem(await stack.post('/api/models/mtcars-lm/score', { data: [{ wt: null, hp: 110, cyl: 4 }] }), 422);
    expect(nulls.errors?.[0]).toMatchObject({ field: 'wt', message: 'is missing or NA; this model cannot score without it' });
  });

  it('names the default model and version in every 4xx of POST /api/score', async () => {
    const answers = [
      await problem(await stack.call('/api/score', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'a,b' }), 415),
      await problem(await stack.post('/api/score', '{"data": ['), 400),
      await problem(await stack.post('/api/score', { data: [{ crim: 'high' }] }), 422),
      await problem(await stack.post('/api/score', { data: [{ crim: 1 }], type: 'prob' }), 422),
    ];
    for (const a of answers) {
      expect(a.model).toEqual({ name: 'boston-rf', version: '1' });
      expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("answers R's failure with a request id, and logs R's own message under that id (the answer leaves it out)", async () => {
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
    try {
      const answer = await problem(await stack.post('/api/models/fragile/score', { data: [{ wt: -1, hp: 110, cyl: 6 }] }), 500);
      expect(answer.code).toBe('prediction_failed');
      expect(answer.detail).toBe('The model could not score these rows.');
      expect(JSON.stringify(answer)).not.toContain('negative weight');
      expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
      await until(() => logged.some((l) => l.includes(answer.requestId as string)), 30_000, 'the log line');
      const line = logged.find((l) => l.includes(answer.requestId as string));
      expect(line).toContain('R: cannot score a car of negative weight');
    } finally {
      spy.mockRestore();
    }
  });

  it("reads write.csv's row names column in a CSV batch, and gives each result its row's name", async () => {
    const csv = await r('write.csv(mtcars[c(2, 4, 6), c("wt", "hp", "cyl")])');
    expect(csv.split('\n')[0]).toBe('"","wt","hp","cyl"');
    const submitted = await stack.call('/api/models/mtcars-lm/batches', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await until(async () => ((await (await stack.call(`/api/batches/${id}?redirect=false`)).json()) as { state: string }).state === 'succeeded', 30_000, 'the batch');
    const json = (await (await stack.call(`/api/batches/${id}/results`, { headers: { accept: 'application/json' } })).json()) as { results: { row: number; rowName: string }[] };
    expect(json.results.map((x) => [x.row, x.rowName])).toEqual([
      [0, 'Mazda RX4 Wag'],
      [1, 'Hornet 4 Drive'],
      [2, 'Valiant'],
    ]);
    const text = await (await stack.call(`/api/batches/${id}/results`, { headers: { accept: 'text/csv' } })).text();
    expect(text.split('\n')[0]).toBe('row,rowName,prediction');
    expect(text.split('\n')[1]).toMatch(/^0,Mazda RX4 Wag,[\d.]+$/);
  });

  it('takes "_row" in a JSON batch the same way', async () => {
    const body = await r('cat(jsonlite::toJSON(list(data = mtcars[c(7, 8), c("wt", "hp", "cyl")])))');
    const submitted = await stack.post('/api/models/mtcars-lm/batches', body);
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await until(async () => ((await (await stack.call(`/api/batches/${id}?redirect=false`)).json()) as { state: string }).state === 'succeeded', 30_000, 'the batch');
    const json = (await (await stack.call(`/api/batches/${id}/results`, { headers: { accept: 'application/json' } })).json()) as { results: { rowName: string }[] };
    expect(json.results.map((x) => x.rowName)).toEqual(['Duster 360', 'Merc 240D']);
  });
});
