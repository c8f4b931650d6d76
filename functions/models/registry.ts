import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { AppError } from '../errors.js';
import { InputValidator } from '../scoring/inputValidator.js';
import { parseModelSchema, type ModelSchema } from '../scoring/modelSchema.js';
import type { ModelIndex, ModelStore, StoredVersion } from '../storage/modelStore.js';
import { planProcesses } from '../workers/processCap.js';
import type { PoolStats, WorkerPool } from '../workers/workerPool.js';
import { defaultAliases, isValidName } from './names.js';
import { knownVersions, modelNotFound } from './notFound.js';
import { pickVersion, primaryVersion, routeVersions, subjectPoint, type TrafficRoute } from './traffic.js';

/** A model version with its schema, validator and R workers, ready to take requests. */
export interface LoadedVersion {
  name: string;
  version: string;
  tag: string;
  dir: string;
  schema: ModelSchema;
  validator: InputValidator;
  pool: WorkerPool;
}

export interface RegistryOptions {
  store: Pick<ModelStore, 'listModelNames' | 'getIndex' | 'getVersion' | 'download' | 'readText'>;
  cacheDir: string;
  /** `size`: the workers to start (fewer than R_WORKERS when the process cap is tight); undefined without a cap. */
  createPool(dir: string, schema: ModelSchema, name: string, size?: number): WorkerPool;
  /**
   * R processes per instance at most (R_MAX_PROCESSES) and per version (R_WORKERS): a
   * version starting past the cap first stops idle versions (least recently used first),
   * else starts with fewer workers (at least 1), else is refused (503 with Retry-After).
   */
  processes?: { perVersion: number; max: number };
  refreshMs: number;
  idleMs: number;
  defaultModel: string;
}

interface Cached<T> {
  /** What requests are served by. */
  value: T;
  fetchedAt: number;
  refreshing: Promise<void> | undefined;
  /** The newest value read, before `value` takes it (once what it points at is warm). */
  read?: { value: T; seq: number };
  /** The read this instance started after changing the value itself (see stale()). */
  changed?: Promise<void>;
  /** The same read's swap into `value` (after warming what it points at). */
  switched?: Promise<void>;
  /** Order of reads started and of the one `value` holds: an older read never wins over a newer one. */
  seq?: number;
  valueSeq?: number;
}

/**
 * Which model versions exist, which version each name and alias means now, and the R
 * workers of the versions in use. Storage is re-read every refreshMs in the background;
 * when an alias moves to a version, that version's workers start before requests switch
 * to it, and versions nobody points at are stopped once idle.
 */
export class ModelRegistry {
  readonly #o: RegistryOptions;
  readonly #indexes = new Map<string, Cached<ModelIndex | undefined>>();
  readonly #versions = new Map<string, Cached<StoredVersion | undefined>>();
  readonly #loading = new Map<string, Promise<LoadedVersion>>();
  readonly #loaded = new Map<string, LoadedVersion>();
  /** The last re-read of each index on a miss (see #refetchIndex). */
  readonly #rechecks = new Map<string, { at: number; read: Promise<ModelIndex | undefined> }>();
  /** R processes of versions starting (counted before their pool exists) or stopping to make room. */
  #reservedProcesses = 0;
  #names: Cached<string[]> | undefined;
  #sweeper: NodeJS.Timeout;
  #sweeping = false;
  #closed = false;

