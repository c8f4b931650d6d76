import Papa from 'papaparse';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { MAX_ERRORS, MAX_ROW_NAME_LENGTH, ROW_NAME, rowNameOf } from '../scoring/inputValidator.js';
import type { Feature, ModelSchema } from '../scoring/modelSchema.js';
import type { ParsedRows } from '../scoring/requestBody.js';
import { csvValue } from './csvValues.js';

/**
 * Rows to submit as a batch, read in blocks as the input arrives. Each row is kept in the
 * source's own form; `values` gives it in the model's feature order (undefined when its
 * shape is wrong, e.g. an unknown field), `object` as the JSON object the row schema
 * validator explains errors on, `rowName` its name if the input names rows (a JSON
 * "_row", as jsonlite writes row names; a CSV's unnamed first column, as write.csv does).
 */
export interface RowSource {
  blocks: AsyncIterable<readonly unknown[]>;
  values(row: unknown): readonly unknown[] | undefined;
  object(row: unknown): unknown;
  rowName(row: unknown): string | null | undefined;
  pointer: ParsedRows['pointer'];
}

const BLOCK_ROWS = 1000;
const rowPointer = (row: number, field?: string) => (field === undefined ? `/rows/${row}` : `/rows/${row}/${field}`);

/** Rows that are JSON objects (a parsed body, or NDJSON lines), in blocks. */
function objectRows(schema: ModelSchema, blocks: AsyncIterable<readonly unknown[]>, pointer: ParsedRows['pointer']): RowSource {
  const names = new Set(schema.features.map((f) => f.name));
  const named = !names.has(ROW_NAME);
  return {
    blocks,
    pointer,
    object: (row) => row,
    values(row) {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) return undefined;
      const r = row as Record<string, unknown>;
      for (const key of Object.keys(r)) if (!names.has(key) && !(named && key === ROW_NAME)) return undefined;
      if (named && rowNameOf(r) === false) return undefined;
      return schema.features.map((f) => (Object.hasOwn(r, f.name) ? r[f.name] : null));
    },
    rowName(row) {
      if (!named || typeof row !== 'object' || row === null || Array.isArray(row)) return undefined;
      const name = rowNameOf(row as Record<string, unknown>);
      return name === false ? undefined : name;
    },
  };
}

/** Rows already parsed from a JSON body. */
export function jsonRowSource(parsed: ParsedRows, schema: ModelSchema): RowSource {
  const blocks = (async function* () {
    for (let i = 0; i < parsed.rows.length; i += BLOCK_ROWS) yield parsed.rows.slice(i, i + BLOCK_ROWS);
  })();
  return objectRows(schema, blocks, parsed.pointer);
}

/** Rows of a newline-delimited JSON stream, one object a line. */
export function ndjsonRowSource(stream: Readable, schema: ModelSchema): RowSource {
  const blocks = (async function* () {
    let line = 0;
    let block: unknown[] = [];
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      try {
        block.push(JSON.parse(text));
      } catch (err) {
        throw new AppError('malformed_json', `Line ${line} is not valid JSON: ${(err as Error).message}`);
      }
      if (block.length === BLOCK_ROWS) {
        yield block;
        block = [];
      }
    }
    if (block.length > 0) yield block;
  })();
  return objectRows(schema, blocks, rowPointer);
}

/**
 * A CSV stream's records (arrays of cells) in blocks, as papaparse reads each piece of the
 * stream. The stream is paused while blocks wait to be taken, so memory holds a few pieces
 * whatever the input's size. Quoting errors are a 400.
 */
