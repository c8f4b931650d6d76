import { isAppError, problemDetails } from '../errors.js';

/** A batch's state, derived from what is stored: never from counters a retry could double. */

export type BatchState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface BatchManifest {
  id: string;
  model: { name: string; version: string };
  type: string;
  output: 'json' | 'csv';
  rows: number;
  chunkRows: number;
  chunks: number;
  columns: string[];
  /** The input named its rows: results carry each row's name. */
  rowNames?: boolean;
  createdAt: string;
  /** The W3C traceparent of the submit request: chunks report under the same operation. */
  traceParent?: string;
}

/** A stored chunk result (its blob's metadata). */
export interface ChunkResult {
  chunk: number;
  rows: number;
  startedAt: string;
  finishedAt: string;
}

/** A stored chunk failure: the last attempt's reason and how many attempts were made. */
export interface ChunkFailure {
  chunk: number;
  attempts: number;
  reason: string;
  at: string;
  /** R refused these rows: trying again would fail the same way, so the chunk has failed. */
  final?: boolean;
  /** The id the failure was logged under (the chunk's invocation). */
  requestId?: string;
}

export interface BatchStatus {
  id: string;
  state: BatchState;
  model: { name: string; version: string };
  type: string;
  rows: { total: number; done: number; failed: number };
  chunks: { total: number; done: number; failed: number; pending: number };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  errors: { chunk: number; rows: { from: number; to: number }; attempts: number; reason: string; requestId?: string }[];
}

export const MAX_ATTEMPTS = 5;

export function chunkRange(m: BatchManifest, chunk: number): { from: number; to: number } {
  const from = chunk * m.chunkRows;
  return { from, to: Math.min(m.rows, from + m.chunkRows) - 1 };
}

export function deriveStatus(m: BatchManifest, results: ChunkResult[], failures: ChunkFailure[], cancelledAt: string | undefined): BatchStatus {
  const done = new Map(results.map((r) => [r.chunk, r]));
  const failed = failures.filter((f) => (f.final === true || f.attempts >= MAX_ATTEMPTS) && !done.has(f.chunk));
  const rowsDone = [...done.values()].reduce((n, r) => n + r.rows, 0);
  const rowsFailed = failed.reduce((n, f) => n + (chunkRange(m, f.chunk).to - chunkRange(m, f.chunk).from + 1), 0);
  const finished = done.size + failed.length >= m.chunks;
  let state: BatchState;
  if (finished) state = failed.length > 0 ? 'failed' : 'succeeded';
  else if (cancelledAt !== undefined) state = 'cancelled';
  else if (done.size > 0 || failures.length > 0) state = 'running';
  else state = 'queued';
  const starts = results.map((r) => r.startedAt).sort();
  const ends = [...results.map((r) => r.finishedAt), ...failed.map((f) => f.at)].sort();
  const finishedAt = finished ? (ends.at(-1) ?? null) : state === 'cancelled' ? (cancelledAt ?? null) : null;
  return {
    id: m.id,
    state,
    model: m.model,
    type: m.type,
    rows: { total: m.rows, done: rowsDone, failed: rowsFailed },
    chunks: { total: m.chunks, done: done.size, failed: failed.length, pending: m.chunks - done.size - failed.length },
    createdAt: m.createdAt,
    startedAt: starts[0] ?? null,
    finishedAt,
    durationMs: finishedAt ? Date.parse(finishedAt) - Date.parse(m.createdAt) : null,
    errors: failures
      .filter((f) => !done.has(f.chunk))
      .sort((a, b) => a.chunk - b.chunk)
      .map((f) => ({ chunk: f.chunk, rows: chunkRange(m, f.chunk), attempts: f.attempts, reason: f.reason, ...(f.requestId ? { requestId: f.requestId } : {}) })),
  };
}

export const isFinished = (s: BatchState): boolean => s === 'succeeded' || s === 'failed' || s === 'cancelled';

/** Why a chunk failed, for the batch's errors: R's own message only when the settings allow it. */
export function failureReason(err: unknown, showRMessage: boolean): string {
  if (!isAppError(err)) return 'internal: the chunk could not be scored';
  return `${err.code}: ${problemDetails(err, { showRMessage }).detail}`;
}
