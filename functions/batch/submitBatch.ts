import { randomUUID } from 'node:crypto';
import { AppError, type FieldError } from '../errors.js';
import { invalidRows, MAX_ERRORS, type InputValidator } from '../scoring/inputValidator.js';
import type { BatchStore } from '../storage/batchStore.js';
import type { BatchOptions } from './batchOptions.js';
import { MAX_CHUNKS } from './batchResults.js';
import { modelRef, type BatchManifest, type ModelRef, type Submission } from './batchState.js';
import { ColumnFrame } from './columnFrame.js';
import type { RowSource } from './rowSources.js';

export interface RowsInput {
  model: { name: string; version: string; validator: InputValidator };
  source: RowSource;
  options: BatchOptions;
  maxRows: number;
  traceParent?: string;
}

export interface SubmitInput extends RowsInput {
  idempotencyKey: string | undefined;
  /** The request's fingerprint, once its rows are read (recorded with the Idempotency-Key). */
  fingerprint: () => string;
}

/** An Idempotency-Key named a batch submitted before: its id, and the fingerprint of the request that submitted it. */
export interface Existing {
  existing: true;
  id: string;
  fingerprint: string;
}

export type Submitted = { existing: false; manifest: BatchManifest } | Existing;

const UPLOADS_IN_FLIGHT = 4;

/**
 * Accepts a batch: reads every row once and checks it. Each full chunk of `chunkRows` valid
 * rows is stored (as a column frame, which R reads without parsing text) and enqueued at
 * once, so scoring starts while the rest is still arriving; the manifest, written last,
 * makes the batch visible. Memory holds a few chunks whatever the size. Any bad row refuses
 * the whole batch (422 with the first bad rows): the batch is marked refused, so chunks
 * already enqueued are skipped and any result they wrote is removed, and what was stored
 * is deleted.
 */
export async function submitBatch(store: BatchStore, input: SubmitInput): Promise<Submitted> {
  await store.ensure();
  const id = randomUUID();
  const existing = await claimKey(store, input.idempotencyKey, id);
  if (existing) return existing;
  try {
    const manifest = await storeBatch(store, id, input);
    if (input.idempotencyKey !== undefined) await store.recordFingerprint(input.idempotencyKey, id, input.fingerprint());
    return { existing: false, manifest };
  } catch (err) {
    if (input.idempotencyKey !== undefined) await store.releaseIdempotencyKey(input.idempotencyKey).catch(() => undefined);
    throw err;
  }
}

/** The batch an Idempotency-Key already names, if any (503 while that one is still being stored). */
async function claimKey(store: BatchStore, key: string | undefined, id: string, fingerprint?: string): Promise<Existing | undefined> {
  if (key === undefined) return undefined;
  const holder = await store.claimIdempotencyKey(key, id, fingerprint);
  if (holder === undefined) return undefined;
  if (holder.fingerprint) return { existing: true, id: holder.id, fingerprint: holder.fingerprint };
  throw new AppError('overloaded', 'A batch with this Idempotency-Key is still being submitted. Try again shortly.', { retryAfter: 2 });
}

export interface UploadInput {
  /** The model (only its name and version are kept). */
  model: ModelRef;
  type: string;
  options: BatchOptions;
  blob: string;
  idempotencyKey: string | undefined;
  fingerprint: string;
  traceParent?: string;
}

/**
 * Accepts a batch whose rows were uploaded to the batch inputs container, without reading
 * them: what was asked is stored, with the blob's ETag (its rows are read only while the
 * blob has that one: replaced after the submit, the batch fails), and a job to check and
 * store the rows is queued (see validateBatch), so the answer comes at once whatever the
 * input's size.
 */
export async function submitUpload(store: BatchStore, input: UploadInput): Promise<{ existing: false; submission: Submission } | Existing> {
  await store.ensure();
  const etag = await store.inputEtag(input.blob);
  if (etag === undefined) throw new AppError('input_not_found', `There is no blob "${input.blob}" in the batch inputs container.`);
  const id = randomUUID();
  const existing = await claimKey(store, input.idempotencyKey, id, input.fingerprint);
  if (existing) return existing;
  const submission: Submission = {
    id,
    model: modelRef(input.model),
    type: input.type,
    options: input.options,
    blob: input.blob,
    etag,
    createdAt: new Date().toISOString(),
    ...(input.traceParent ? { traceParent: input.traceParent } : {}),
  };
  await store.writeSubmission(submission);
  await store.enqueueValidation(id);
  return { existing: false, submission };
}

