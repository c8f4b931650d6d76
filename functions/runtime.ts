import { BATCH_JOBS_QUEUE, BATCH_QUEUE, config } from './config.js';
import { Preloader } from './models/preloader.js';
import { ModelRegistry } from './models/registry.js';
import { rHandlerDir } from './paths.js';
import { BatchStore } from './storage/batchStore.js';
import { ModelStore } from './storage/modelStore.js';
import { httpWorkerFactory } from './workers/httpWorker.js';
import { pipeWorkerFactory } from './workers/pipeWorker.js';
import { CallBudget } from './workers/callBudget.js';
import { WorkerPool, type PoolObserver } from './workers/workerPool.js';
import { telemetry } from './telemetry.js';
import { basename } from 'node:path';
import { Monitor } from './monitoring/monitor.js';
import { MonitorStore } from './monitoring/monitorStore.js';
import { logContainer, PredictionLog } from './monitoring/predictionLog.js';

let registry: ModelRegistry | undefined;
/** Each model's R call budget, shared by its versions' pools (R_WORKERS calls at once). */
const budgets = new Map<string, CallBudget>();
let modelStoreOfProcess: ModelStore | undefined;

/** The process's model store (versions, aliases and their history in Blob Storage). */
export function modelStore(): ModelStore {
  if (!modelStoreOfProcess) {
    const c = config();
    modelStoreOfProcess = ModelStore.connect(c.modelStorage, c.modelsContainer);
  }
  return modelStoreOfProcess;
}

/** The process's one model registry, wired to storage and R from the settings. */
export function models(): ModelRegistry {
  if (!registry) {
    const c = config();
    registry = new ModelRegistry({
      store: modelStore(),
      cacheDir: c.modelCacheDir,
      refreshMs: c.modelRefreshMs,
      idleMs: c.modelIdleMs,
      defaultModel: c.defaultModel,
      processes: { perVersion: c.workersPerModel, max: c.maxProcesses },
      createPool: (dir, schema, name, size) =>
        new WorkerPool((c.rTransport === 'http' ? httpWorkerFactory : pipeWorkerFactory)({ rscript: c.rscript, handlerDir: rHandlerDir, modelDir: dir, readyTimeoutMs: c.workerReadyTimeoutMs }), {
          size: size ?? c.workersPerModel,
          queueLimit: c.scoreQueueLimit,
          timeoutMs: c.scoreTimeoutMs,
          maxBatchRows: schema.microBatch === false || c.microBatchOff.includes(name) ? 1 : c.microBatchMaxRows,
          maxWaitMs: c.microBatchMaxWaitMs,
          observer: poolTelemetry(name, dir),
          retryAfterSeconds: 1,
          budget: budgets.get(name) ?? budgets.set(name, new CallBudget(c.workersPerModel, { maxHoldMs: c.splitMaxHoldMs })).get(name),
        }),
    });
  }
  return registry;
}

/** Each R call as a dependency of every request it served, with the pool's metrics. */
function poolTelemetry(model: string, dir: string): PoolObserver {
  const version = basename(dir).replace(/-[0-9a-f]{16}$/, '');
  return {
    call: (r) => {
      const t = telemetry();
      const rows = r.jobs.reduce((n, j) => n + j.rows, 0);
      for (const job of r.jobs) {
        t.dependency({
          name: 'R score',
          type: 'R',
          target: `${model}@${version}`,
          durationMs: r.durationMs,
          success: r.outcome === 'ok',
          resultCode: r.outcome === 'ok' || r.outcome === 'error' ? String(r.status) : r.outcome,
          properties: {
            model,
            version,
            rows: String(job.rows),
            callRows: String(rows),
            mergedRequests: String(r.jobs.length),
            worker: String(r.workerId),
            outcome: r.outcome,
            ...(r.error === undefined ? {} : { error: r.error }),
          },
          traceParent: job.traceParent,
        });
        t.metric('Wait before dispatch (ms)', job.waitedMs, { model });
      }
      t.metric('Rows scored', rows, { model, version });
      t.metric('Micro-batch size', r.jobs.length, { model });
      t.metric('R latency (ms)', r.durationMs, { model });
    },
    restart: () => telemetry().metric('Worker restarts', 1, { model, version }),
  };
}

let batchStore: BatchStore | undefined;

/** The process's batch store, on the host's storage account: the queue trigger polls that account. */
export function batches(): BatchStore {
  if (!batchStore) {
    const c = config();
    batchStore = BatchStore.connect(c.hostStorage, { batches: c.batchesContainer, inputs: c.batchInputsContainer, queue: BATCH_QUEUE, jobs: BATCH_JOBS_QUEUE });
  }
  return batchStore;
}

let monitorOfProcess: Monitor | undefined;

/** The process's monitor: counts, shadow comparisons and the prediction log, on the host's storage account. */
export function monitor(): Monitor {
  if (!monitorOfProcess) {
    const c = config();
    let m: Monitor | undefined = undefined;
    const log = new PredictionLog({
      container: logContainer(c.hostStorage, c.predictionLogContainer),
      // A blob name part: the platform's replica names are, a hostname may not be.
      instance: c.instanceId.replace(/[^A-Za-z0-9._-]/g, '-'),
      maxBufferBytes: c.predictionLogBufferBytes,
      flushMs: c.predictionLogFlushMs,
      onWritten: (model, version, rows) => m?.logged(model, version, rows, 0),
      onDropped: (model, version, rows) => m?.logged(model, version, 0, rows),
    });
    m = new Monitor({
      store: MonitorStore.connect(c.hostStorage, c.monitoringContainer),
      log,
      instance: c.instanceId,
      flushMs: c.monitoringFlushMs,
      psiThreshold: c.driftPsiThreshold,
      minRows: c.driftMinRows,
      shadowMaxInFlight: c.shadowMaxInFlight,
      logSample: c.predictionLogSample,
      loadVersion: (name, version) => models().loadVersion(name, version),
      schemaOf: (name, version) => models().schemaOfVersion(name, version).catch(() => undefined),
      telemetry,
    });
    monitorOfProcess = m;
  }
  return monitorOfProcess;
}

let preloaderOfProcess: Preloader | undefined;

/** The process's preloads (PRELOAD_MODELS), started by the app's start hook. */
export function preloader(): Preloader {
  preloaderOfProcess ??= new Preloader((name) => models().preload(name), { retryMs: config().preloadRetryMs, warn: (m) => console.warn(m) });
  return preloaderOfProcess;
}

/** Stops the preloads' retries, writes what the monitor holds, then stops every R worker. */
export async function shutdown(): Promise<void> {
  preloaderOfProcess?.stop();
  preloaderOfProcess = undefined;
  const r = registry;
  registry = undefined;
  const m = monitorOfProcess;
  monitorOfProcess = undefined;
  await Promise.all([m?.close(2000), r?.close()]);
}
