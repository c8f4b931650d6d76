import { AppError } from '../errors.js';

export type OutputFormat = 'json' | 'csv';

/** What a batch submission asks for besides its rows. */
export interface BatchOptions {
  type: string | undefined;
  chunkRows: number;
  output: OutputFormat;
}

export interface BatchLimits {
  defaultChunkRows: number;
  maxChunkRows: number;
}

type OptionKey = 'type' | 'chunkSize' | 'output';

/** Options from the query string and (for JSON submissions) the body; the body wins. */
export function readBatchOptions(query: URLSearchParams, body: Record<string, unknown>, limits: BatchLimits): BatchOptions {
  const pick = (key: OptionKey): unknown => (body[key] !== undefined ? body[key] : (query.get(key) ?? undefined));
  const where = (key: string) => (body[key] !== undefined ? `/${key}` : `?${key}`);
  const type = pick('type');
  if (type !== undefined && typeof type !== 'string') throw badOption('type', 'must be a string', where('type'));
  const rawChunk = pick('chunkSize');
  const chunkRows = rawChunk === undefined ? limits.defaultChunkRows : Number(rawChunk);
  if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > limits.maxChunkRows) {
    throw badOption('chunkSize', `must be a whole number from 1 to ${limits.maxChunkRows}`, where('chunkSize'));
  }
  const output = pick('output') ?? 'json';
  if (output !== 'json' && output !== 'csv') throw badOption('output', 'must be "json" or "csv"', where('output'));
  return { type: type as string | undefined, chunkRows, output };
}

function badOption(field: string, message: string, pointer: string): AppError {
  return new AppError('invalid_request', `Option "${field}" ${message}.`, { errors: [{ field, message, pointer }] });
}

/**
 * A blob name in the batch inputs container, as a caller may give it: a plain relative
 * name. URLs, absolute paths, `..` or `.` segments, backslashes and control characters are
 * refused, so a request can never point the app at another container or account.
 */
export function checkInputBlobName(name: unknown): string {
  const refuse = (why: string) =>
    new AppError('invalid_request', `"blob" must name a file in the batch inputs container: ${why}.`, {
      errors: [{ field: 'blob', message: why, pointer: '/blob' }],
    });
  if (typeof name !== 'string' || name.length === 0) throw refuse('a non-empty string is needed');
  if (name.length > 1024) throw refuse('the name is longer than 1024 characters');
  if (/^[a-z][a-z0-9+.-]*:/i.test(name) || name.startsWith('//')) throw refuse('a URL is not accepted, only a blob name');
  if (name.startsWith('/')) throw refuse('absolute paths are not accepted');
  if (name.includes('\\')) throw refuse('backslashes are not accepted');
  if ([...name].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch.codePointAt(0) === 0x7f)) throw refuse('control characters are not accepted');
  if (name.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) throw refuse('"..", "." and empty path segments are not accepted');
  return name;
}

/** The input format of a named blob, from its extension. */
export function blobFormat(name: string): 'csv' | 'ndjson' {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(name)) return 'ndjson';
  throw new AppError('invalid_request', 'A batch input blob must be .csv, .ndjson or .jsonl.', {
    errors: [{ field: 'blob', message: 'must end in .csv, .ndjson or .jsonl', pointer: '/blob' }],
  });
}
