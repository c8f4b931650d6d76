import type { ColumnBatch } from '../scoring/inputValidator.js';

/** Predictions for one request, as R returned them (numbers parsed to exact doubles). */
export interface PredictionResult {
  type: string;
  predictions: unknown[];
}

/** The body of one R call: the batches' columns laid end to end, in order. */
export function encodeCall(batches: readonly ColumnBatch[]): string | Buffer {
  const first = batches[0];
  if (!first) throw new Error('encodeCall needs at least one batch');
  if (batches.length === 1) return first.encoded ?? JSON.stringify({ type: first.type, columns: first.columns });
  const columns: Record<string, unknown[]> = {};
  for (const name of Object.keys(first.columns)) {
    const merged: unknown[] = [];
    for (const b of batches) {
      const values = b.columns[name] as unknown[];
      for (let i = 0; i < values.length; i++) merged.push(values[i]);
    }
    columns[name] = merged;
  }
  return JSON.stringify({ type: first.type, columns });
}

/** Numbers sent as base64 little-endian doubles; NA, NaN and infinities become null, as in JSON. */
export function decodeDoubles(base64: string): (number | null)[] {
  const bytes = Buffer.from(base64, 'base64');
  const values = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const out = new Array<number | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/**
 * Splits an R reply's predictions back to each request, by their row counts. Predictions
 * come as a JSON array, or (numbers for a column frame) as base64 doubles in predictions64.
 */
export function splitPredictions(body: string, rowCounts: readonly number[]): PredictionResult[] {
  const reply = JSON.parse(body) as { type: string; predictions?: unknown[]; predictions64?: string };
  const predictions = typeof reply.predictions64 === 'string' ? decodeDoubles(reply.predictions64) : reply.predictions;
  const total = rowCounts.reduce((a, b) => a + b, 0);
  if (!Array.isArray(predictions) || predictions.length !== total) {
    throw new Error(`R returned ${predictions?.length} predictions for ${total} rows`);
  }
  let offset = 0;
  return rowCounts.map((n) => {
    const part = offset === 0 && n === predictions.length ? predictions : predictions.slice(offset, offset + n);
    offset += n;
    return { type: reply.type, predictions: part };
  });
}
