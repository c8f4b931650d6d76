import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * The app's settings, read from the environment once, validated together, and frozen.
 * Nothing else reads process.env. Each setting and its default is listed in the README.
 */
/**
 * How the app reaches its storage account: a connection string (Azurite locally), or
 * identity-based, as the Functions host's own `AzureWebJobsStorage__*` settings describe it.
 */
export type StorageAccess =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; blobServiceUri: string; queueServiceUri: string; clientId?: string };

export interface Config {
  /**
   * The host's storage account (AzureWebJobsStorage): batches and their queue live here,
   * because the queue trigger polls this account and no other.
   */
  hostStorage: StorageAccess;
  /** The storage account holding models: MODEL_STORAGE, else the host's. */
  modelStorage: StorageAccess;
  /** Application Insights; telemetry is off when empty. */
  applicationInsightsConnectionString: string;
  /**
   * How telemetry authenticates to Application Insights: `Authorization=AAD` (with
   * `ClientId=<user-assigned identity>`, else the system-assigned one) sends it with a
   * managed identity's token, which a resource with local auth off requires.
   */
  applicationInsightsAuthenticationString: string;
  modelsContainer: string;
  /** The model POST /api/score uses; empty means "the only model, if there is one". */
  defaultModel: string;
  /** Models whose workers start with the app rather than on first use. */
  preloadModels: string[];
  /** How long a model whose preload failed waits before it is tried again. */
  preloadRetryMs: number;
  rscript: string;
  /** How the app talks to its R workers: "pipe" (standard streams) or "http" (plumber on loopback). */
  rTransport: 'pipe' | 'http';
  /** R processes per loaded model version. */
  workersPerModel: number;
  /** R processes per instance at most, across versions (R_MAX_PROCESSES): by default 4 per core, at most one per 256 MiB of the instance's memory. */
  maxProcesses: number;
  workerReadyTimeoutMs: number;
  /** Time from receiving a scoring request to answering it; past it, 504. */
  scoreTimeoutMs: number;
  /** Requests that may wait for a busy model version before 503. */
  scoreQueueLimit: number;
  /** Put R's own error messages in answers (problem details, batch errors); they are always logged. */
  showRErrors: boolean;
  /** Rows merged into one R call at most; 1 turns micro-batching off. */
  microBatchMaxRows: number;
  /** Longest a request waits for others to merge with, and only under load. */
  microBatchMaxWaitMs: number;
  /**
   * Longest a minor version of a split (under half its model's recent rows) holds its
   * requests to merge them while the model's other versions are busy; 0: never.
   */
  splitMaxHoldMs: number;
  /** Models whose requests are never merged (as with "microBatch": false in model.json). */
  microBatchOff: string[];
  maxBodyBytes: number;
  /** How long the app waits for a whole request body (the platform's front end cuts slower ones first). */
  bodyReadTimeoutMs: number;
  /**
   * Whether x-ms-client-principal-name names the caller: only where the platform's
   * authentication is on, which sets it and drops a caller's own.
   */
  trustClientPrincipal: boolean;
  maxRows: number;
  modelCacheDir: string;
  /** How often model versions and aliases are re-read from storage. */
  modelRefreshMs: number;
  /** A version no alias points at is stopped after this long unused. */
  modelIdleMs: number;
  /** Where callers upload batch input files; batches may name blobs only in this container. */
  batchInputsContainer: string;
  /** Batch manifests, input chunks, results and state. */
  batchesContainer: string;
  /** Rows per chunk unless the request asks otherwise. */
  batchChunkRows: number;
  batchMaxChunkRows: number;
  batchMaxRows: number;
  /**
   * Largest batch body (CSV or JSON) sent through the function. Below the host's own cap
   * (100 MB), so that the app, not the host, refuses a larger one, pointing to upload URLs.
   */
  batchMaxBodyBytes: number;
  /** Largest publish request (model.rds, prototype and score.R together). */
  publishMaxBytes: number;
  /** How long an upload URL (POST /api/batches/uploads) may be used. */
  uploadUrlSeconds: number;
  /** How long a link to a finished batch's results may be used. */
  resultsUrlSeconds: number;
  /** Most rows a batch's results stream while it runs (finished results are one blob). */
  partialResultsMaxRows: number;
  /** This instance, as the platform names it (for what it records, such as which instance scored a chunk). */
  instanceId: string;
  /** Where each instance writes its monitoring counts (on the host's storage account). */
  monitoringContainer: string;
  /** How often each instance writes its counts (and exports drift metrics). */
  monitoringFlushMs: number;
  /** A feature drifts when its PSI over the window is above this. */
  driftPsiThreshold: number;
  /** Fewest non-missing values of a feature in a window for its PSI to be computed. */
  driftMinRows: number;
  /** Shadow scorings running at once on an instance at most; past it, a shadow request is dropped (and counted). */
  shadowMaxInFlight: number;
  /** Where sampled predictions are logged, as JSON Lines (on the host's storage account). */
  predictionLogContainer: string;
  /** Share of requests logged per model, overriding model.json's (`name=0.1,other=1`; `*` for every model). */
  predictionLogSample: Record<string, number>;
  /** Most bytes of log lines an instance holds before it drops new ones (and counts them). */
  predictionLogBufferBytes: number;
  /** How often held log lines are written. */
  predictionLogFlushMs: number;
}

