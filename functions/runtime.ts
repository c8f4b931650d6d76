import { BATCH_QUEUE, config } from './config.js';
import { ModelRegistry } from './models/registry.js';
import { rHandlerDir } from './paths.js';
import { BatchStore } from './storage/batchStore.js';
import { ModelStore } from './storage/modelStore.js';
import { httpWorkerFactory } from './workers/httpWorker.js';
import { pipeWorkerFactory } from './workers/pipeWorker.js';
import { WorkerPool } from './workers/workerPool.js';

let registry: ModelRegistry | undefined;

/** The process's one model registry, wired to storage and R from the settings. */
export function models(): ModelRegistry {
  if (!registry) {
    const c = config();
    registry = new ModelRegistry({
      store: ModelStore.fromConnectionString(c.storageConnection, c.modelsContainer),
      cacheDir: c.modelCacheDir,
      refreshMs: c.modelRefreshMs,
      idleMs: c.modelIdleMs,
      defaultModel: c.defaultModel,
      createPool: (dir, schema, name) =>
        new WorkerPool((c.rTransport === 'http' ? httpWorkerFactory : pipeWorkerFactory)({ rscript: c.rscript, handlerDir: rHandlerDir, modelDir: dir, readyTimeoutMs: c.workerReadyTimeoutMs }), {
          size: c.workersPerModel,
          queueLimit: c.scoreQueueLimit,
          timeoutMs: c.scoreTimeoutMs,
          maxBatchRows: schema.microBatch === false || c.microBatchOff.includes(name) ? 1 : c.microBatchMaxRows,
          maxWaitMs: c.microBatchMaxWaitMs,
          retryAfterSeconds: 1,
        }),
    });
  }
  return registry;
}

let batchStore: BatchStore | undefined;

/** The process's batch store, on the same storage account as the models. */
export function batches(): BatchStore {
  if (!batchStore) {
    const c = config();
    batchStore = BatchStore.fromConnectionString(c.storageConnection, { batches: c.batchesContainer, inputs: c.batchInputsContainer, queue: BATCH_QUEUE });
  }
  return batchStore;
}

/** Stops every R worker. */
export async function shutdown(): Promise<void> {
  const r = registry;
  registry = undefined;
  await r?.close();
}
