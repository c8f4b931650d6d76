import { app, type InvocationContext } from '@azure/functions';
import { chunkRange } from '../batch/batchState.js';
import { frameRows } from '../batch/columnFrame.js';
import { BATCH_QUEUE } from '../config.js';
import { isAppError, type AppError } from '../errors.js';
import { batches, models } from '../runtime.js';
import { telemetry } from '../telemetry.js';
import type { ChunkMessage } from '../storage/batchStore.js';
import type { PredictionResult } from '../workers/scoreCall.js';
import type { WorkerPool } from '../workers/workerPool.js';

const TRANSIENT = new Set(['overloaded', 'worker_failed', 'model_unavailable', 'timeout']);

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
 * meanwhile is skipped, and a result written as it was refused is removed again. A cancelled batch's chunks are skipped. A failure is recorded (attempt
 * and reason) and thrown, so the host retries it; after 5 tries the message goes to
 * batch-chunks-poison and the batch reports the chunk as failed.
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
    const rows = frameRows(frame);
    const model = await models().resolve(job.model.name, job.model.version);
    // The stored chunk is already R's request body: it goes to R as it is.
    const result = await scoreWithPatience(model.pool, { rows, type: job.type, columns: {}, encoded: frame, traceParent: job.traceParent });
    const finishedAt = new Date().toISOString();
    const written = await store.writeResult(job.batch, job.chunk, JSON.stringify({ chunk: job.chunk, offset: job.from, predictions: result.predictions }), {
      rows,
      startedAt,
      finishedAt,
    });
    // Chunks are scored while their batch is still being submitted: if it was refused
    // meanwhile, this result must not outlive it (the refusal deletes what it can list).
    if (written && !store.isKnownAccepted(job.batch) && (await store.stopReason(job.batch)) === 'refused') {
      await store.deleteResult(job.batch, job.chunk);
      return;
    }
    const ms = Date.parse(finishedAt) - Date.parse(startedAt);
    telemetry().metric('Batch chunk duration (ms)', ms, { model: job.model.name });
    telemetry().event('Batch chunk scored', { batch: job.batch, chunk: String(job.chunk), rows: String(rows), durationMs: String(ms), duplicate: String(!written) }, job.traceParent);
  } catch (err) {
    if ((await store.stopReason(job.batch).catch(() => undefined)) === 'refused') return;
    const attempts = Number((context.triggerMetadata as { dequeueCount?: number } | undefined)?.dequeueCount ?? 1);
    const reason = isAppError(err) ? `${(err as AppError).code}: ${err.message}` : 'internal: the chunk could not be scored';
    await store.writeFailure(job.batch, { chunk: job.chunk, attempts, reason, at: new Date().toISOString() }).catch(() => undefined);
    telemetry().event('Batch chunk failed', { batch: job.batch, chunk: String(job.chunk), attempt: String(attempts), reason: reason.split(':')[0] as string }, job.traceParent);
    context.error(`batch ${job.batch} chunk ${job.chunk} attempt ${attempts} failed: ${reason}`);
    throw err;
  }
}

app.storageQueue('scoreChunk', { queueName: BATCH_QUEUE, connection: 'AzureWebJobsStorage', handler: scoreChunk });
