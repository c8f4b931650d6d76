import { parse } from 'csv-parse';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import type { ModelSchema } from '../scoring/modelSchema.js';
import type { ParsedRows } from '../scoring/requestBody.js';
import { csvValue } from './csvValues.js';

/** Rows to submit as a batch, read one at a time, with a pointer for error reports. */
export interface RowSource {
  rows: AsyncIterable<unknown>;
  pointer: ParsedRows['pointer'];
}

/** Rows already parsed from a JSON body. */
export function jsonRowSource(parsed: ParsedRows): RowSource {
  return {
    pointer: parsed.pointer,
    rows: (async function* () {
      yield* parsed.rows;
    })(),
  };
}

const csvPointer = (row: number, field?: string) => (field === undefined ? `/rows/${row}` : `/rows/${row}/${field}`);

/**
 * Rows of a CSV stream with a header line. The header must name every feature the model
 * cannot score without and no column the model does not know; values convert by the
 * feature's type (see csvValue).
 */
export function csvRowSource(stream: Readable, schema: ModelSchema): RowSource {
  const features = new Map(schema.features.map((f) => [f.name, f]));
  const parser = stream.pipe(parse({ bom: true, relax_column_count: false, skip_empty_lines: true }));
  stream.on('error', (err) => parser.destroy(err));
  async function* rows(): AsyncGenerator<unknown> {
    let header: string[] | undefined;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (!header) {
          header = checkHeader(record, schema);
          continue;
        }
        const row: Record<string, unknown> = {};
        header.forEach((name, i) => {
          row[name] = csvValue(record[i] as string, features.get(name));
        });
        yield row;
      }
    } catch (err) {
      if (err instanceof AppError) throw err;
      const e = err as { code?: string; lines?: number; message: string };
      if (e.code?.startsWith('CSV_')) {
        throw new AppError('invalid_request', `The CSV is malformed${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`);
      }
      throw err;
    }
    if (!header) throw new AppError('invalid_request', 'The CSV is empty: it needs a header line naming the columns.');
  }
  return { rows: rows(), pointer: csvPointer };
}

function checkHeader(header: string[], schema: ModelSchema): string[] {
  const known = new Set(schema.features.map((f) => f.name));
  const unknown = header.filter((h) => !known.has(h));
  const missing = schema.features.filter((f) => !f.nullable && !header.includes(f.name)).map((f) => f.name);
  const duplicated = header.filter((h, i) => header.indexOf(h) !== i);
  const errors = [
    ...missing.map((field) => ({ field, message: 'is a required column', pointer: '/header' })),
    ...unknown.map((field) => ({ field, message: 'is not an input of this model', pointer: '/header' })),
    ...duplicated.map((field) => ({ field, message: 'is named twice', pointer: '/header' })),
  ];
  if (errors.length > 0) throw new AppError('invalid_input', 'The CSV header does not match the model\'s inputs.', { errors });
  return header;
}

/** Rows of a newline-delimited JSON stream, one object a line. */
export function ndjsonRowSource(stream: Readable): RowSource {
  async function* rows(): AsyncGenerator<unknown> {
    let line = 0;
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      try {
        yield JSON.parse(text);
      } catch (err) {
        throw new AppError('malformed_json', `Line ${line} is not valid JSON: ${(err as Error).message}`);
      }
    }
  }
  return { rows: rows(), pointer: csvPointer };
}
