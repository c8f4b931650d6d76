import { describe, expect, it } from 'vitest';
import { blobFormat, checkInputBlobName, readBatchOptions } from '../../functions/batch/batchOptions.js';
import { deriveStatus, failureReason, type BatchManifest } from '../../functions/batch/batchState.js';
import { ColumnFrame, decodeFrame } from '../../functions/batch/columnFrame.js';
import { csvValue } from '../../functions/batch/csvValues.js';
import { csvRowSource, jsonRowSource, ndjsonRowSource } from '../../functions/batch/rowSources.js';
import { AppError } from '../../functions/errors.js';
import { readRows } from '../../functions/scoring/requestBody.js';
import type { ModelSchema } from '../../functions/scoring/modelSchema.js';
import { Readable } from 'node:stream';

const manifest: BatchManifest = {
  id: 'b',
  model: { name: 'm', version: '1' },
  type: 'response',
  output: 'json',
  rows: 25,
  chunkRows: 10,
  chunks: 3,
  columns: ['x'],
  createdAt: '2026-01-01T00:00:00.000Z',
};
const result = (chunk: number, rows = 10, end = '2026-01-01T00:00:05.000Z') => ({ chunk, rows, startedAt: '2026-01-01T00:00:01.000Z', finishedAt: end });
const failure = (chunk: number, attempts: number) => ({ chunk, attempts, reason: 'prediction_failed: no', at: '2026-01-01T00:00:09.000Z' });

describe('deriveStatus', () => {
  it('is queued before any chunk ran', () => {
    expect(deriveStatus(manifest, [], [], undefined)).toMatchObject({ state: 'queued', chunks: { done: 0, pending: 3 }, startedAt: null, finishedAt: null });
  });

  it('is running while chunks remain, counting rows from the results stored', () => {
    expect(deriveStatus(manifest, [result(0)], [failure(1, 2)], undefined)).toMatchObject({
      state: 'running',
      rows: { total: 25, done: 10, failed: 0 },
      errors: [{ chunk: 1, rows: { from: 10, to: 19 }, attempts: 2 }],
    });
  });

  it('succeeds when every chunk has a result, with timings', () => {
    const s = deriveStatus(manifest, [result(0), result(1), result(2, 5, '2026-01-01T00:00:07.000Z')], [failure(1, 1)], undefined);
    expect(s).toMatchObject({ state: 'succeeded', rows: { done: 25, failed: 0 }, finishedAt: '2026-01-01T00:00:07.000Z', durationMs: 7000, errors: [] });
  });

  it('fails when a chunk failed 5 times and the rest are done', () => {
    const s = deriveStatus(manifest, [result(0), result(2, 5)], [failure(1, 5)], undefined);
    expect(s).toMatchObject({ state: 'failed', chunks: { done: 2, failed: 1, pending: 0 }, rows: { done: 15, failed: 10 } });
  });

  it('fails a chunk R refused at once, without waiting for 5 tries, naming the request it was logged under', () => {
    const refused = { ...failure(1, 1), final: true, requestId: 'inv-7' };
    const s = deriveStatus(manifest, [result(0), result(2, 5)], [refused], undefined);
    expect(s).toMatchObject({ state: 'failed', chunks: { failed: 1, pending: 0 }, errors: [{ chunk: 1, attempts: 1, requestId: 'inv-7' }] });
  });

  it('is cancelled when cancelled before the end', () => {
    expect(deriveStatus(manifest, [result(0)], [], '2026-01-01T00:00:03.000Z')).toMatchObject({ state: 'cancelled', finishedAt: '2026-01-01T00:00:03.000Z' });
  });
});

describe('checkInputBlobName', () => {
  it.each(['in.csv', 'uploads/2026/day 1.csv', 'a.b/c_d-e.ndjson'])('accepts %s', (name) => {
    expect(checkInputBlobName(name)).toBe(name);
  });

  it.each([
    ['a URL', 'https://acct.blob.core.windows.net/models/x.csv'],
    ['a protocol-relative URL', '//host/x.csv'],
    ['another container by ..', '../models/m/1/model.rds'],
    ['a .. segment inside', 'a/../../b.csv'],
    ['an absolute path', '/etc/passwd'],
    ['a Windows path', 'C:\\data\\x.csv'],
    ['a control character', 'x\u0000.csv'],
    ['an empty segment', 'a//b.csv'],
    ['not a string', 42],
  ])('refuses %s', (_label, name) => {
    expect(() => checkInputBlobName(name)).toThrow(/batch inputs container/);
  });

  it('knows CSV and NDJSON by extension and refuses others', () => {
    expect([blobFormat('a.CSV'), blobFormat('a.jsonl'), blobFormat('a.ndjson')]).toEqual(['csv', 'ndjson', 'ndjson']);
    expect(() => blobFormat('a.rds')).toThrow(/\.csv/);
  });
});

