import { app, type InvocationContext } from '@azure/functions';
import { assembleIfDone, resultColumns } from '../batch/assembleResults.js';
import { csvPiece, jsonPiece } from '../batch/batchResults.js';
import { chunkRange, failureReason } from '../batch/batchState.js';
import { decodeFrame, frameHeader } from '../batch/columnFrame.js';
import { BATCH_QUEUE, config } from '../config.js';
import { isAppError } from '../errors.js';
import { batches, models, monitor } from '../runtime.js';
import { telemetry } from '../telemetry.js';
import type { ChunkMessage } from '../storage/batchStore.js';
import type { PredictionResult } from '../workers/scoreCall.js';
import type { WorkerPool } from '../workers/workerPool.js';

/**
 * Waited out here rather than spending one of the message's deliveries. A worker that
 * crashed on these rows (worker_failed: the pool already tried a second one) is left to
 * the host's retries, so rows that kill R cost a few crashes, not dozens.
 */
const TRANSIENT = new Set(['overloaded', 'model_unavailable', 'timeout']);
/** R refused the rows: the same rows would fail the same way on every try. */
const DETERMINISTIC = new Set(['prediction_failed', 'invalid_input', 'unsupported_type']);

/** Scores a chunk, waiting out a busy or restarting pool rather than spending a delivery. */
async function scoreWithPatience(pool: WorkerPool, batch: Parameters<WorkerPool['score']>[0]): Promise<PredictionResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await pool.score(batch);
    } catch (err) {
      if (!isAppError(err) || !TRANSIENT.has(err.code) || attempt >= 6) throw err;
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
}

function parseMessage(message: unknown): ChunkMessage | undefined {
  const m = message as Partial<ChunkMessage>;
  if (typeof m !== 'object' || m === null || typeof m.batch !== 'string' || !Number.isInteger(m.chunk)) return undefined;
  return m as ChunkMessage;
}

interface ChunkJob {
  batch: string;
  chunk: number;
  from: number;
  model: { name: string; version: string };
  type: string;
  traceParent?: string;
}

/** What a chunk is, from its message; from the manifest for messages of the earlier form. */
async function chunkJob(msg: ChunkMessage): Promise<ChunkJob | undefined> {
  if (Number.isInteger(msg.from) && msg.model && typeof msg.type === 'string') {
    return { batch: msg.batch, chunk: msg.chunk, from: msg.from as number, model: msg.model, type: msg.type, traceParent: msg.traceParent };
  }
  const manifest = await batches().readManifest(msg.batch);
  if (!manifest || msg.chunk < 0 || msg.chunk >= manifest.chunks) return undefined;
  return { batch: msg.batch, chunk: msg.chunk, from: chunkRange(manifest, msg.chunk).from, model: manifest.model, type: manifest.type, traceParent: manifest.traceParent };
}

/**
 * Queue trigger on batch-chunks: scores one chunk of a batch through the same R workers as
 * synchronous scoring and writes its result once (create-only), so a message delivered
 * twice gives one result (and is scored twice, which is rarer than checking first costs).
 * Chunks arrive while their batch is still being submitted: a chunk of a batch refused
 * meanwhile is skipped, and a result written as it was refused is removed again. A
 * cancelled batch's chunks are skipped. A failure is recorded (attempt and reason). When R
 * refused the rows, the chunk has failed at once (its message is consumed: a retry would
 * fail the same way); any other failure (a crash, a timeout) is thrown, so the host
 * retries it, and after 5 tries the message goes to batch-chunks-poison and the batch
 * reports the chunk as failed.
 */
