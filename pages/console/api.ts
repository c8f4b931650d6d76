/**
 * The console's only way to the app: same-origin fetches under /api with the key in the
 * x-functions-key header (never in the URL). A 401 to the function key means it is no
 * longer valid, and the console asks for keys again (onRefused).
 */
import type { Keys } from './keys';
import type { AliasMove, BatchStatus, ModelSummary, MonitoringReport, Problem, ScoreAnswer, TrafficRoute, VersionDescription } from './types';

/** An answer other than 2xx (or no answer): the status, and the app's problem+json when it sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly problem?: Problem,
  ) {
    super(message);
  }
}

/** What an alias move sends: one version, or versions by weight; either with a shadow. */
export type AliasBody = { version: string; shadow?: TrafficRoute['shadow'] } | { versions: Record<string, number>; shadow?: TrafficRoute['shadow'] };

export interface Api {
  listModels(): Promise<ModelSummary[]>;
  getVersion(name: string, version: string): Promise<VersionDescription>;
  score(name: string, version: string, row: Record<string, unknown>, type: string): Promise<ScoreAnswer>;
  moveAlias(name: string, alias: string, body: AliasBody): Promise<AliasMove>;
  listBatches(): Promise<BatchStatus[]>;
  cancelBatch(id: string): Promise<BatchStatus>;
  monitoring(name: string, window: string, version?: string): Promise<MonitoringReport>;
}

const seg = encodeURIComponent;

type Level = 'function' | 'admin';

/** The message of a refused request: the problem's detail, else its title, else the status. */
function messageOf(status: number, problem: Problem | undefined): string {
  return problem?.detail ?? problem?.title ?? `The app answered ${status}.`;
}

async function readProblem(res: Response): Promise<Problem | undefined> {
  if (!/json/i.test(res.headers.get('content-type') ?? '')) return undefined;
  try {
    return (await res.json()) as Problem;
  } catch {
    return undefined;
  }
}

/** An Api whose calls carry `keys`; `onRefused` runs when the app refuses the function key. */
export function createApi(keys: Keys, onRefused: () => void): Api {
  async function call<T>(method: string, path: string, body?: unknown, level: Level = 'function'): Promise<T> {
    const key = level === 'admin' ? keys.masterKey : keys.functionKey;
    if (!key) throw new ApiError(0, 'This needs the master key: enter it under "Keys".');
    const headers: Record<string, string> = { 'x-functions-key': key, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`/api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, 'The app could not be reached.');
    }
    if (res.status === 401) {
      if (level === 'function') {
        onRefused();
        throw new ApiError(401, 'The function key was refused (401).');
      }
      throw new ApiError(401, 'The master key was refused (401): only the master key opens admin routes.');
    }
    if (!res.ok) {
      const problem = await readProblem(res);
      throw new ApiError(res.status, messageOf(res.status, problem), problem);
    }
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  return {
    listModels: async () => (await call<{ models: ModelSummary[] }>('GET', 'models')).models,
    getVersion: (name, version) => call('GET', `models/${seg(name)}/versions/${seg(version)}`),
    score: (name, version, row, type) => call('POST', `models/${seg(name)}/versions/${seg(version)}/score`, { data: [row], type }),
    moveAlias: (name, alias, body) => call('PUT', `models/${seg(name)}/aliases/${seg(alias)}`, body, 'admin'),
    listBatches: async () => (await call<{ batches: BatchStatus[] }>('GET', 'batches')).batches,
    cancelBatch: (id) => call('DELETE', `batches/${seg(id)}`),
    monitoring: (name, window, version) => {
      const query = new URLSearchParams({ window });
      if (version) query.set('version', version);
      return call('GET', `models/${seg(name)}/monitoring?${query}`);
    },
  };
}

/**
 * Checks a function key before the console keeps it: GET /api/models with it. Resolves to
 * the models, or rejects with an ApiError (401 when the key is refused).
 */
export async function checkFunctionKey(functionKey: string): Promise<ModelSummary[]> {
  let refused = false;
  const api = createApi({ functionKey }, () => (refused = true));
  try {
    return await api.listModels();
  } catch (err) {
    if (refused) throw new ApiError(401, 'The app refused this function key (401 Unauthorized).');
    throw err;
  }
}
