import { app, type InvocationContext } from '@azure/functions';
import { chunkRange } from '../batch/batchState.js';
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
  return { batch: m.batch, chunk: m.chunk as number };
}

/**
 * Queue trigger on batch-chunks: scores one chunk of a batch through the same R workers as
 * synchronous scoring and writes its result once (create-only), so a message delivered
 * twice gives one result. A cancelled batch's chunks are skipped. A failure is recorded
 * (attempt and reason) and thrown, so the host retries it; after 5 tries the message goes
 * to batch-chunks-poison and the batch reports the chunk as failed.
 */
export async function scoreChunk(message: unknown, context: InvocationContext): Promise<void> {
  const msg = parseMessage(message);
  if (!msg) {
    context.warn('ignoring a batch message that is not {batch, chunk}');
    return;
  }
  const store = batches();
  const manifest = await store.readManifest(msg.batch);
  if (!manifest) throw new Error(`batch ${msg.batch} has no manifest`);
  if (msg.chunk < 0 || msg.chunk >= manifest.chunks) {
    context.warn(`ignoring chunk ${msg.chunk} of batch ${msg.batch}: out of range`);
    return;
  }
  if ((await store.isCancelled(msg.batch)) || (await store.resultExists(msg.batch, msg.chunk))) return;
  const startedAt = new Date().toISOString();
  try {
    const encoded = await store.readInputChunk(msg.batch, msg.chunk);
    const { from, to } = chunkRange(manifest, msg.chunk);
    const model = await models().resolve(manifest.model.name, manifest.model.version);
    // The stored chunk is already R's request body: it goes to R as it is.
    const result = await scoreWithPatience(model.pool, { rows: to - from + 1, type: manifest.type, columns: {}, encoded, traceParent: manifest.traceParent });
    const finishedAt = new Date().toISOString();
    const written = await store.writeResult(msg.batch, msg.chunk, JSON.stringify({ chunk: msg.chunk, offset: from, predictions: result.predictions }), {
      rows: to - from + 1,
      startedAt,
      finishedAt,
    });
    const ms = Date.parse(finishedAt) - Date.parse(startedAt);
    telemetry().metric('Batch chunk duration (ms)', ms, { model: manifest.model.name });
    telemetry().event('Batch chunk scored', { batch: msg.batch, chunk: String(msg.chunk), rows: String(to - from + 1), durationMs: String(ms), duplicate: String(!written) }, manifest.traceParent);
  } catch (err) {
    const attempts = Number((context.triggerMetadata as { dequeueCount?: number } | undefined)?.dequeueCount ?? 1);
    const reason = isAppError(err) ? `${(err as AppError).code}: ${err.message}` : 'internal: the chunk could not be scored';
    await store.writeFailure(msg.batch, { chunk: msg.chunk, attempts, reason, at: new Date().toISOString() }).catch(() => undefined);
    telemetry().event('Batch chunk failed', { batch: msg.batch, chunk: String(msg.chunk), attempt: String(attempts), reason: reason.split(':')[0] as string }, manifest.traceParent);
    context.error(`batch ${msg.batch} chunk ${msg.chunk} attempt ${attempts} failed: ${reason}`);
    throw err;
  }
}

app.storageQueue('scoreChunk', { queueName: BATCH_QUEUE, connection: 'AzureWebJobsStorage', handler: scoreChunk });
