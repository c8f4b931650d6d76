/**
 * Every step a request's input goes through (JSON parse, body forms, the schema's checks, CSV
 * and NDJSON sources) takes time linear in the input's size, so no one body can hold the
 * instance: each case runs at 10k and 100k (columns, rows, row-name length), and ten times
 * the input must cost about ten times the time, far from the hundred a quadratic step costs.
 * Each size takes its best of three runs, in one process, so the machine's noise falls on both.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvRowSource, ndjsonRowSource, type RowSource } from '../../functions/batch/rowSources.js';
import { AppError } from '../../functions/errors.js';
import { InputValidator } from '../../functions/scoring/inputValidator.js';
import { parseModelSchema } from '../../functions/scoring/modelSchema.js';
import { parseJson, readRows } from '../../functions/scoring/requestBody.js';

const schema = parseModelSchema(
  JSON.stringify({
    schemaVersion: 1,
    features: [
      { name: 'x', type: 'numeric', nullable: false },
      { name: 'n', type: 'integer', nullable: false },
      { name: 'g', type: 'factor', levels: ['a', 'b'], nullable: true },
    ],
    output: { defaultType: 'response', types: { response: { kind: 'numeric' } } },
  }),
);
const validator = new InputValidator(schema);
const SMALL = 10_000;
const LARGE = 100_000;
/** Linear is about 10; a quadratic step is about 100. */
const MAX_RATIO = 30;

/** A JSON body as the score route handles it; the outcome (rows or the 4xx) is returned. */
function scoreBody(text: string): string {
  try {
    return `${validator.validate(readRows(parseJson(text), 1_000_000)).rows} rows`;
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    return `${err.status}`;
  }
}

/** A batch source drained as submitting does: each row's values, and the checks on a misfit. */
async function drain(source: RowSource): Promise<string> {
  let rows = 0;
  let bad = 0;
  try {
    for await (const block of source.blocks) {
      for (const row of block) {
        if (source.values(row) === undefined && validator.checkRow(source.object(row), rows, source.pointer).length > 0) bad++;
        rows++;
      }
    }
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    return `${err.status}`;
  }
  return `${rows} rows, ${bad} bad`;
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
const wide = (n: number) => Object.fromEntries(names(n).map((c) => [c, 1]));
const good = { x: 1.5, n: 2, g: 'a' };

const cases: Record<string, (n: number) => () => string | Promise<string>> = {
  'split body, n column names': (n) => {
    const text = JSON.stringify({ columns: names(n), data: [names(n).map(() => 1)] });
    return () => scoreBody(text);
  },
  'records body, one row of n members': (n) => {
    const text = JSON.stringify({ data: [wide(n)] });
    return () => scoreBody(text);
  },
  'records body, n rows': (n) => {
    const text = JSON.stringify({ data: Array.from({ length: n }, () => good) });
    return () => scoreBody(text);
  },
  'split body, n rows': (n) => {
    const text = JSON.stringify({ columns: ['x', 'n', 'g'], data: Array.from({ length: n }, () => [1.5, 2, 'a']) });
    return () => scoreBody(text);
  },
  'a row name of n characters': (n) => {
    const text = JSON.stringify({ data: [{ ...good, _row: 'r'.repeat(n) }] });
    return () => scoreBody(text);
  },
  'CSV header of n columns': (n) => {
    const csv = `${names(n).join(',')}\n${names(n).map(() => 1).join(',')}\n`;
    return () => drain(csvRowSource(Readable.from([Buffer.from(csv)]), schema));
  },
  'CSV of n rows': (n) => {
    const csv = `x,n,g\n${'1.5,2,a\n'.repeat(n)}`;
    return () => drain(csvRowSource(Readable.from([Buffer.from(csv)]), schema));
  },
  'CSV row name of n characters': (n) => {
    const csv = `"",x,n,g\n${'r'.repeat(n)},1.5,2,a\n`;
    return () => drain(csvRowSource(Readable.from([Buffer.from(csv)]), schema));
  },
  'NDJSON line of n members': (n) => {
    const text = `${JSON.stringify(wide(n))}\n`;
    return () => drain(ndjsonRowSource(Readable.from([Buffer.from(text)]), schema));
  },
};

async function best(run: () => string | Promise<string>): Promise<{ ms: number; outcome: string }> {
  let ms = Number.POSITIVE_INFINITY;
  let outcome = '';
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    outcome = await run();
    ms = Math.min(ms, performance.now() - started);
  }
  return { ms, outcome };
}

describe('request input checks', () => {
  for (const [name, make] of Object.entries(cases)) {
    it(`take linear time: ${name}`, { timeout: 60_000 }, async () => {
      await best(make(1000)); // warm the code paths
      const small = await best(make(SMALL));
      const large = await best(make(LARGE));
      // Both sizes are answered the same way (a 4xx, or scored rows), so the times compare.
      expect(large.outcome.replace(String(LARGE), 'n')).toBe(small.outcome.replace(String(SMALL), 'n'));
      const ratio = large.ms / Math.max(small.ms, 0.05);
      expect(ratio, `${name}: ${small.ms.toFixed(1)} ms at ${SMALL}, ${large.ms.toFixed(1)} ms at ${LARGE}`).toBeLessThan(MAX_RATIO);
    });
  }

  it('refuse a split body naming more columns than the model takes, by its field, before reading rows', () => {
    const body = { columns: names(LARGE), data: [names(LARGE).map(() => 1)] };
    const err = (() => {
      try {
        readRows(body, 10, validator.maxColumns);
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a 422');
    })();
    expect(err.status).toBe(422);
    expect(err.message).toContain(`"columns" names ${LARGE} columns; this model takes at most 4`);
    expect(err.errors).toEqual([expect.objectContaining({ field: 'columns', pointer: '/columns' })]);
  });

  it('name at most a hundred unknown members of a wide row', () => {
    const errors = validator.checkRow({ ...good, ...wide(5000) }, 0, (row, field) => `/data/${row}/${field}`);
    expect(errors).toHaveLength(100);
    expect(errors[0]).toEqual({ field: 'c0', row: 0, message: 'is not an input of this model', pointer: '/data/0/c0' });
  });

  it('refuse a row name longer than 1000 characters, in JSON and CSV alike', async () => {
    const err = (() => {
      try {
        validator.validate(readRows({ data: [{ ...good, _row: 'r'.repeat(1001) }] }, 10));
      } catch (e) {
        return e as AppError;
      }
      throw new Error('expected a 422');
    })();
    expect(err.errors).toEqual([{ field: '_row', row: 0, message: 'must be at most 1000 characters (the row name)', pointer: '/data/0/_row' }]);
    validator.validate(readRows({ data: [{ ...good, _row: 'r'.repeat(1000) }] }, 10));
    const csv = csvRowSource(Readable.from([Buffer.from(`"",x,n,g\n${'r'.repeat(1001)},1.5,2,a\nok,1.5,2,a\n`)]), schema);
    const seen: unknown[] = [];
    for await (const block of csv.blocks) for (const row of block) seen.push(csv.values(row) === undefined ? validator.checkRow(csv.object(row), seen.length, csv.pointer) : 'ok');
    expect(seen).toEqual([[expect.objectContaining({ field: '_row', message: 'must be at most 1000 characters (the row name)' })], 'ok']);
  });
});
