import { isAppError, problemDetails, type ProblemDetails } from '../errors.js';
import type { BatchOptions } from './batchOptions.js';

/** A batch's state, derived from what is stored: never from counters a retry could double. */

export type BatchState = 'validating' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A model as every answer and stored document names it. */
export interface ModelRef {
  name: string;
  version: string;
}

/** A model's name and version alone, whatever else the object given has (a loaded model's directory, pool, schema...). */
export const modelRef = (m: ModelRef): ModelRef => ({ name: m.name, version: m.version });

/** What the submit of an uploaded input asked for: answered at once, its rows checked later. */
export interface Submission {
  id: string;
  model: ModelRef;
  type: string;
  options: BatchOptions;
  blob: string;
  /** The input blob's ETag when it was submitted: its rows are read only while it has this one. */
  etag?: string;
  createdAt: string;
  traceParent?: string;
}

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

/** Why an uploaded input's rows were refused, and when. */
export interface Refusal {
  at: string;
  problem: ProblemDetails;
}

/** A stored chunk result (its blob's metadata). */
export interface ChunkResult {
  chunk: number;
  rows: number;
  startedAt: string;
  finishedAt: string;
  /** Its results blocks carry row names. */
  named?: boolean;
  /** The instance that scored it. */
  instance?: string;
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
  /** Totals are null while an uploaded input is being validated. */
  rows: { total: number | null; done: number; failed: number };
  chunks: { total: number | null; done: number; failed: number; pending: number | null };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  errors: { chunk: number; rows: { from: number; to: number }; attempts: number; reason: string; requestId?: string }[];
  /** Why an uploaded input was refused: the problem (with the first bad rows) a direct submit would have answered. */
  problem?: ProblemDetails;
}

export const MAX_ATTEMPTS = 5;

export function chunkRange(m: BatchManifest, chunk: number): { from: number; to: number } {
  const from = chunk * m.chunkRows;
  return { from, to: Math.min(m.rows, from + m.chunkRows) - 1 };
}

/**
 * A batch's status from its manifest and stored state. It has succeeded once every chunk
 * is done and its results are assembled (`assembled`); until then it is running.
 */
export function deriveStatus(m: BatchManifest, results: ChunkResult[], failures: ChunkFailure[], cancelledAt: string | undefined, assembled = true): BatchStatus {
  const done = new Map(results.map((r) => [r.chunk, r]));
  const failed = failures.filter((f) => (f.final === true || f.attempts >= MAX_ATTEMPTS) && !done.has(f.chunk));
  const rowsDone = [...done.values()].reduce((n, r) => n + r.rows, 0);
  const rowsFailed = failed.reduce((n, f) => n + (chunkRange(m, f.chunk).to - chunkRange(m, f.chunk).from + 1), 0);
  const finished = done.size + failed.length >= m.chunks;
  let state: BatchState;
  if (finished && failed.length > 0) state = 'failed';
  else if (finished) state = assembled ? 'succeeded' : 'running';
  else if (cancelledAt !== undefined) state = 'cancelled';
  else if (done.size > 0 || failures.length > 0) state = 'running';
  else state = 'queued';
  const starts = results.map((r) => r.startedAt).sort();
  const ends = [...results.map((r) => r.finishedAt), ...failed.map((f) => f.at)].sort();
  const finishedAt = state === 'succeeded' || state === 'failed' ? (ends.at(-1) ?? null) : state === 'cancelled' ? (cancelledAt ?? null) : null;
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

/**
 * An uploaded input's batch before it has a manifest: validating, cancelled, or failed with
 * the problem its rows had. Its model is named by name and version alone (documents stored
 * by earlier versions of the app held more).
 */
export function submissionStatus(sub: Submission, refusal: Refusal | undefined, cancelled = false): BatchStatus {
  const problem = refusal && (refusal.problem.model ? { ...refusal.problem, model: modelRef(refusal.problem.model) } : refusal.problem);
  return {
    id: sub.id,
    state: refusal ? 'failed' : cancelled ? 'cancelled' : 'validating',
    model: modelRef(sub.model),
    type: sub.type,
    rows: { total: null, done: 0, failed: 0 },
    chunks: { total: null, done: 0, failed: 0, pending: null },
    createdAt: sub.createdAt,
    startedAt: null,
    finishedAt: refusal ? refusal.at : null,
    durationMs: refusal ? Date.parse(refusal.at) - Date.parse(sub.createdAt) : null,
    errors: [],
    ...(problem ? { problem } : {}),
  };
}

/** Whether every chunk has its result (so the batch's results may be assembled). */
export function allChunksDone(m: BatchManifest, results: ChunkResult[]): boolean {
  return new Set(results.map((r) => r.chunk)).size >= m.chunks;
}

export const isFinished = (s: BatchState): boolean => s === 'succeeded' || s === 'failed' || s === 'cancelled';

/** Why a chunk failed, for the batch's errors: R's own message only when the settings allow it. */
export function failureReason(err: unknown, showRMessage: boolean): string {
  if (!isAppError(err)) return 'internal: the chunk could not be scored';
  return `${err.code}: ${problemDetails(err, { showRMessage }).detail}`;
}