function csvRecords(stream: Readable): AsyncIterable<string[][]> {
  stream.setEncoding('utf8');
  const queue: string[][][] = [];
  let records = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  Papa.parse<string[]>(stream, {
    delimiter: ',',
    skipEmptyLines: true,
    chunk(results) {
      if (failure !== undefined) return;
      const error = results.errors[0];
      if (error) {
        const row = records + (error.row ?? 0);
        failure = new AppError('invalid_request', `The CSV is malformed at record ${row + 1}: ${error.message}`);
        stream.destroy();
      } else {
        records += results.data.length;
        queue.push(results.data);
        if (queue.length >= 4) stream.pause();
      }
      notify();
    },
    complete() {
      ended = true;
      notify();
    },
    error(err: Error) {
      failure ??= err;
      notify();
    },
  });
  return (async function* () {
    try {
      for (;;) {
        const block = queue.shift();
        if (block) {
          if (queue.length < 2) stream.resume();
          yield block;
        } else if (failure !== undefined) {
          throw failure;
        } else if (ended) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    } finally {
      if (!ended) stream.destroy();
    }
  })();
}

/**
 * Rows of a CSV stream with a header line. The header must name every feature the model
 * cannot score without and no column the model does not know; values convert by the
 * feature's type (see csvValue). An unnamed first column holds row names, as write.csv
 * writes them. A row with too few or too many cells is a 400.
 */
export function csvRowSource(stream: Readable, schema: ModelSchema): RowSource {
  const { features } = schema;
  const named = !features.some((f) => f.name === ROW_NAME);
  let header: string[] | undefined;
  let columnOf: number[] = [];
  let headerFeatures: (Feature | undefined)[] = [];
  let namesColumn = false;
  let index = 0;
  const blocks = (async function* () {
    for await (const records of csvRecords(stream)) {
      if (records.length === 0) continue;
      let from = 0;
      if (!header) {
        const first = records[0] as string[];
        first[0] = (first[0] ?? '').replace(/^\uFEFF/, '');
        namesColumn = first.length > 1 && first[0] === '';
        header = checkHeader(first, schema, namesColumn);
        const at = new Map(header.map((name, i) => [name, i]));
        const byName = new Map(schema.features.map((f) => [f.name, f]));
        columnOf = schema.features.map((f) => at.get(f.name) ?? -1);
        headerFeatures = header.map((name, i) => (namesColumn && i === 0 ? undefined : byName.get(name)));
        from = 1;
      }
      for (let i = from; i < records.length; i++) {
        const cells = (records[i] as string[]).length;
        if (cells !== header.length) {
          throw new AppError('invalid_request', `The CSV is malformed at row ${index + i - from}: it has ${cells} fields, the header has ${header.length}.`);
        }
      }
      index += records.length - from;
      yield from === 0 ? records : records.slice(from);
    }
    if (!header) throw new AppError('invalid_request', 'The CSV is empty: it needs a header line naming the columns.');
  })();
  return {
    blocks,
    pointer: rowPointer,
    values(row) {
      const cells = row as string[];
      if (namesColumn && (cells[0] as string).length > MAX_ROW_NAME_LENGTH) return undefined;
      const values = new Array<unknown>(features.length);
      for (let i = 0; i < features.length; i++) {
        const at = columnOf[i] as number;
        values[i] = at < 0 ? null : csvValue(cells[at] as string, features[i]);
      }
      return values;
    },
    object(row) {
      const cells = row as string[];
      const object: Record<string, unknown> = {};
      (header ?? []).forEach((name, i) => {
        if (!(namesColumn && i === 0)) object[name] = csvValue(cells[i] as string, headerFeatures[i]);
      });
      // The row name is checked as a JSON body's "_row" is (its length).
      if (namesColumn && named) object[ROW_NAME] = cells[0];
      return object;
    },
    rowName: (row) => (namesColumn ? ((row as string[])[0] as string) : undefined),
  };
}

/** The header's problems, found in one pass over sets (linear in its length), at most MAX_ERRORS named. */
const LINE_BREAKS_REMOVED = " Its line breaks look removed (a header's last name runs into the first row's value): curl -d does that to a file; send it with --data-binary @file.csv.";

/**
 * Whether an unknown header cell is an input's name with more after it ("lstat0.00632"),
 * as a file whose line breaks were removed has it where its header ends and its first row
 * begins. One pass over the names: linear in the header.
 */
function gluedToName(cell: string, known: ReadonlySet<string>): boolean {
  for (const name of known) if (cell.length > name.length && cell.startsWith(name)) return true;
  return false;
}

function checkHeader(header: string[], schema: ModelSchema, namesColumn: boolean): string[] {
  const known = new Set(schema.features.map((f) => f.name));
  const seen = new Set<string>();
  const unknown: string[] = [];
  const duplicated: string[] = [];
  header.forEach((h, i) => {
    if (namesColumn && i === 0) return;
    if (seen.has(h)) duplicated.push(h);
    else if (!known.has(h)) unknown.push(h);
    seen.add(h);
  });
  const missing = schema.features.filter((f) => !f.nullable && !seen.has(f.name)).map((f) => f.name);
  const errors = [
    ...missing.map((field) => ({ field, message: 'is a required column', pointer: '/header' })),
    ...unknown.map((field) => ({ field, message: 'is not an input of this model', pointer: '/header' })),
    ...duplicated.map((field) => ({ field, message: 'is named twice', pointer: '/header' })),
  ];
  if (errors.length > 0) {
    const more = header.length > known.size + 1 ? ` It has ${header.length} columns; the model takes ${known.size}.` : '';
    const hint = unknown[0] !== undefined && gluedToName(unknown[0], known) ? LINE_BREAKS_REMOVED : '';
    throw new AppError('invalid_input', `The CSV header does not match the model's inputs.${more}${hint}`, { errors: errors.slice(0, MAX_ERRORS) });
  }
  return header;
}