/**
 * Checks and stores a batch's rows under `id`, then writes its manifest, which makes it
 * visible. Any bad row refuses the whole batch: unless `discardOnError` is false (a try to
 * be retried), it is marked refused once chunks were enqueued, so those are skipped and any
 * result they wrote is removed, and what was stored is deleted.
 */
export async function storeBatch(store: BatchStore, id: string, input: RowsInput, discardOnError = true): Promise<BatchManifest> {
  const progress = { enqueued: 0 };
  try {
    const manifest = await storeRows(store, id, input, progress);
    await store.writeManifest(manifest);
    return manifest;
  } catch (err) {
    if (discardOnError) await discardBatch(store, id, progress.enqueued > 0);
    throw err;
  }
}

/** Deletes what was stored for a batch, after marking it refused (`refuse`) if chunks of it may be in the queue. */
export async function discardBatch(store: BatchStore, id: string, refuse = true): Promise<void> {
  if (refuse) await store.refuse(id).catch(() => undefined);
  await store.deleteBatch(id).catch(() => undefined);
}

async function storeRows(store: BatchStore, id: string, input: RowsInput, progress: { enqueued: number }): Promise<BatchManifest> {
  const receivedAt = new Date().toISOString();
  const { validator } = input.model;
  const { source } = input;
  const type = validator.checkType(input.options.type);
  const chunkRows = input.options.chunkRows;
  const features = validator.features;
  const model = modelRef(input.model);
  const traceParent = input.traceParent ? { traceParent: input.traceParent } : {};
  const errors: FieldError[] = [];
  const uploads: Promise<void>[] = [];
  let frame = new ColumnFrame(features, type, chunkRows);
  let chunks = 0;
  let total = 0;
  let bad = 0;
  let rowNames = false;

  const flush = async () => {
    if (chunks >= MAX_CHUNKS) {
      throw new AppError('invalid_request', `A batch may have at most ${MAX_CHUNKS} chunks: ask for a larger chunkSize.`, {
        errors: [{ field: 'chunkSize', message: `gives more than ${MAX_CHUNKS} chunks`, pointer: '?chunkSize' }],
      });
    }
    const full = frame;
    const chunk = chunks++;
    frame = new ColumnFrame(features, type, chunkRows);
    const upload = (async () => {
      await store.writeInputChunk(id, chunk, full.encode(), full.rows);
      progress.enqueued++;
      await store.enqueueChunk({ batch: id, chunk, from: chunk * chunkRows, model, type, ...traceParent });
    })();
    upload.catch(() => undefined);
    uploads.push(upload);
    if (uploads.length >= UPLOADS_IN_FLIGHT) await uploads.shift();
  };

  /** Why a row did not fit, in the row schema's words. */
  const explain = (row: unknown, index: number, failedAt: number): FieldError[] => {
    const found = validator.checkRow(source.object(row), index, source.pointer);
    if (found.length > 0) return found;
    const field = features[failedAt]?.name ?? '';
    return [{ field, row: index, message: 'is not valid', pointer: source.pointer(index, field) }];
  };

  try {
    for await (const block of source.blocks) {
      for (const row of block) {
        if (total >= input.maxRows) {
          throw new AppError('too_many_rows', `A batch may have at most ${input.maxRows} rows.`);
        }
        const index = total++;
        const values = source.values(row);
        // Once a row is bad nothing more is stored: later rows are only checked.
        const rowName = source.rowName(row);
        if (rowName !== undefined) rowNames = true;
        const failedAt = values === undefined ? 0 : errors.length > 0 ? frame.misfit(values) : frame.push(values, rowName);
        if (failedAt < 0) {
          if (frame.full) await flush();
          continue;
        }
        bad++;
        errors.push(...explain(row, index, failedAt).slice(0, MAX_ERRORS - errors.length));
        if (errors.length >= MAX_ERRORS) break;
      }
      if (errors.length >= MAX_ERRORS) break;
    }
    if (errors.length > 0) throw invalidRows(bad, errors);
    if (total === 0) throw new AppError('invalid_request', 'The batch has no rows.');
    if (frame.rows > 0) await flush();
    await Promise.all(uploads);
  } finally {
    // Nothing may still be on its way to storage when the caller discards the batch.
    await Promise.allSettled(uploads);
  }
  return {
    id,
    model,
    type,
    output: input.options.output,
    rows: total,
    chunkRows,
    chunks,
    columns: features.map((f) => f.name),
    ...(rowNames ? { rowNames: true } : {}),
    createdAt: receivedAt,
    ...traceParent,
  };
}