export async function scoreChunk(message: unknown, context: InvocationContext): Promise<void> {
  const msg = parseMessage(message);
  const job = msg && (await chunkJob(msg));
  if (!job) {
    context.warn(`ignoring a batch message that names no chunk: ${JSON.stringify(message).slice(0, 200)}`);
    return;
  }
  const store = batches();
  // One request before scoring; a duplicate delivery is caught by the create-only result write.
  if (await store.stopReason(job.batch)) return;
  const startedAt = new Date().toISOString();
  try {
    const frame = await store.readInputChunk(job.batch, job.chunk);
    if (!frame) return; // the batch was refused and its rows deleted
    const { rows, rowNames } = frameHeader(frame);
    const model = await models().resolve(job.model.name, job.model.version);
    // The stored chunk is already R's request body: it goes to R as it is.
    const result = await scoreWithPatience(model.pool, { rows, type: job.type, columns: {}, encoded: frame, traceParent: job.traceParent });
    const finishedAt = new Date().toISOString();
    // Counted for drift (and logged, if the model logs batches) after this call returns.
    setImmediate(() => {
      try {
        const { columns } = decodeFrame(frame);
        monitor().chunkScored(model, { id: job.batch, from: job.from, rows, columns, ...(rowNames ? { rowNames } : {}), predictions: result.predictions, latencyMs: Date.parse(finishedAt) - Date.parse(startedAt) });
      } catch (err) {
        console.warn(`batch ${job.batch} chunk ${job.chunk}: its rows could not be counted for monitoring: ${(err as Error).message}`);
      }
    });
    const scored = { offset: job.from, predictions: result.predictions, ...(rowNames ? { rowNames } : {}) };
    // The result, and the chunk's blocks of the batch's results blobs (assembly stages
    // again any block that did not make it).
    const shape = { columns: resultColumns(model.schema, job.type), named: rowNames !== undefined };
    const [written] = await Promise.all([
      store.writeResult(job.batch, job.chunk, JSON.stringify({ chunk: job.chunk, ...scored }), { rows, startedAt, finishedAt, named: shape.named, instance: config().instanceId }),
      store.stageResultPieces(job.batch, job.chunk, { csv: csvPiece(scored, shape), json: jsonPiece(scored, shape, job.chunk === 0) }),
    ]);
    // Chunks are scored while their batch is still being submitted: if it was refused
    // meanwhile, this result must not outlive it (the refusal deletes what it can list).
    if (written && (await store.refusedMeanwhile(job.batch))) {
      await store.deleteResult(job.batch, job.chunk);
      return;
    }
    if (!written) context.warn(`batch ${job.batch} chunk ${job.chunk} was already scored (a second delivery of its message)`);
    const manifest = await store.readManifest(job.batch);
    if (written && manifest && (await assembleIfDone(store, manifest, await store.readState(job.batch), async () => shape.columns))) {
      telemetry().event('Batch succeeded', { batch: job.batch, rows: String(manifest.rows), chunks: String(manifest.chunks) }, job.traceParent);
    }
    const ms = Date.parse(finishedAt) - Date.parse(startedAt);
    telemetry().metric('Batch chunk duration (ms)', ms, { model: job.model.name });
    telemetry().event('Batch chunk scored', { batch: job.batch, chunk: String(job.chunk), rows: String(rows), durationMs: String(ms), duplicate: String(!written) }, job.traceParent);
  } catch (err) {
    if ((await store.stopReason(job.batch).catch(() => undefined)) === 'refused') return;
    const attempts = Number((context.triggerMetadata as { dequeueCount?: number } | undefined)?.dequeueCount ?? 1);
    const final = isAppError(err) && DETERMINISTIC.has(err.code);
    const reason = failureReason(err, config().showRErrors);
    const failure = { chunk: job.chunk, attempts, reason, at: new Date().toISOString(), requestId: context.invocationId, ...(final ? { final } : {}) };
    await store.writeFailure(job.batch, failure).catch(() => undefined);
    // As for a result: a failure recorded while its batch was being refused must not outlive it.
    if (await store.refusedMeanwhile(job.batch).catch(() => false)) {
      await store.deleteFailure(job.batch, job.chunk).catch(() => undefined);
      return;
    }
    telemetry().event('Batch chunk failed', { batch: job.batch, chunk: String(job.chunk), attempt: String(attempts), final: String(final), reason: reason.split(':')[0] as string }, job.traceParent);
    // The log has R's message whatever the settings.
    context.error(`batch ${job.batch} chunk ${job.chunk} attempt ${attempts} failed (request ${context.invocationId}): ${failureReason(err, true)}`);
    // R refusing the rows is the chunk's answer: no retry would change it. Anything else is retried.
    if (!final) throw err;
  }
}

app.storageQueue('scoreChunk', { queueName: BATCH_QUEUE, connection: 'AzureWebJobsStorage', handler: scoreChunk });
