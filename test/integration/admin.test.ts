import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { startTraffic, until } from '../helpers/traffic.js';

/**
 * Moving aliases and deleting versions over HTTP: admin routes, opened by the master key
 * alone; every move recorded.
 */
let stack: Stack;
const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
const rf = join(sampleModelsDir, 'boston-rf');

beforeAll(async () => {
  stack = await startStack({ MODEL_REFRESH_MS: '200' });
  for (const version of ['2', '3']) await publishModel(stack.store, { model: join(rf, 'model.rds'), schema: join(rf, 'model.json'), name: 'boston-rf', version });
});

afterAll(async () => {
  await stack?.close();
});

const admin = (path: string, method: string, body?: unknown, key?: string | null) =>
  stack.call(path, { method, key: key === undefined ? stack.host.masterKey : key, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const servedVersion = async () => ((await (await stack.post('/api/models/boston-rf/score', { data: [row] })).json()) as { model: { version: string } }).model.version;

describe('model lifecycle over HTTP', () => {
  it('opens admin routes with the master key alone', async () => {
    expect((await admin('/api/models/boston-rf/aliases/production', 'PUT', { version: '2' }, stack.host.functionKey)).status).toBe(401);
    expect((await admin('/api/models/boston-rf/aliases/production', 'PUT', { version: '2' }, null)).status).toBe(401);
    expect((await admin('/api/models/boston-rf/versions/3', 'DELETE', undefined, stack.host.functionKey)).status).toBe(401);
    expect(await servedVersion()).toBe('1');
  });

  it('promotes and rolls back under load: no failed request, every answer names the version that served it', async () => {
    const traffic = startTraffic(() => stack.post('/api/models/boston-rf/score', { data: [row] }), 8);
    await until(() => traffic.sent() > 50, 30_000, 'traffic');
    const promoted = await admin('/api/models/boston-rf/aliases/production', 'PUT', { version: '2' });
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toMatchObject({ name: 'boston-rf', alias: 'production', from: '1', to: '2', by: 'master key' });
    await until(() => traffic.seen().versions.slice(-20).every((v) => v === '2') && traffic.seen().versions.length > 100, 30_000, 'version 2 to serve');
    const rolledBack = await admin('/api/models/boston-rf/aliases/production', 'PUT', { version: '1' });
    expect(rolledBack.status).toBe(200);
    const before = traffic.sent();
    await until(() => traffic.sent() > before + 50 && traffic.seen().versions.slice(-20).every((v) => v === '1'), 30_000, 'version 1 to serve again');
    const result = await traffic.stop();
    expect(result.errors).toEqual([]);
    expect(new Set(result.statuses)).toEqual(new Set([200]));
    expect(new Set(result.versions)).toEqual(new Set(['1', '2']));

    const history = (await (await stack.call('/api/models/boston-rf/history')).json()) as { history: { alias: string; from: string | null; to: string | null; at: string; by: string }[] };
    // Publishing recorded its own moves (of latest and production); these two were made here.
    expect(history.history.filter((m) => m.by === 'publish').length).toBeGreaterThan(0);
    history.history = history.history.filter((m) => m.by === 'master key');
    expect(history.history.map((m) => [m.alias, m.from, m.to])).toEqual([
      ['production', '1', '2'],
      ['production', '2', '1'],
    ]);
    expect(Date.parse(history.history[1]?.at as string)).toBeGreaterThanOrEqual(Date.parse(history.history[0]?.at as string));
   }, 120_000);

  it('refuses to move an alias to a version that does not exist, or to remove latest', async () => {
    expect((await admin('/api/models/boston-rf/aliases/production', 'PUT', { version: '9' })).status).toBe(404);
    expect((await admin('/api/models/boston-rf/aliases/production', 'PUT', { versio: '2' })).status).toBe(400);
    expect((await admin('/api/models/nope/aliases/production', 'PUT', { version: '1' })).status).toBe(404);
    const latest = await admin('/api/models/boston-rf/aliases/latest', 'DELETE');
    expect(latest.status).toBe(409);
    expect(await latest.json()).toMatchObject({ code: 'alias_protected' });
    expect((await admin('/api/models/boston-rf/aliases/staging', 'DELETE')).status).toBe(404);
  });

  it('lists an alias it moved at once, takes a version number, and names what exists in its 404s', async () => {
    type Listing = { aliases: Record<string, string>; versions: string[] };
    const moved = await admin('/api/models/boston-rf/aliases/staging', 'PUT', { version: 3 });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ alias: 'staging', to: '3' });
    // The instance that made the change lists it from the next request on (others within MODEL_REFRESH_MS).
    expect(((await (await stack.call('/api/models/boston-rf')).json()) as Listing).aliases.staging).toBe('3');
    const all = (await (await stack.call('/api/models')).json()) as { models: (Listing & { name: string })[] };
    expect(all.models.find((m) => m.name === 'boston-rf')?.aliases.staging).toBe('3');
    expect((await admin('/api/models/boston-rf/aliases/staging', 'DELETE')).status).toBe(204);
    expect(((await (await stack.call('/api/models/boston-rf')).json()) as Listing).aliases.staging).toBeUndefined();

    const noModel = (await (await stack.call('/api/models/bostn-rf')).json()) as { status: number; detail: string };
    expect(noModel.status).toBe(404);
    expect(noModel.detail).toMatch(/^There is no model named "bostn-rf"\. Models: .*"boston-rf"/);
    const noVersion = (await (await stack.post('/api/models/boston-rf/versions/9/score', { data: [row] })).json()) as { status: number; detail: string };
    expect(noVersion.status).toBe(404);
    expect(noVersion.detail).toContain('Versions: "1", "2", "3". Aliases: ');
    expect(noVersion.detail).toContain('"latest"');
    const moveToNone = (await (await admin('/api/models/boston-rf/aliases/production', 'PUT', { version: '9' })).json()) as { detail: string };
    expect(moveToNone.detail).toContain('Versions: "1", "2", "3".');
  });

  it('removes an alias, and deletes a version only once nothing points at it', async () => {
    expect((await admin('/api/models/boston-rf/aliases/staging', 'PUT', { version: '2' })).status).toBe(200);
    const inUse = await admin('/api/models/boston-rf/versions/2', 'DELETE');
    expect(inUse.status).toBe(409);
    expect(((await inUse.json()) as { code: string; detail: string }).detail).toContain('"staging"');
    // Version 2 serves through its alias, so it has workers.
    await until(async () => ((await (await stack.post('/api/models/boston-rf/versions/staging/score', { data: [row] })).json()) as { model?: { version: string } }).model?.version === '2', 30_000, 'staging to serve version 2');
    expect((await admin('/api/models/boston-rf/aliases/staging', 'DELETE')).status).toBe(204);
    expect((await admin('/api/models/boston-rf/versions/2', 'DELETE')).status).toBe(204);
    await until(async () => (await stack.call('/api/models/boston-rf/versions/2')).status === 404, 30_000, 'version 2 to be gone');
    await until(async () => ((await (await stack.call('/api/models/boston-rf')).json()) as { versions: string[] }).versions.join() === '1,3', 30_000, 'the versions to be 1 and 3');
    // Its R workers stop.
    await until(async () => !((await (await stack.call('/api/health/models')).json()) as { models: { version: string }[] }).models.some((m) => m.version === '2'), 30_000, 'version 2 workers to stop');
    const moves = ((await (await stack.call('/api/models/boston-rf/history')).json()) as { history: { alias: string; to: string | null }[] }).history;
    expect(moves.at(-1)).toMatchObject({ alias: 'staging', to: null });
   }, 150_000);

  it('publishes a version over HTTP with the master key: describe runs in the app, 201 with the description, 409 again, 422 with R\'s reason', async () => {
    const dir = join(sampleModelsDir, 'penguins-rf');
    const form = async (model?: Buffer) => {
      const f = new FormData();
      f.set('model', new Blob([model ?? (await readFile(join(dir, 'model.rds')))]), 'model.rds');
      f.set('prototype', new Blob([await readFile(join(dir, 'prototype.csv'))]), 'prototype.csv');
      f.set('score', new Blob([await readFile(join(dir, 'score.R'))]), 'score.R');
      f.set('response', 'species');
      f.set('aliases', 'production');
      return f;
    };
    const put = async (path: string, key: string, body: FormData) => stack.call(path, { method: 'PUT', key, body });
    expect((await put('/api/models/penguins-http/versions/1', stack.host.functionKey, await form())).status).toBe(401);

    const created = await put('/api/models/penguins-http/versions/1', stack.host.masterKey, await form());
    expect(created.status).toBe(201);
    const description = (await created.json()) as { name: string; version: string; aliases: string[]; features: { name: string }[]; defaultType: string; customScore: boolean };
    expect(description).toMatchObject({ name: 'penguins-http', version: '1', defaultType: 'class', customScore: true });
    expect(description.aliases.sort()).toEqual(['latest', 'production']);
    expect(description.features.map((f) => f.name)).toEqual(['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex']);
    const scored = await stack.post('/api/models/penguins-http/score', { data: [{ island: 'Dream', bill_length_mm: 40, bill_depth_mm: 18, flipper_length_mm: 190, body_mass_g: 3800, sex: 'male' }] });
    expect(scored.status).toBe(200);

    const again = await put('/api/models/penguins-http/versions/1', stack.host.masterKey, await form());
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'version_exists' });
    expect((await put('/api/models/penguins-http/versions/1?force=true', stack.host.masterKey, await form())).status).toBe(201);

    const tooLarge = await form();
    tooLarge.set('score', new Blob([Buffer.alloc(1024 * 1024 + 1, '#')]), 'score.R');
    const refused = await put('/api/models/penguins-http/versions/3', stack.host.masterKey, tooLarge);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ code: 'payload_too_large', errors: [{ field: 'score' }] });

    const broken = await put('/api/models/penguins-http/versions/2', stack.host.masterKey, await form(Buffer.from('not an R object')));
    expect(broken.status).toBe(422);
    const problem = (await broken.json()) as { code: string; detail: string };
    expect(problem.code).toBe('describe_failed');
    expect(problem.detail).toMatch(/describing the model failed: .*(readRDS|unknown input format|error)/is);
    expect((await stack.call('/api/models/penguins-http/versions/2')).status).toBe(404);
  });
});
