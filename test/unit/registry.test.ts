import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/errors.js';
import { ModelRegistry, type RegistryOptions } from '../../functions/models/registry.js';
import { aliasesOf, type StoredVersion } from '../../functions/storage/modelStore.js';
import type { AliasTarget } from '../../functions/models/traffic.js';
import { WorkerPool } from '../../functions/workers/workerPool.js';
import { fakeFactory } from '../fakes/fakeWorkers.js';
import { waitFor } from '../helpers/waitFor.js';

const schema = JSON.stringify({ features: [{ name: 'x', type: 'numeric' }], output: { defaultType: 'response', types: { response: { kind: 'numeric' } } } });

/** An in-memory model store. */
class FakeStore {
  models = new Map<string, { name: string; versions: string[]; aliases: Record<string, AliasTarget> }>();
  tags = new Map<string, string>();
  downloads = 0;
  publish(name: string, version: string, aliases: Record<string, AliasTarget> = {}) {
    const index = this.models.get(name) ?? { name, versions: [], aliases: {} };
    if (!index.versions.includes(version)) index.versions.push(version);
    index.aliases = { ...index.aliases, latest: version, ...aliases };
    this.models.set(name, index);
    this.tags.set(`${name}/${version}`, `t${Math.random()}`);
  }
  async listModelNames() {
    return [...this.models.keys()].sort();
  }
  async getIndex(name: string) {
    const i = this.models.get(name);
    return i && { name, versions: [...i.versions], ...aliasesOf(i.aliases) };
  }
  async getVersion(name: string, version: string): Promise<StoredVersion | undefined> {
    const tag = this.tags.get(`${name}/${version}`);
    return tag ? { name, version, tag, files: ['model.json', 'model.rds'], publishedAt: undefined } : undefined;
  }
  async download(_stored: StoredVersion, dir: string) {
    this.downloads++;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.json'), schema);
    await writeFile(join(dir, 'model.rds'), '');
  }
  async readText() {
    return schema;
  }
}

const registries: ModelRegistry[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.close()));
});

