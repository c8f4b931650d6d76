import { AppError } from '../errors.js';

/** The accepted body forms of a scoring request. */
export type BodyForm = 'records' | 'record' | 'split' | 'df';

/** A scoring request's rows as records, whatever form the client sent them in. */
export interface ParsedRows {
  form: BodyForm;
  rows: unknown[];
  type?: string;
  /** JSON pointer, in the body as sent, to a row's field (or to the row). */
  pointer(row: number, field?: string): string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Parses JSON text, answering malformed input with a 400 that says where it broke. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new AppError('invalid_request', 'The request body is empty.');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AppError('malformed_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

const allowedKeys = new Set(['data', 'df', 'columns', 'type']);

/**
 * Reads the rows of a scoring body:
 *   records {"data": [{...}]}, one record {"data": {...}}, split {"columns": [...],
 *   "data": [[...]]}, or the older plumber services' {"df": [{...}]}; each with an optional
 *   "type". The rows are not validated against a model here, but a split body naming more
 *   than `maxColumns` columns (the model's inputs and "_row") is refused before its rows are read.
 *   Every step is linear in the body's size.
 */
export function readRows(body: unknown, maxRows: number, maxColumns = Number.POSITIVE_INFINITY): ParsedRows {
  if (!isObject(body)) throw new AppError('invalid_request', 'The request body must be a JSON object.');
  const unknownKeys = Object.keys(body).filter((k) => !allowedKeys.has(k));
  if (unknownKeys.length > 0) {
    throw new AppError('invalid_request', 'The body has members this API does not know.', {
      errors: unknownKeys.map((k) => ({ field: k, message: 'is not a member of a scoring request', pointer: `/${escapePointer(k)}` })),
    });
  }
  let type: string | undefined;
  if (body.type !== undefined) {
    if (typeof body.type !== 'string') {
      throw new AppError('invalid_request', '"type" must be a string.', {
        errors: [{ field: 'type', message: 'must be a string', pointer: '/type' }],
      });
    }
    type = body.type;
  }
  const parsed = readForm(body, maxColumns);
  if (parsed.rows.length === 0) throw new AppError('invalid_request', 'The body has no rows.');
  if (parsed.rows.length > maxRows) {
    throw new AppError('too_many_rows', `The body has ${parsed.rows.length} rows; at most ${maxRows} may be scored at once. Use a batch for more.`);
  }
  return type === undefined ? parsed : { ...parsed, type };
}

function readForm(body: Record<string, unknown>, maxColumns: number): ParsedRows {
  if (body.columns !== undefined) return readSplit(body, maxColumns);
  const key = body.data !== undefined ? 'data' : body.df !== undefined ? 'df' : undefined;
  if (key === undefined) throw new AppError('invalid_request', 'The body needs rows: "data", "columns" and "data", or "df".');
  const value = body[key];
  if (isObject(value) && key === 'data') {
    return { form: 'record', rows: [value], pointer: (_row, field) => (field === undefined ? '/data' : `/data/${escapePointer(field)}`) };
  }
  if (!Array.isArray(value)) {
    throw new AppError('invalid_request', `"${key}" must be an array of objects${key === 'data' ? ' or one object' : ''}.`, {
      errors: [{ field: key, message: 'must be an array of objects', pointer: `/${key}` }],
    });
  }
  return {
    form: key === 'data' ? 'records' : 'df',
    rows: value,
    pointer: (row, field) => (field === undefined ? `/${key}/${row}` : `/${key}/${row}/${escapePointer(field)}`),
  };
}

function readSplit(body: Record<string, unknown>, maxColumns: number): ParsedRows {
  const { columns, data } = body;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw new AppError('invalid_request', '"columns" must be an array of column names.', {
      errors: [{ field: 'columns', message: 'must be an array of strings', pointer: '/columns' }],
    });
  }
  const names = columns as string[];
  if (names.length > maxColumns) {
    throw new AppError('invalid_input', `"columns" names ${names.length} columns; this model takes at most ${maxColumns} (its inputs and "_row").`, {
      errors: [{ field: 'columns', message: `names ${names.length} columns, more than the model's ${maxColumns}`, pointer: '/columns' }],
    });
  }
  // One pass over a set: the check must stay linear in the number of names.
  const index = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (index.has(name)) {
      throw new AppError('invalid_request', `"columns" names "${name}" twice.`, {
        errors: [{ field: name, message: 'is named twice', pointer: `/columns/${i}` }],
      });
    }
    index.set(name, i);
  }
  if (!Array.isArray(data)) {
    throw new AppError('invalid_request', 'With "columns", "data" must be an array of rows, each an array of values.', {
      errors: [{ field: 'data', message: 'must be an array of arrays', pointer: '/data' }],
    });
  }
  const rows: unknown[] = data.map((values, r) => {
    if (!Array.isArray(values) || values.length !== names.length) {
      throw new AppError('invalid_request', `Row ${r} must be an array of ${names.length} values, one per column.`, {
        errors: [{ field: 'data', row: r, message: `must be an array of ${names.length} values`, pointer: `/data/${r}` }],
      });
    }
    const record: Record<string, unknown> = {};
    names.forEach((n, i) => Object.defineProperty(record, n, { value: values[i], enumerable: true, writable: true, configurable: true }));
    return record;
  });
  return {
    form: 'split',
    rows,
    pointer: (row, field) => {
      if (field === undefined) return `/data/${row}`;
      const i = index.get(field);
      return i === undefined ? `/columns` : `/data/${row}/${i}`;
    },
  };
}
