import { randomUUID } from 'node:crypto';
import { AppError, type FieldError } from '../errors.js';
import { invalidRows, MAX_ERRORS, type InputValidator } from '../scoring/inputValidator.js';
import type { BatchStore } from '../storage/batchStore.js';
import type { BatchOptions } from './batchOptions.js';
import type { BatchManifest } from './batchState.js';
import type { RowSource } from './rowSources.js';

export interface SubmitInput {
  model: { name: string; version: string; validator: InputValidator };
  source: RowSource;
  options: BatchOptions;
  idempotencyKey: string | undefined;
  maxRows: number;
  traceParent?: string;
}

export interface Submitted {
  manifest: BatchManifest;
  /** True when an Idempotency-Key named a batch submitted before. */
  existing: boolean;
}

const UPLOADS_IN_FLIGHT = 4;

/**
 * Accepts a batch: reads every row once, validates it, stores the valid rows in chunks of
 * `chunkRows` (columnar, as R reads them), then writes the manifest and enqueues one message
 * per chunk. Memory holds one chunk at a time. Any bad row refuses the whole batch (422
 * with the first bad rows) before anything is enqueued, and what was stored is removed.
 */
export async function submitBatch(store: BatchStore, input: SubmitInput): Promise<Submitted> {
  await store.ensure();
  const id = randomUUID();
  if (input.idempotencyKey !== undefined) {
    const existingId = await store.claimIdempotencyKey(input.idempotencyKey, id);
    if (existingId !== undefined) {
      const manifest = await store.readManifest(existingId);
      if (manifest) return { manifest, existing: true };
      throw new AppError('overloaded', 'A batch with this Idempotency-Key is still being submitted. Try again shortly.', { retryAfter: 2 });
    }
  }
  try {
    const manifest = await storeRows(store, id, input);
    await store.writeManifest(manifest);
    await store.enqueueChunks(id, manifest.chunks);
    return { manifest, existing: false };
  } catch (err) {
    await store.deleteBatch(id).catch(() => undefined);
    if (input.idempotencyKey !== undefined) await store.releaseIdempotencyKey(input.idempotencyKey).catch(() => undefined);
    throw err;
  }
}

async function storeRows(store: BatchStore, id: string, input: SubmitInput): Promise<BatchManifest> {
  const { validator } = input.model;
  const type = validator.checkType(input.options.type);
  const chunkRows = input.options.chunkRows;
  const errors: FieldError[] = [];
  const uploads: Promise<void>[] = [];
  let pending: Record<string, unknown>[] = [];
  let chunks = 0;
  let total = 0;
  let bad = 0;

  const flush = async () => {
    const rows = pending;
    pending = [];
    const body = JSON.stringify({ type, columns: validator.columns(rows) });
    const upload = store.writeInputChunk(id, chunks++, body, rows.length);
    upload.catch(() => undefined);
    uploads.push(upload);
    if (uploads.length >= UPLOADS_IN_FLIGHT) await uploads.shift();
  };

  for await (const row of input.source.rows) {
    if (total >= input.maxRows) {
      throw new AppError('too_many_rows', `A batch may have at most ${input.maxRows} rows.`);
    }
    const rowErrors = validator.checkRow(row, total, input.source.pointer);
    total++;
    if (rowErrors.length > 0) {
      bad++;
      errors.push(...rowErrors.slice(0, MAX_ERRORS - errors.length));
      if (errors.length >= MAX_ERRORS) break;
      continue;
    }
    if (errors.length > 0) continue;
    pending.push(row as Record<string, unknown>);
    if (pending.length === chunkRows) await flush();
  }
  if (errors.length > 0) {
    await Promise.allSettled(uploads);
    throw invalidRows(bad, errors);
  }
  if (total === 0) throw new AppError('invalid_request', 'The batch has no rows.');
  if (pending.length > 0) await flush();
  await Promise.all(uploads);
  return {
    id,
    model: { name: input.model.name, version: input.model.version },
    type,
    output: input.options.output,
    rows: total,
    chunkRows,
    chunks,
    columns: Object.keys(validator.columns([])),
    createdAt: new Date().toISOString(),
    ...(input.traceParent ? { traceParent: input.traceParent } : {}),
  };
}