/** The queue of batch chunks to score (its poison queue is `batch-chunks-poison`). */
export const BATCH_QUEUE = 'batch-chunks';
/** The queue of batch jobs that are not chunks: validating an uploaded input, assembling results. */
export const BATCH_JOBS_QUEUE = 'batch-jobs';

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n- ${problems.join('\n- ')}`);
    this.name = 'ConfigError';
  }
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/;

/** Memory this instance may use: its container's limit (cgroup) where it has one, else the machine's. */
function instanceMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < totalmem() ? limit : totalmem();
}

/** R processes per instance by default: 4 per core, at most one per 256 MiB the instance may use, at least 1. */
export const defaultMaxProcesses = (): number => Math.max(1, Math.min(4 * availableParallelism(), Math.floor(instanceMemory() / 2 ** 28)));

export function readConfig(env: NodeJS.ProcessEnv): Config {
  const problems: string[] = [];
  const text = (key: string, fallback: string): string => {
    const v = env[key]?.trim();
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[key]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const raw = env[key]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${key} must be true or false (got "${env[key]}")`);
    return fallback;
  };
  const list = (key: string, fallback: string[]): string[] => {
    const raw = env[key]?.trim();
    return raw ? raw.split(',').map((s) => s.trim()).filter(Boolean) : fallback;
  };
  const share = (key: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!(n >= 0 && n <= 1)) {
      problems.push(`${key} must be a share from 0 to 1 (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const shares = (key: string): Record<string, number> =>
    Object.fromEntries(
      list(key, []).map((item) => {
        const [name, value] = item.split('=').map((s) => s.trim());
        if (!name || value === undefined) problems.push(`${key} must list model=share pairs, e.g. "iris=0.1,*=0.01" (got "${item}")`);
        return [name ?? '', share(key, value, 0)];
      }),
    );

  const hostStorage = readStorage(env, 'AzureWebJobsStorage', problems);
  const modelStorage = hasStorage(env, 'MODEL_STORAGE') ? readStorage(env, 'MODEL_STORAGE', problems) : hostStorage;
  const modelsContainer = text('MODELS_CONTAINER', 'models');
  if (!NAME.test(modelsContainer)) problems.push(`MODELS_CONTAINER "${modelsContainer}" is not a valid container name`);
  const defaultModel = text('DEFAULT_MODEL', '');

  const config: Config = {
    hostStorage,
    modelStorage,
    applicationInsightsConnectionString: text('APPLICATIONINSIGHTS_CONNECTION_STRING', ''),
    applicationInsightsAuthenticationString: text('APPLICATIONINSIGHTS_AUTHENTICATION_STRING', ''),
    modelsContainer,
    defaultModel,
    preloadModels: list('PRELOAD_MODELS', defaultModel ? [defaultModel] : []),
    preloadRetryMs: int('PRELOAD_RETRY_MS', 30_000, 100),
    rscript: text('R_SCRIPT', 'Rscript'),
    rTransport: text('R_TRANSPORT', 'pipe') as Config['rTransport'],
    workersPerModel: int('R_WORKERS', availableParallelism(), 1, 64),
    maxProcesses: int('R_MAX_PROCESSES', defaultMaxProcesses(), 1, 4096),
    workerReadyTimeoutMs: int('R_READY_TIMEOUT_MS', 120_000, 1000),
    scoreTimeoutMs: int('SCORE_TIMEOUT_MS', 30_000, 10),
    scoreQueueLimit: int('SCORE_QUEUE_LIMIT', 128, 0),
    showRErrors: bool('SHOW_R_ERRORS', false),
    microBatchMaxRows: int('MICRO_BATCH_MAX_ROWS', 1000, 1),
    microBatchMaxWaitMs: int('MICRO_BATCH_MAX_WAIT_MS', 1, 0, 1000),
    splitMaxHoldMs: int('SPLIT_MAX_HOLD_MS', 50, 0, 1000),
    microBatchOff: list('MICRO_BATCH_OFF', []),
    maxBodyBytes: int('MAX_BODY_BYTES', 4 * 1024 * 1024, 1024),
    bodyReadTimeoutMs: int('BODY_READ_TIMEOUT_MS', 30_000, 100),
    trustClientPrincipal: bool('TRUST_CLIENT_PRINCIPAL', false),
    maxRows: int('MAX_ROWS', 10_000, 1),
    modelCacheDir: text('MODEL_CACHE_DIR', join(tmpdir(), 'r-scoring', 'models')),
    modelRefreshMs: int('MODEL_REFRESH_MS', 2000, 100),
    modelIdleMs: int('MODEL_IDLE_MS', 600_000, 1000),
    batchInputsContainer: text('BATCH_INPUTS_CONTAINER', 'batch-inputs'),
    batchesContainer: text('BATCHES_CONTAINER', 'batches'),
    batchChunkRows: int('BATCH_CHUNK_ROWS', 10_000, 1),
    batchMaxChunkRows: int('BATCH_MAX_CHUNK_ROWS', 50_000, 1),
    batchMaxRows: int('BATCH_MAX_ROWS', 50_000_000, 1),
    batchMaxBodyBytes: int('BATCH_MAX_BODY_BYTES', 64 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    publishMaxBytes: int('PUBLISH_MAX_BYTES', 64 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    uploadUrlSeconds: int('UPLOAD_URL_SECONDS', 600, 60, 3600),
    resultsUrlSeconds: int('RESULTS_URL_SECONDS', 300, 30, 3600),
    partialResultsMaxRows: int('PARTIAL_RESULTS_MAX_ROWS', 100_000, 1),
    // Container Apps names each replica; App Service plans, each instance.
    instanceId: env.CONTAINER_APP_REPLICA_NAME?.trim() || env.WEBSITE_INSTANCE_ID?.trim() || `${hostname()}-${process.pid}`,
    monitoringContainer: text('MONITORING_CONTAINER', 'monitoring'),
    monitoringFlushMs: int('MONITORING_FLUSH_MS', 60_000, 100),
    driftPsiThreshold: share('DRIFT_PSI_THRESHOLD', env.DRIFT_PSI_THRESHOLD, 0.2),
    driftMinRows: int('DRIFT_MIN_ROWS', 100, 1),
    shadowMaxInFlight: int('SHADOW_MAX_IN_FLIGHT', 8, 0),
    predictionLogContainer: text('PREDICTION_LOG_CONTAINER', 'prediction-logs'),
    predictionLogSample: shares('PREDICTION_LOG'),
    predictionLogBufferBytes: int('PREDICTION_LOG_BUFFER_BYTES', 16 * 1024 * 1024, 1024),
    predictionLogFlushMs: int('PREDICTION_LOG_FLUSH_MS', 5000, 100),
  };
  for (const [key, value] of [
    ['BATCH_INPUTS_CONTAINER', config.batchInputsContainer],
    ['BATCHES_CONTAINER', config.batchesContainer],
    ['MONITORING_CONTAINER', config.monitoringContainer],
    ['PREDICTION_LOG_CONTAINER', config.predictionLogContainer],
  ]) {
    if (!NAME.test(value as string)) problems.push(`${key} "${value}" is not a valid container or queue name`);
  }
  if (config.rTransport !== 'pipe' && config.rTransport !== 'http') problems.push(`R_TRANSPORT must be "pipe" or "http" (got "${config.rTransport}")`);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Whether any setting names a storage account under `prefix` (a connection string or identity-based). */
export function hasStorage(env: NodeJS.ProcessEnv, prefix: string): boolean {
  return [env[prefix], env[`${prefix}__accountName`], env[`${prefix}__blobServiceUri`], env[`${prefix}__queueServiceUri`]].some((v) => v?.trim());
}

/**
 * A storage account as the Functions host reads its connection settings: `<prefix>` as a
 * connection string, or identity-based `<prefix>__accountName` (or `__blobServiceUri` and
 * `__queueServiceUri`) with an optional `__clientId`. Identity-based settings win.
 */
export function readStorage(env: NodeJS.ProcessEnv, prefix: string, problems: string[]): StorageAccess {
  const account = env[`${prefix}__accountName`]?.trim();
  const blobServiceUri = env[`${prefix}__blobServiceUri`]?.trim() || (account ? `https://${account}.blob.core.windows.net` : '');
  const queueServiceUri = env[`${prefix}__queueServiceUri`]?.trim() || (account ? `https://${account}.queue.core.windows.net` : '');
  if (blobServiceUri && queueServiceUri) {
    const clientId = env[`${prefix}__clientId`]?.trim();
    return { kind: 'identity', blobServiceUri, queueServiceUri, ...(clientId ? { clientId } : {}) };
  }
  const connection = env[prefix]?.trim();
  if (connection) {
    return { kind: 'connectionString', connectionString: connection === 'UseDevelopmentStorage=true' ? developmentStorage : connection };
  }
  problems.push(`${prefix} must be a connection string, or ${prefix}__accountName (or __blobServiceUri and __queueServiceUri) must name the storage account`);
  return { kind: 'connectionString', connectionString: '' };
}

/** Azurite's well-known development account, as `UseDevelopmentStorage=true` means. */
export const developmentStorage =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;';

let current: Config | undefined;

/** The settings of this process, read on first use. */
export function config(): Config {
  current ??= readConfig(process.env);
  return current;
}
