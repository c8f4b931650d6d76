import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listening, rWorkerPids, workerPattern } from '../helpers/processes.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitFor } from '../helpers/waitFor.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('security', () => {
  it('requires a function key on every route but health and the pages, and the master key on every one that changes models', () => {
    const levels = stack.host.core.functions
      .map((f) => Object.values(f.bindings).find((b) => b.type === 'httpTrigger'))
      .filter((t): t is NonNullable<typeof t> => t !== undefined)
      .flatMap((t) => (t.methods as string[]).map((m) => [`${m} ${String(t.route)}`, String(t.authLevel)]));
    expect(levels.length).toBeGreaterThan(10);
    // Publishing runs R code on every instance; moving an alias or deleting a version changes what a name serves.
    const changesModels = (route: string) => /^(PUT|DELETE) models\//.test(route);
    // The pages are static files: what they show comes from the API, with the key the user gives them.
    const pages = ['GET docs', 'GET docs/{*file}', 'GET console', 'GET console/{*file}'];
    // The platform's probes carry no key; what runs (models, versions, restarts) is behind one.
    const anonymous = (route: string) => route === 'GET health/live' || route === 'GET health/ready' || pages.includes(route);
    expect(levels.map(([route]) => route)).toEqual(expect.arrayContaining(pages));
    for (const [route, level] of levels) expect(level, route).toBe(anonymous(route) ? 'anonymous' : changesModels(route) ? 'admin' : 'function');
    expect(levels.filter(([route]) => changesModels(route)).map(([route]) => route).sort()).toEqual([
      'DELETE models/{name}/aliases/{alias}',
      'DELETE models/{name}/versions/{version}',
      'PUT models/{name}/aliases/{alias}',
      'PUT models/{name}/versions/{version}',
    ]);
  });

  it.each([
    ['POST', '/api/score'],
    ['POST', '/api/models/boston-rf/score'],
    ['POST', '/api/models/boston-rf/versions/1/score'],
    ['GET', '/api/models'],
    ['GET', '/api/models/boston-rf'],
    ['GET', '/api/models/boston-rf/versions/1'],
    ['GET', '/api/openapi.json'],
    ['GET', '/api/health/models'],
    ['POST', '/api/batches'],
    ['GET', '/api/batches/00000000-0000-4000-8000-000000000000'],
    ['DELETE', '/api/batches/00000000-0000-4000-8000-000000000000'],
    ['GET', '/api/batches/00000000-0000-4000-8000-000000000000/results'],
  ])('refuses %s %s without a key, or with a wrong one', async (method, path) => {
    const init = { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined };
    expect((await stack.call(path, { ...init, key: null })).status).toBe(401);
    expect((await stack.call(path, { ...init, key: 'not-the-key' })).status).toBe(401);
    expect((await stack.call(`${path}?code=not-the-key`, { ...init, key: null })).status).toBe(401);
  });

  it('names no model, version or restart count in the keyless readiness probe; the keyed route lists them', async () => {
    // A score request loads the default model's workers.
    expect((await stack.post('/api/score', { data: [] })).status).toBe(400);
    await waitFor(async () => (await stack.call('/api/health/ready', { key: null })).status === 200, { what: 'the default model to be ready' });
    expect(await (await stack.call('/api/health/ready', { key: null })).json()).toEqual({ status: expect.stringMatching(/^(ready|degraded)$/) });
    const detail = (await (await stack.call('/api/health/models')).json()) as { models: { name: string; restarts: number }[] };
    expect(detail.models.map((m) => m.name)).toContain('boston-rf');
  });

  it('opens no port in the R workers: they speak over their standard streams', async () => {
    expect((await stack.post('/api/score', { data: [] })).status).toBe(400);
    // This app's workers: other test runs on the machine may have plumber workers, which listen.
    const pids = await rWorkerPids(workerPattern(stack.modelCacheDir));
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect(await listening(pid).catch(() => [])).toEqual([]);
  });

  it('never lets a request name a model or version outside the model store', async () => {
    for (const path of [
      '/api/models/..%2F..%2Fetc/score',
      '/api/models/%2E%2E/score',
      '/api/models/boston-rf/versions/..%2F..%2Fpenguins-rf%2F1/score',
      '/api/models/boston-rf/versions/https%3A%2F%2Fevil.example%2Fm.rds/score',
      '/api/models/boston-rf%00/score',
    ]) {
      const res = await stack.post(path, { data: [] });
      expect([400, 404], path).toContain(res.status);
    }
  });

  it('answers 413 to an oversized body before the body is read into memory', async () => {
    // 64 MB without a Content-Length, sent while the server reads: the answer must come
    // once the 4 MiB limit is passed, not after the whole body.
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const total = 1024;
    const { status, sent } = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = request(`${stack.host.url}/api/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': stack.host.functionKey, 'transfer-encoding': 'chunked' } }, (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sent });
        req.destroy();
      });
      req.on('error', (err) => (answered ? undefined : reject(err)));
      const pump = () => {
        while (!answered && sent < total) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered) req.end();
      };
      req.write('{"data":"');
      pump();
    });
    expect(status).toBe(413);
    expect(sent * chunk.length).toBeLessThan(16 * 1024 * 1024);
  });
});