describe('readBatchOptions', () => {
  const limits = { defaultChunkRows: 5000, maxChunkRows: 50_000 };
  it('defaults, and takes the body over the query string', () => {
    expect(readBatchOptions(new URLSearchParams(), {}, limits)).toEqual({ type: undefined, chunkRows: 5000, output: 'json' });
    expect(readBatchOptions(new URLSearchParams('chunkSize=10&output=csv&type=prob'), { chunkSize: 20 }, limits)).toEqual({ type: 'prob', chunkRows: 20, output: 'csv' });
  });

  it.each([
    ['a chunk size of 0', 'chunkSize=0'],
    ['a fractional chunk size', 'chunkSize=1.5'],
    ['a chunk size over the limit', 'chunkSize=50001'],
    ['an unknown output format', 'output=xml'],
  ])('refuses %s', (_label, query) => {
    expect(() => readBatchOptions(new URLSearchParams(query), {}, limits)).toThrow(/Option/);
  });
});

describe('csvValue', () => {
  const f = (type: 'numeric' | 'integer' | 'logical' | 'factor' | 'character' | 'date' | 'datetime' | 'difftime') => ({ name: 'x', type });
  it.each([
    ['1.5', f('numeric'), 1.5],
    ['NA', f('numeric'), null],
    ['', f('integer'), null],
    ['abc', f('numeric'), 'abc'],
    ['TRUE', f('logical'), true],
    ['F', f('logical'), false],
    ['yes', f('logical'), 'yes'],
    ['', f('character'), ''],
    ['Dream', f('factor'), 'Dream'],
    ['', f('factor'), null],
    ['NA', f('character'), null],
    ['0', f('numeric'), 0],
    [' 2.5 ', f('numeric'), 2.5],
    ['   ', f('numeric'), '   '],
    ['Infinity', f('numeric'), 'Infinity'],
    ['1e999', f('numeric'), '1e999'],
    ['NaN', f('numeric'), 'NaN'],
    ['2024-02-15', f('date'), '2024-02-15'],
    ['', f('date'), null],
    ['NA', f('datetime'), null],
    ['2024-02-15 10:30:00', f('datetime'), '2024-02-15 10:30:00'],
    ['1.5', f('difftime'), 1.5],
    ['1.5 days', f('difftime'), '1.5 days'],
    ['NA', f('difftime'), null],
  ])('reads %j as %j', (text, feature, value) => {
    expect(csvValue(text, feature)).toEqual(value);
  });
});

describe('csvRowSource', () => {
  const schema: ModelSchema = {
    schemaVersion: 1,
    features: [
      { name: 'x', type: 'numeric' },
      { name: 'g', type: 'factor', levels: ['a,b', 'é'] },
      { name: 'note', type: 'character', nullable: true },
    ],
    output: { defaultType: 'response', types: { response: { kind: 'numeric' } } },
  };
  const source = (pieces: (string | Buffer)[]) => csvRowSource(Readable.from(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))), schema);
  async function read(pieces: (string | Buffer)[]): Promise<unknown[][]> {
    const s = source(pieces);
    const rows: unknown[][] = [];
    for await (const block of s.blocks) for (const row of block) rows.push(s.values(row) as unknown[]);
    return rows;
  }
  const failure = async (pieces: string[]) => {
    try {
      await read(pieces);
    } catch (err) {
      return err as { status: number; message: string };
    }
    throw new Error('expected the CSV to be refused');
  };

  it('reads quoted cells, CRLF lines, a BOM, and features missing from the header as null', async () => {
    expect(await read(['\uFEFFg,x\r\n"a,b",1.5\r\n', '"é",2\r\n'])).toEqual([
      [1.5, 'a,b', null],
      [2, 'é', null],
    ]);
  });

  it('keeps a character split between two pieces of the stream', async () => {
    const bytes = Buffer.from('x,g,note\n3,é,"line\nbreak"\n');
    const at = bytes.indexOf(Buffer.from('é')) + 1;
    expect(await read([bytes.subarray(0, at), bytes.subarray(at)])).toEqual([[3, 'é', 'line\nbreak']]);
  });

  it('gives each row as the object the row schema names errors on', async () => {
    const s = source(['x,g\nabc,é\n']);
    for await (const block of s.blocks) expect(block.map((row) => s.object(row))).toEqual([{ x: 'abc', g: 'é' }]);
  });

  it('refuses a row with the wrong number of cells, a header that does not match, and an empty body', async () => {
    expect(await failure(['x,g\n1,é\n2\n'])).toMatchObject({ status: 400, message: expect.stringMatching(/row 1: it has 1 fields, the header has 2/) });
    expect(await failure(['x,g,zz\n1,é,3\n'])).toMatchObject({ status: 422 });
    expect(await failure([''])).toMatchObject({ status: 400, message: expect.stringMatching(/empty/) });
  });

  it('refuses a malformed quote with a 400', async () => {
    expect(await failure(['x,g\n1,"é\n'])).toMatchObject({ status: 400, message: expect.stringMatching(/malformed/) });
  });
});