async function setup(overrides: Partial<RegistryOptions> = {}) {
  const store = new FakeStore();
  const pools: string[] = [];
  const registry = new ModelRegistry({
    store,
    cacheDir: await mkdtemp(join(tmpdir(), 'registry-')),
    refreshMs: 30,
    idleMs: 60_000,
    defaultModel: '',
    createPool: (dir) => {
      pools.push(dir);
      return new WorkerPool(fakeFactory({ startMs: 50 }).factory, { size: 1, queueLimit: 10, timeoutMs: 1000, maxBatchRows: 10, retryAfterSeconds: 1 });
    },
    ...overrides,
  });
  registries.push(registry);
  return { store, registry, pools };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: AppError) => e.code);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ModelRegistry', () => {
  it('resolves a version, an alias, and by default production before latest', async () => {
    const { store, registry } = await setup();
    store.publish('m', '1', { production: '1' });
    store.publish('m', '2');
    expect((await registry.resolve('m')).version).toBe('1');
    expect((await registry.resolve('m', 'latest')).version).toBe('2');
    expect((await registry.resolve('m', '2')).version).toBe('2');
  });

  it('splits an alias by weight, keeps a subject on one version, and names its shadow', async () => {
    const { store, registry } = await setup();
    store.publish('m', '1');
    store.publish('m', '2');
    store.publish('m', '3', { production: { versions: { '1': 75, '2': 25 }, shadow: { version: '3', percent: 20 } } });
    const seen = { '1': 0, '2': 0 } as Record<string, number>;
    for (let i = 0; i < 400; i++) (seen[(await registry.resolve('m')).version] as number)++;
    // Binomial(400, 0.25): mean 100, sd 8.7; 5 sd either side.
    expect(seen['2']).toBeGreaterThan(56);
    expect(seen['2']).toBeLessThan(144);
    const first = (await registry.resolve('m', 'production', 'customer-17')).version;
    for (let i = 0; i < 20; i++) expect((await registry.resolve('m', 'production', 'customer-17')).version).toBe(first);
    expect((await registry.route('m')).shadow).toEqual({ version: '3', percent: 20 });
    expect((await registry.route('m', '1')).shadow).toBeUndefined();
    // Described (and named in listings) by its heaviest version.
    expect((await registry.findVersion('m', 'production')).version).toBe('1');
  });

  it('answers 404 codes for unknown models, versions and unsafe names', async () => {
    const { store, registry } = await setup();
    store.publish('m', '1');
    expect(await codeOf(registry.resolve('nope'))).toBe('model_not_found');
    expect(await codeOf(registry.resolve('m', 'staging'))).toBe('version_not_found');
    expect(await codeOf(registry.resolve('../etc'))).toBe('model_not_found');
    expect(await codeOf(registry.resolve('m', 'constructor'))).toBe('version_not_found');
  });

  it('uses the only model as the default, and asks for a name when there are several', async () => {
    const { store, registry } = await setup();
    expect(await codeOf(registry.resolve(undefined))).toBe('no_default_model');
    store.publish('only', '1');
    // The list of models is re-read every refreshMs (30 ms).
    await waitFor(async () => (await registry.resolve(undefined).catch(() => undefined))?.name === 'only', { what: 'the only model to become the default' });
    store.publish('other', '1');
    await waitFor(async () => (await codeOf(registry.resolve(undefined))) === 'no_default_model', { what: 'a second model to end the default' });
  });

  it('downloads and starts a version once, however many requests arrive together', async () => {
    const { store, registry, pools } = await setup();
    store.publish('m', '1');
    const all = await Promise.all(Array.from({ length: 10 }, () => registry.resolve('m')));
    expect(new Set(all).size).toBe(1);
    expect(store.downloads).toBe(1);
    expect(pools).toHaveLength(1);
  });

  it('finds a version published after the index was cached without waiting for a refresh', async () => {
    const { store, registry } = await setup({ refreshMs: 60_000 });
    store.publish('m', '1');
    await registry.resolve('m');
    store.publish('m', '2');
    // Past the registry's 500 ms between re-reads of one index on a miss (a lower bound, which
    // a busy machine only lengthens: no timing risk).
    await sleep(600);
    expect((await registry.resolve('m', '2')).version).toBe('2');
  });

  it('finds a version published while a background refresh was reading the index', async () => {
    // Refreshes every 30 ms, each reading the index as it was when the read began and taking 40 ms,
    // so one is nearly always in flight or just finished, with what it read before a publish.
    const { store, registry } = await setup({ refreshMs: 30 });
    const getIndex = store.getIndex.bind(store);
    store.getIndex = async (name: string) => {
      const index = await getIndex(name);
      await sleep(40);
      return index;
    };
    store.publish('m', '1');
    await registry.resolve('m', '1');
    for (let i = 0; i < 10; i++) {
      await registry.resolve('m', '1');
      await sleep(20);
    }
    store.publish('m', '2');
    expect((await registry.resolve('m', '2')).version).toBe('2');
  });

  it('keeps serving the old version until the new target of a moved alias is ready', async () => {
    // Version 2's worker starts only when the test says: "not ready yet" lasts as long as needed.
    let start = () => {};
    const started = new Promise<void>((resolve) => (start = resolve));
    const { store, registry, pools } = await setup({
      createPool: (dir) => {
        pools.push(dir);
        const gate = pools.length === 1 ? undefined : started;
        return new WorkerPool(fakeFactory({ startMs: 50, startGate: gate }).factory, { size: 1, queueLimit: 10, timeoutMs: 1000, maxBatchRows: 10, retryAfterSeconds: 1 });
      },
    });
    store.publish('m', '1', { production: '1' });
    const v1 = await registry.resolve('m');
    await v1.pool.ready();
    store.publish('m', '2', { production: '2' });
    // The refresh has started version 2: requests still go to 1 meanwhile.
    await waitFor(() => pools.length === 2, { what: 'the refresh to start version 2' });
    for (let i = 0; i < 5; i++) expect((await registry.resolve('m')).version).toBe('1');
    start();
    let now: Awaited<ReturnType<typeof registry.resolve>> | undefined;
    await waitFor(async () => (now = await registry.resolve('m')).version === '2', { what: 'requests to move to version 2 once it is ready' });
    expect(now?.pool.stats().ready).toBe(1);
  });

  it('stops a version nothing points at once it has been idle', async () => {
    const { store, registry } = await setup({ idleMs: 50 });
    store.publish('m', '1', { production: '1' });
    store.publish('m', '2');
    await registry.resolve('m', '2');
    await registry.resolve('m', '1');
    store.publish('m', '3', { production: '3' });
    await waitFor(async () => (await registry.resolve('m')).version === '3', { what: 'production to serve version 3' });
    // Version 2 (no alias left) stops once idle; version 3 (production) stays.
    const loaded = () => registry.pools().map((p) => p.version);
    await waitFor(() => !loaded().includes('2'), { what: 'idle version 2 to stop', last: loaded });
    expect(loaded()).toContain('3');
  });
  it('keeps R processes under the cap: stops the least recently used idle version, starts smaller, or refuses with Retry-After', async () => {
    // Calls never answer here: a version with a call stays busy.
    const sizes: number[] = [];
    const { store, registry } = await setup({
      processes: { perVersion: 2, max: 3 },
      createPool: (_dir, _schema, _name, size) => {
        sizes.push(size ?? -1);
        return new WorkerPool(fakeFactory({ startMs: 5, onCall: () => 'hang' }).factory, { size: size ?? 2, queueLimit: 10, timeoutMs: 60_000, maxBatchRows: 10, retryAfterSeconds: 1 });
      },
    });
    for (const version of ['1', '2', '3', '4']) store.publish('m', version);
    const loaded = () => registry.pools().map((p) => `${p.version}:${p.stats.size}`).sort();
    const v1 = await registry.resolve('m', '1');
    await v1.pool.ready();
    expect(loaded()).toEqual(['1:2']);
    // Version 2 needs 2 of the 3: idle version 1 stops first (its workers end before 2's start).
    const v2 = await registry.resolve('m', '2');
    expect(v1.pool.stats().state).toBe('closed');
    expect(loaded()).toEqual(['2:2']);
    await v2.pool.ready();
    // So does version 2 for version 3; then version 3 is kept busy (its calls never answer).
    const v3 = await registry.resolve('m', '3');
    expect(v2.pool.stats().state).toBe('closed');
    await v3.pool.ready();
    const busy = v3.pool.score({ rows: 1, type: 'response', columns: { x: [1] } }).catch(() => undefined);
    expect(loaded()).toEqual(['3:2']);
    // Version 1 again: busy version 3 is not stopped, so version 1 starts with the one process left.
    const again = await registry.resolve('m', '1');
    expect(loaded()).toEqual(['1:1', '3:2']);
    expect(v3.pool.stats().state).toBe('ready');
    // Version 1 now has a call in flight too: nothing idle, nothing free.
    const alsoBusy = again.pool.score({ rows: 1, type: 'response', columns: { x: [1] } }).catch(() => undefined);
    const refused = await registry.resolve('m', '4').then(
      () => undefined,
      (e: AppError) => e,
    );
    expect(refused?.code).toBe('overloaded');
    expect(refused?.status).toBe(503);
    expect(refused?.retryAfter).toBeGreaterThan(0);
    expect(refused?.message).toMatch(/R_MAX_PROCESSES=3/);
    expect(sizes).toEqual([2, 2, 2, 1]);
    void busy;
    void alsoBusy;
  });

  it('lists an alias moved by this instance at once, and answers the move once it serves it (the new version ready)', async () => {
    let start = () => {};
    const started = new Promise<void>((resolve) => (start = resolve));
    const { store, registry, pools } = await setup({
      refreshMs: 60_000,
      createPool: (dir) => {
        pools.push(dir);
        return new WorkerPool(fakeFactory({ startMs: 5, startGate: pools.length === 1 ? undefined : started }).factory, { size: 1, queueLimit: 10, timeoutMs: 1000, maxBatchRows: 10, retryAfterSeconds: 1 });
      },
    });
    store.publish('m', '1', { production: '1' });
    store.publish('m', '2', { production: '1' });
    await (await registry.resolve('m', 'production')).pool.ready();
    expect((await registry.listedIndex('m'))?.aliases.production).toBe('1');
    store.publish('m', '2', { production: '2' });
    // No refresh for a minute (refreshMs): this instance made the change and reads it at once.
    let done = false;
    const change = registry.changed('m').then(() => (done = true));
    await waitFor(async () => (await registry.listedIndex('m'))?.aliases.production === '2', { what: 'the listing to show the move' });
    expect((await registry.listModels()).find((i) => i.name === 'm')?.aliases.production).toBe('2');
    // Requests stay on version 1, and the change is not answered, until version 2's worker is up.
    expect((await registry.resolve('m', 'production')).version).toBe('1');
    expect(done).toBe(false);
    start();
    await change;
    expect((await registry.resolve('m', 'production')).version).toBe('2');
  });
});
