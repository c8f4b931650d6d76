import type { ColumnBatch } from '../scoring/inputValidator.js';

/** Predictions for one request, as R returned them (numbers parsed to exact doubles). */
export interface PredictionResult {
  type: string;
  predictions: unknown[];
}

/** The body of one R call: the batches' columns laid end to end, in order. */
export function encodeCall(batches: readonly ColumnBatch[]): string {
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

/** Splits an R reply's predictions back to each request, by their row counts. */
export function splitPredictions(body: string, rowCounts: readonly number[]): PredictionResult[] {
  const reply = JSON.parse(body) as { type: string; predictions: unknown[] };
  const total = rowCounts.reduce((a, b) => a + b, 0);
  if (!Array.isArray(reply.predictions) || reply.predictions.length !== total) {
    throw new Error(`R returned ${reply.predictions?.length} predictions for ${total} rows`);
  }
  let offset = 0;
  return rowCounts.map((n) => {
    const part = reply.predictions.slice(offset, offset + n);
    offset += n;
    return { type: reply.type, predictions: part };
  });
}