describe('dates, date-times and difftimes in a CSV batch', () => {
  const schema: ModelSchema = {
    schemaVersion: 2,
    features: [
      { name: 'day', type: 'date' },
      { name: 'at', type: 'datetime', timezone: 'America/New_York' },
      { name: 'wait', type: 'difftime', units: 'days', nullable: true },
    ],
    output: { defaultType: 'response', types: { response: { kind: 'numeric' } } },
  };

  it("read as the same text (write.csv's quoted or not) and numbers, and fill a frame's string and double columns", async () => {
    const s = csvRowSource(Readable.from([Buffer.from('"day","at","wait"\n"2024-02-15","2024-02-15 10:30:00",1.5\n2024-02-16,2024-02-16T09:00:00Z,NA\n')]), schema);
    const frame = new ColumnFrame(schema.features, 'response', 2);
    const rows: unknown[] = [];
    for await (const block of s.blocks) for (const row of block) rows.push(s.values(row));
    expect(rows).toEqual([
      ['2024-02-15', '2024-02-15 10:30:00', 1.5],
      ['2024-02-16', '2024-02-16T09:00:00Z', null],
    ]);
    for (const values of rows) expect(frame.push(values as unknown[])).toBe(-1);
    expect(decodeFrame(frame.encode()).columns).toEqual({ day: ['2024-02-15', '2024-02-16'], at: ['2024-02-15 10:30:00', '2024-02-16T09:00:00Z'], wait: [1.5, null] });
  });

  it('gives a bad cell to the frame as its text, which it refuses', async () => {
    const s = csvRowSource(Readable.from([Buffer.from('day,at,wait\n2024-02-30,2024-02-15T10:30Z,1\n')]), schema);
    for await (const block of s.blocks) {
      expect(new ColumnFrame(schema.features, 'response', 1).push(s.values(block[0]) as unknown[])).toBe(0);
      expect(s.object(block[0])).toEqual({ day: '2024-02-30', at: '2024-02-15T10:30Z', wait: 1 });
    }
  });
});

describe('row names in batch inputs', () => {
  const schema: ModelSchema = {
    schemaVersion: 2,
    features: [{ name: 'x', type: 'numeric' }],
    output: { defaultType: 'response', types: { response: { kind: 'numeric' } } },
  };
  async function names(source: ReturnType<typeof csvRowSource>): Promise<[unknown, unknown][]> {
    const out: [unknown, unknown][] = [];
    for await (const block of source.blocks) for (const row of block) out.push([source.values(row), source.rowName(row)]);
    return out;
  }

  it("reads write.csv's unnamed first column as row names, not an input", async () => {
    const csv = '"","x"\n"Mazda RX4",21\n"Datsun 710",22.8\n';
    expect(await names(csvRowSource(Readable.from([Buffer.from(csv)]), schema))).toEqual([
      [[21], 'Mazda RX4'],
      [[22.8], 'Datsun 710'],
    ]);
    expect(await names(csvRowSource(Readable.from([Buffer.from('x\n1\n')]), schema))).toEqual([[[1], undefined]]);
  });

  it('reads "_row" from JSON rows and NDJSON lines as the row name', async () => {
    const json = jsonRowSource(readRows({ data: [{ _row: 'a', x: 1 }, { x: 2 }] }, 10), schema);
    expect(await names(json)).toEqual([
      [[1], 'a'],
      [[2], undefined],
    ]);
    const ndjson = ndjsonRowSource(Readable.from([Buffer.from('{"_row":"r1","x":3}\n{"_row":{"no":1},"x":4}\n')]), schema);
    expect(await names(ndjson)).toEqual([
      [[3], 'r1'],
      [undefined, undefined],
    ]);
  });
});

describe('failureReason', () => {
  const refused = new AppError('prediction_failed', 'The model could not score these rows.', { rMessage: 'hp must be positive' });

  it("gives R's message only when the settings allow it", () => {
    expect(failureReason(refused, false)).toBe('prediction_failed: The model could not score these rows.');
    expect(failureReason(refused, true)).toBe('prediction_failed: The model could not score these rows. R said: hp must be positive');
    expect(failureReason(new TypeError('secret'), true)).toBe('internal: the chunk could not be scored');
  });
});