  constructor(options: RegistryOptions) {
    this.#o = options;
    this.#sweeper = setInterval(() => {
      if (this.#sweeping) return;
      this.#sweeping = true;
      void this.#sweep().finally(() => (this.#sweeping = false));
    }, options.refreshMs);
    this.#sweeper.unref?.();
  }

  /**
   * The version a request means: a version, an alias, or (none given) production, then
   * latest. An alias split by weight picks a version at random, or by the request's subject
   * (the same subject, the same version while the weights stay).
   */
  async resolve(name: string | undefined, ref?: string, subject?: string): Promise<LoadedVersion> {
    return (await this.route(name, ref, subject)).served;
  }

  /** As resolve, with the alias's shadow (a version that also scores a share of requests), if it has one. */
  async route(name: string | undefined, ref?: string, subject?: string): Promise<{ served: LoadedVersion; shadow?: { version: string; percent: number } }> {
    const model = name ?? (await this.defaultModelName());
    const { stored, route } = await this.#find(model, ref, subject === undefined ? Math.random() : subjectPoint(subject));
    const served = await this.#load(stored);
    return route.shadow ? { served, shadow: route.shadow } : { served };
  }

  /** The stored version a name and version-or-alias mean (of a split alias, the heaviest), or a 404. */
  async findVersion(name: string, ref?: string): Promise<StoredVersion> {
    return (await this.#find(name, ref, undefined)).stored;
  }

  /** The route a name and version-or-alias mean, and its version at `point` (undefined: the heaviest). */
  async #find(name: string, ref: string | undefined, point: number | undefined): Promise<{ stored: StoredVersion; route: TrafficRoute }> {
    if (!isValidName(name)) throw await this.modelNotFound(name);
    let index = await this.getIndex(name);
    let route = index && routeFor(index, ref);
    if (route === undefined) {
      // Perhaps just published: look again now rather than at the next refresh.
      index = await this.#refetchIndex(name);
      route = index && routeFor(index, ref);
    }
    if (!index) throw await this.modelNotFound(name);
    const version = route && (point === undefined ? primaryVersion(route) : pickVersion(route, point));
    if (route === undefined || version === undefined || !isValidName(version)) {
      throw new AppError('version_not_found', `Model "${name}" has no version or alias "${ref ?? defaultAliases.join('" or "')}". ${knownVersions(index)}`);
    }
    const stored = await this.#cached(this.#versions, `${name}/${version}`, () => this.#o.store.getVersion(name, version), (old, next) =>
      this.#warmIfReplacing(old, next),
    );
    if (!stored) throw new AppError('version_not_found', `Model "${name}" has no complete version "${version}".`);
    return { stored, route };
  }

  /** The 404 for a model that does not exist, naming (the first of) those that do. */
  async modelNotFound(name: string): Promise<AppError> {
    return modelNotFound(name, await this.#modelNames().catch(() => []));
  }

  /** A version by its name, loaded (a shadow's: its workers start on first use). */
  async loadVersion(name: string, version: string): Promise<LoadedVersion> {
    return this.#load(await this.findVersion(name, version));
  }

  /**
   * After this instance changed a model's versions or aliases itself: reads them again at
   * once, so its listings (listedIndex) show the change from the next request on; requests
   * move to it once a new target's workers are up (as a refresh does). Other instances see
   * it at their next refresh, within refreshMs.
   */
  stale(name: string): void {
    this.#names = undefined;
    const entry = this.#indexes.get(name);
    if (!entry) return;
    entry.fetchedAt = 0;
    const { read, whole } = this.#refresh(entry, () => this.#o.store.getIndex(name), (old, next) => this.#warmIfRetargeted(name, old, next));
    entry.changed = read;
    entry.switched = whole;
  }

  /**
   * As stale(), resolving once this instance serves the change: its listings show it at
   * once, requests move once a new target's workers are up, waited for at most
   * SWITCH_WAIT_MS (then requests move when they are, as on any refresh).
   */
  async changed(name: string): Promise<void> {
    this.stale(name);
    const entry = this.#indexes.get(name);
    if (!entry) return;
    await entry.changed;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, SWITCH_WAIT_MS)));
    await Promise.race([entry.switched, bound]);
    clearTimeout(timer);
  }

  /** A model's versions and aliases as requests are served by them now. */
  async getIndex(name: string): Promise<ModelIndex | undefined> {
    return this.#cached(this.#indexes, name, () => this.#o.store.getIndex(name), (old, next) => this.#warmIfRetargeted(name, old, next));
  }

  /**
   * A model's versions and aliases as listed (GET /api/models...): the newest this instance
   * has read, including a change it made itself a moment ago, even while requests still go
   * to the old target as the new one's workers start.
   */
  async listedIndex(name: string): Promise<ModelIndex | undefined> {
    const served = await this.getIndex(name);
    const entry = this.#indexes.get(name);
    if (!entry) return served;
    await entry.changed;
    return entry.read ? entry.read.value : entry.value;
  }

  /** Re-reads an index at once, at most every RECHECK_MS per model, so misses cannot flood storage. */
  async #refetchIndex(name: string): Promise<ModelIndex | undefined> {
    // Timed by its own rechecks, not by the background refreshes: one of those may have
    // read the index just before a publish and finished just after it.
    const last = this.#rechecks.get(name);
    if (last !== undefined && Date.now() - last.at < RECHECK_MS) return last.read;
    const read = this.#o.store.getIndex(name);
    this.#rechecks.set(name, { at: Date.now(), read: read.catch(() => this.#indexes.get(name)?.value) });
    const value = await read;
    this.#indexes.set(name, { value, fetchedAt: Date.now(), refreshing: undefined });
    this.#names = undefined;
    return value;
  }

  async listModels(): Promise<ModelIndex[]> {
    const names = await this.#modelNames();
    const indexes = await Promise.all(names.map((n) => this.listedIndex(n)));
    return indexes.filter((i): i is ModelIndex => i !== undefined);
  }

  /** A version's schema, read from storage without starting R. */
  async schemaOf(stored: StoredVersion): Promise<ModelSchema> {
    const loaded = this.#loaded.get(keyOf(stored));
    if (loaded) return loaded.schema;
    return parseModelSchema(await this.#o.store.readText(stored.name, stored.version, 'model.json'));
  }

  /** The schema of a model version (or alias), read from storage without starting R. */
  async schemaOfVersion(name: string, ref: string): Promise<ModelSchema> {
    return this.schemaOf(await this.findVersion(name, ref));
  }

  /** The default model and the version its requests go to now, without starting R. */
  async defaultVersion(): Promise<{ name: string; version: string }> {
    const stored = await this.findVersion(await this.defaultModelName());
    return { name: stored.name, version: stored.version };
  }

  async defaultModelName(): Promise<string> {
    if (this.#o.defaultModel) return this.#o.defaultModel;
    const names = await this.#modelNames();
    if (names.length === 1) return names[0] as string;
    throw new AppError(
      'no_default_model',
      names.length === 0
        ? 'No model is published yet.'
        : `Several models are published (${names.join(', ')}): name one in the path, or set DEFAULT_MODEL.`,
    );
  }

  /** Starts the workers of a model's default version now, rather than on first use. */
  async preload(name: string): Promise<void> {
    const loaded = await this.resolve(name);
    await loaded.pool.ready();
  }

  /** How many versions are downloading or starting their first workers. */
  get loading(): number {
    return this.#loading.size;
  }

  /** Each loaded version's workers, for health and readiness. */
  pools(): { name: string; version: string; stats: PoolStats }[] {
    return [...this.#loaded.values()].map((l) => ({ name: l.name, version: l.version, stats: l.pool.stats() }));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    // A version still downloading sees #closed before it starts any R process.
    await Promise.all([...this.#loaded.values()].map((l) => l.pool.close()));
    this.#loaded.clear();
  }

  async #modelNames(): Promise<string[]> {
    const now = Date.now();
    if (!this.#names || now - this.#names.fetchedAt > this.#o.refreshMs) {
      this.#names = { value: await this.#o.store.listModelNames(), fetchedAt: now, refreshing: undefined };
    }
    return this.#names.value;
  }

  /**
   * A value from storage, cached for refreshMs. A stale value is served while a background
   * refresh runs; `beforeSwap` may warm up what the new value points at first.
   */
  async #cached<T>(map: Map<string, Cached<T>>, key: string, fetch: () => Promise<T>, beforeSwap: (old: T, next: T) => Promise<void>): Promise<T> {
    const entry = map.get(key);
    if (!entry) {
      const value = await fetch();
      map.set(key, { value, fetchedAt: Date.now(), refreshing: undefined });
      return value;
    }
    if (Date.now() - entry.fetchedAt > this.#o.refreshMs && !entry.refreshing) this.#refresh(entry, fetch, beforeSwap);
    return entry.value;
  }

  /**
   * Reads a cached value again in the background: `read` settles once it is read (and kept
   * in entry.read), the whole once `value` has it, after `beforeSwap`. Of reads that
   * overlap, the one started last wins.
   */
  #refresh<T>(entry: Cached<T>, fetch: () => Promise<T>, beforeSwap: (old: T, next: T) => Promise<void>): { read: Promise<void>; whole: Promise<void> } {
    const seq = (entry.seq = (entry.seq ?? 0) + 1);
    const read = fetch().then((next) => {
      if (seq > (entry.valueSeq ?? 0) && (!entry.read || entry.read.seq < seq)) entry.read = { value: next, seq };
      return next;
    });
    const whole = (async () => {
      try {
        const next = await read;
        await beforeSwap(entry.value, next).catch(() => undefined);
        if ((entry.valueSeq ?? 0) < seq) {
          entry.value = next;
          entry.valueSeq = seq;
        }
        if (entry.read?.seq === seq) entry.read = undefined;
      } catch {
        /* storage unreachable: keep serving what we know */
      } finally {
        entry.fetchedAt = Date.now();
        // Only the newest read frees the way for the next background refresh.
        if (entry.seq === seq) entry.refreshing = undefined;
      }
    })();
    entry.refreshing = whole;
    return { read: read.then(() => undefined, () => undefined), whole };
  }

  /** An alias now points elsewhere: start the new version before requests move to it. */
  async #warmIfRetargeted(name: string, old: ModelIndex | undefined, next: ModelIndex | undefined): Promise<void> {
    if (!old || !next) return;
    const targets = new Set<string>();
    for (const ref of [...Object.keys(next.routes), undefined]) {
      const before = routeFor(old, ref);
      const after = routeFor(next, ref);
      if (!before || !after || !routeVersions(before).some((v) => this.#isLoaded(name, v))) continue;
      // A version a moved alias now serves or shadows starts before requests reach it.
      for (const v of routeVersions(after)) if (!routeVersions(before).includes(v)) targets.add(v);
    }
    await Promise.all(
      [...targets].map(async (version) => {
        const stored = await this.#o.store.getVersion(name, version);
        if (stored) await (await this.#load(stored)).pool.ready();
      }),
    );
  }

  /** A version was published again (--force): start the new files' workers first. */
  async #warmIfReplacing(old: StoredVersion | undefined, next: StoredVersion | undefined): Promise<void> {
    if (old && next && old.tag !== next.tag && this.#loaded.has(keyOf(old))) await (await this.#load(next)).pool.ready();
  }

  #isLoaded(name: string, version: string): boolean {
    for (const l of this.#loaded.values()) if (l.name === name && l.version === version) return true;
    return false;
  }

  #load(stored: StoredVersion): Promise<LoadedVersion> {
    const key = keyOf(stored);
    const loaded = this.#loaded.get(key);
    if (loaded) return Promise.resolve(loaded);
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = (async () => {
        if (this.#closed) throw new AppError('model_unavailable', 'The service is shutting down.', { retryAfter: 1 });
        const dir = join(this.#o.cacheDir, stored.name, `${stored.version}-${stored.tag}`);
        if (!existsSync(join(dir, 'model.rds'))) await this.#o.store.download(stored, dir);
        const schema = parseModelSchema(await readFile(join(dir, 'model.json'), 'utf8'));
        if (this.#closed) throw new AppError('model_unavailable', 'The service is shutting down.', { retryAfter: 1 });
        const size = await this.#makeRoom(stored);
        if (this.#closed) {
          this.#reservedProcesses -= size ?? 0;
          throw new AppError('model_unavailable', 'The service is shutting down.', { retryAfter: 1 });
        }
        let pool: WorkerPool;
        try {
          pool = this.#o.createPool(dir, schema, stored.name, size);
        } finally {
          this.#reservedProcesses -= size ?? 0;
        }
        const version: LoadedVersion = {
          name: stored.name,
          version: stored.version,
          tag: stored.tag,
          dir,
          schema,
          validator: new InputValidator(schema),
          pool,
        };
        this.#loaded.set(key, version);
        return version;
      })().finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    return loading;
  }

  /**
   * Under the process cap, room for a version's workers: stops idle versions (least recently
   * used first) and waits for their processes to end, and returns how many workers it may
   * start (reserved until its pool exists), or refuses with 503 when every version is busy.
   * Without a cap: undefined (the pool's own size).
   */
  async #makeRoom(stored: StoredVersion): Promise<number | undefined> {
    const cap = this.#o.processes;
    if (!cap) return undefined;
    const candidates = [...this.#loaded].map(([key, l]) => ({ key, size: l.pool.stats().size, pending: l.pool.pending, lastUsed: l.pool.lastUsed }));
    const plan = planProcesses(candidates, this.#reservedProcesses, cap.perVersion, cap.max);
    if (!plan) {
      throw new AppError('overloaded', `This instance runs its most R processes (R_MAX_PROCESSES=${cap.max}) for other model versions, all busy: "${stored.name}" version "${stored.version}" cannot start now. Try again shortly.`, {
        retryAfter: 2,
      });
    }
    // Counted until their processes are gone, so nothing else starts in their place meanwhile.
    const stopping = plan.stop.map((key) => this.#loaded.get(key) as LoadedVersion);
    const freed = stopping.reduce((n, l) => n + l.pool.stats().size, 0);
    for (const key of plan.stop) this.#loaded.delete(key);
    this.#reservedProcesses += plan.size + freed;
    try {
      await Promise.all(stopping.map((l) => l.pool.close()));
    } finally {
      this.#reservedProcesses -= freed;
    }
    return plan.size;
  }

  /** Stops versions that were replaced or deleted, or that nothing points at and nobody used lately. */
  async #sweep(): Promise<void> {
    // Keep what loaded versions are judged by fresh even while no request arrives.
    for (const l of this.#loaded.values()) {
      await this.getIndex(l.name).catch(() => undefined);
      // Read the version itself (not through the index, which may not list it yet or any more).
      await this.#cached(this.#versions, `${l.name}/${l.version}`, () => this.#o.store.getVersion(l.name, l.version), (old, next) => this.#warmIfReplacing(old, next)).catch(() => undefined);
    }
    const now = Date.now();
    for (const [key, l] of this.#loaded) {
      if (l.pool.pending > 0) continue;
      const cached = this.#versions.get(`${l.name}/${l.version}`);
      const current = cached?.value;
      // Published again with other files, or deleted.
      const replaced = cached !== undefined && (current === undefined || current.tag !== l.tag);
      const index = this.#indexes.get(l.name)?.value;
      const targeted = index !== undefined && [defaultRoute(index), ...Object.values(index.routes)].some((r) => r !== undefined && routeVersions(r).includes(l.version));
      const idle = now - l.pool.lastUsed > this.#o.idleMs;
      if (replaced || (!targeted && idle)) {
        this.#loaded.delete(key);
        await l.pool.close();
      }
    }
  }
}

const RECHECK_MS = 500;
/** How long an admin change waits for this instance to serve it (a new target's R workers starting). */
const SWITCH_WAIT_MS = 30_000;

const keyOf = (s: StoredVersion): string => `${s.name}/${s.version}@${s.tag}`;

/** Routes worked out per index read (an index is replaced, never changed, when storage is read again). */
const routesOfIndex = new WeakMap<ModelIndex, Map<string, TrafficRoute>>();

/** A version (as a route of one) or an alias's route, keeping only versions that exist. */
function routeOfRef(index: ModelIndex, ref: string): TrafficRoute | undefined {
  let routes = routesOfIndex.get(index);
  if (!routes) routesOfIndex.set(index, (routes = new Map()));
  const known = routes.get(ref);
  if (known) return known;
  const route = computeRoute(index, ref);
  // Bounded by what an index names: its versions and aliases (a ref it does not know is not kept).
  if (route !== undefined) routes.set(ref, route);
  return route;
}

function computeRoute(index: ModelIndex, ref: string): TrafficRoute | undefined {
  if (index.versions.includes(ref)) return { versions: { [ref]: 1 } };
  const route = Object.hasOwn(index.routes, ref) ? index.routes[ref] : undefined;
  if (!route) return undefined;
  const versions = Object.entries(route.versions).filter(([v]) => index.versions.includes(v));
  if (versions.length === 0) return undefined;
  const shadow = route.shadow && index.versions.includes(route.shadow.version) ? { shadow: route.shadow } : {};
  return { versions: Object.fromEntries(versions), ...shadow };
}

/** The route a version or alias means, or with none the default route. */
const routeFor = (index: ModelIndex, ref: string | undefined): TrafficRoute | undefined => (ref === undefined ? defaultRoute(index) : routeOfRef(index, ref));

/** Where a request naming no version goes: production, then latest, then the newest version. */
function defaultRoute(index: ModelIndex): TrafficRoute | undefined {
  for (const alias of defaultAliases) {
    const route = routeOfRef(index, alias);
    if (route) return route;
  }
  const newest = index.versions[index.versions.length - 1];
  return newest === undefined ? undefined : { versions: { [newest]: 1 } };
}

/** The version a request naming no version is served by (of a split, the heaviest). */
export function defaultVersion(index: ModelIndex): string | undefined {
  const route = defaultRoute(index);
  return route && primaryVersion(route);
}
