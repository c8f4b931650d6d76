import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { AppError } from '../errors.js';
import { InputValidator } from '../scoring/inputValidator.js';
import { parseModelSchema, type ModelSchema } from '../scoring/modelSchema.js';
import type { ModelIndex, ModelStore, StoredVersion } from '../storage/modelStore.js';
import type { PoolStats, WorkerPool } from '../workers/workerPool.js';
import { defaultAliases, isValidName } from './names.js';
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
  createPool(dir: string, schema: ModelSchema, name: string): WorkerPool;
  refreshMs: number;
  idleMs: number;
  defaultModel: string;
}

interface Cached<T> {
  value: T;
  fetchedAt: number;
  refreshing: Promise<void> | undefined;
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
    if (!isValidName(name)) throw new AppError('model_not_found', `There is no model named "${name}".`);
    let index = await this.getIndex(name);
    let route = index && routeFor(index, ref);
    if (route === undefined) {
      // Perhaps just published: look again now rather than at the next refresh.
      index = await this.#refetchIndex(name);
      route = index && routeFor(index, ref);
    }
    if (!index) throw new AppError('model_not_found', `There is no model named "${name}".`);
    const version = route && (point === undefined ? primaryVersion(route) : pickVersion(route, point));
    if (route === undefined || version === undefined || !isValidName(version)) {
      throw new AppError('version_not_found', `Model "${name}" has no version or alias "${ref ?? defaultAliases.join('" or "')}".`);
    }
    const stored = await this.#cached(this.#versions, `${name}/${version}`, () => this.#o.store.getVersion(name, version), (old, next) =>
      this.#warmIfReplacing(old, next),
    );
    if (!stored) throw new AppError('version_not_found', `Model "${name}" has no complete version "${version}".`);
    return { stored, route };
  }

  /** A version by its name, loaded (a shadow's: its workers start on first use). */
  async loadVersion(name: string, version: string): Promise<LoadedVersion> {
    return this.#load(await this.findVersion(name, version));
  }

  /**
   * Marks what this instance knows of a model's versions and aliases as stale, after it
   * changed them itself: the next request refreshes them (warming a new target first, as a
   * refresh does), and a version not known yet is looked up at once.
   */
  stale(name: string): void {
    const entry = this.#indexes.get(name);
    if (entry) entry.fetchedAt = 0;
    this.#names = undefined;
  }

  async getIndex(name: string): Promise<ModelIndex | undefined> {
    return this.#cached(this.#indexes, name, () => this.#o.store.getIndex(name), (old, next) => this.#warmIfRetargeted(name, old, next));
  }

  /** Re-reads an index at once, at most every RECHECK_MS per model, so misses cannot flood storage. */
  async #refetchIndex(name: string): Promise<ModelIndex | undefined> {
    const entry = this.#indexes.get(name);
    if (entry && Date.now() - entry.fetchedAt < RECHECK_MS) return entry.value;
    const value = await this.#o.store.getIndex(name);
    this.#indexes.set(name, { value, fetchedAt: Date.now(), refreshing: undefined });
    this.#names = undefined;
    return value;
  }

  async listModels(): Promise<ModelIndex[]> {
    const names = await this.#modelNames();
    const indexes = await Promise.all(names.map((n) => this.getIndex(n)));
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
    if (Date.now() - entry.fetchedAt > this.#o.refreshMs && !entry.refreshing) {
      entry.refreshing = (async () => {
        try {
          const next = await fetch();
          await beforeSwap(entry.value, next).catch(() => undefined);
          entry.value = next;
        } catch {
          /* storage unreachable: keep serving what we know */
        } finally {
          entry.fetchedAt = Date.now();
          entry.refreshing = undefined;
        }
      })();
    }
    return entry.value;
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
        const version: LoadedVersion = {
          name: stored.name,
          version: stored.version,
          tag: stored.tag,
          dir,
          schema,
          validator: new InputValidator(schema),
          pool: this.#o.createPool(dir, schema, stored.name),
        };
        this.#loaded.set(key, version);
        return version;
      })().finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    return loading;
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
