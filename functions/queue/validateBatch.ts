import { app, type InvocationContext } from '@azure/functions';
import { blobFormat } from '../batch/batchOptions.js';
import { MAX_ATTEMPTS, modelRef } from '../batch/batchState.js';
import { csvRowSource, ndjsonRowSource } from '../batch/rowSources.js';
import { discardBatch, storeBatch } from '../batch/submitBatch.js';
import { BATCH_JOBS_QUEUE, config } from '../config.js';
import { AppError, isAppError, problemDetails } from '../errors.js';
import { batches, models } from '../runtime.js';
import { statusOf } from '../storage/storageErrors.js';
import { telemetry } from '../telemetry.js';

/** The blob was replaced after the batch was submitted: its rows are not the ones submitted. */
const inputChanged = (blob: string) =>
  new AppError('invalid_request', `The blob "${blob}" was replaced after the batch was submitted, so its rows are not the ones submitted; nothing was scored. Upload the input again (to a new upload URL) and submit it anew.`, {
    errors: [{ field: 'blob', message: 'was replaced after the batch was submitted', pointer: '/blob' }],
  });

/** Failures that say something about the input, not about this attempt: final at once. */
const isVerdict = (err: unknown): err is AppError => isAppError(err) && err.status >= 400 && err.status < 500;

/**
 * Queue trigger on batch-jobs: checks and stores the rows of a batch submitted as an
 * uploaded blob (answered 202 at once, in state `validating`), exactly as a direct submit
 * does, then writes its manifest (state `queued`). Rows that do not fit the model refuse
 * the batch: its status becomes `failed` with the problem a direct submit would have
 * answered (the first bad rows). The blob is read only while it has the ETag it had when
 * the batch was submitted: replaced since, the batch fails (nothing of it is scored).
 * Anything else (storage unreachable, a crash) is retried by the host; the last try
 * records the batch as failed.
 */
export async function validateBatch(message: unknown, context: InvocationContext): Promise<void> {
  const id = (message as { batch?: unknown } | null)?.batch;
  if (typeof id !== 'string') return void context.warn(`ignoring a batch job that names no batch: ${JSON.stringify(message).slice(0, 200)}`);
  const store = batches();
  const submission = await store.readSubmission(id);
  if (!submission || (await store.readManifest(id)) || (await store.readRefusal(id)) || (await store.stopReason(id))) return;
  const c = config();
  const attempts = Number((context.triggerMetadata as { dequeueCount?: number } | undefined)?.dequeueCount ?? 1);
  // A try that fails for a reason of its own (not the rows') is retried and keeps what it
  // stored: the next one stores the same chunks again (a chunk scored twice writes one result).
  const final = (err: unknown) => isVerdict(err) || attempts >= MAX_ATTEMPTS;
  try {
    const model = await models().resolve(submission.model.name, submission.model.version);
    const stream = await store.openInput(submission.blob, submission.etag);
    if (stream === 'missing') throw new AppError('input_not_found', `There is no blob "${submission.blob}" in the batch inputs container.`);
    if (stream === 'changed') throw inputChanged(submission.blob);
    const source = blobFormat(submission.blob) === 'csv' ? csvRowSource(stream, model.schema) : ndjsonRowSource(stream, model.schema);
    const options = { ...submission.options, type: submission.type };
    const manifest = await storeBatch(store, id, { model, source, options, maxRows: c.batchMaxRows, traceParent: submission.traceParent }, false);
    telemetry().event('Batch submitted', { batch: id, model: manifest.model.name, version: manifest.model.version, rows: String(manifest.rows), chunks: String(manifest.chunks) }, submission.traceParent);
    context.log(`batch ${id} validated: ${manifest.rows} rows in ${manifest.chunks} chunks`);
  } catch (caught) {
    // Replaced while it was being read (the download resumed with If-Match: 412): as replaced before.
    const err = submission.etag && statusOf(caught) === 412 ? inputChanged(submission.blob) : caught;
    if (!final(err)) throw err;
    // An earlier try may have enqueued chunks: mark it refused whatever this one did.
    await discardBatch(store, id);
    const problem = problemDetails(isVerdict(err) ? err : new AppError('internal', 'The batch input could not be read and checked.'), {
      instance: `/api/batches/${id}`,
      requestId: context.invocationId,
      model: modelRef(submission.model),
    });
    context.warn(`batch ${id} refused (request ${context.invocationId}): ${problem.code}: ${problem.detail}${isVerdict(err) ? '' : ` (${(err as Error).message})`}`);
    await store.writeRefusal(id, { at: new Date().toISOString(), problem });
    telemetry().event('Batch refused', { batch: id, code: problem.code }, submission.traceParent);
  }
}

app.storageQueue('validateBatch', { queueName: BATCH_JOBS_QUEUE, connection: 'AzureWebJobsStorage', handler: validateBatch });
