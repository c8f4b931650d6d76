import { BlobServiceClient } from '@azure/storage-blob';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishDir, sampleModelsDir } from '../../scripts/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitForValue } from '../helpers/waitFor.js';

/**
 * No internals in any answer or stored document: every route the app serves is called
 * (batches of each kind: JSON rows, a CSV body, an uploaded blob, a refused upload, a
 * refused direct submit; their status, results, list and cancel; scoring, models, health,
 * admin), and no answer may name a path on the server (the model cache, the temporary
 * directory) nor carry the loaded model's members: a model is named as {name, version}.
 */
let stack: Stack;
let tmp: string[];

beforeAll(async () => {
  stack = await startStack({ R_WORKERS: '1' });
  await publishDir(stack.store, join(sampleModelsDir, 'mtcars-lm'), 'mtcars-lm', '1');
  tmp = [...new Set([tmpdir(), realpathSync(tmpdir())])].map((d) => `${d.replace(/\/$/, '')}/`);
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

/** Members of a loaded model (functions/models/registry.ts LoadedVersion) that are no one's business. */
const INTERNAL = ['dir', 'tag', 'schema', 'validator', 'pool', 'profile'];

/** What one answer or stored document shows that it should not, each with its JSON path. */
function leaks(value: unknown, path = '$', out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes(stack.modelCacheDir)) out.push(`${path}: names the model cache dir (${value.slice(0, 120)})`);
    else if (tmp.some((t) => value.includes(t))) out.push(`${path}: names a temporary path (${value.slice(0, 120)})`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => leaks(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'validator' || k === 'pool') out.push(`${path}.${k}: an internal member`);
      if (k === 'model' && v !== null && typeof v === 'object') {
        const keys = Object.keys(v).sort();
        if ('name' in v && keys.join() !== 'name,version') out.push(`${path}.model: a model reference with members ${keys.join(', ')} (${keys.filter((m) => INTERNAL.includes(m)).join(', ') || 'not {name, version}'})`);
      }
      leaks(v, `${path}.${k}`, out);
    }
  }
  return out;
}

/** Every answer seen: the route it came from, and its text. */
const seen: { route: string; status: number; text: string }[] = [];

async function record(route: string, res: Response): Promise<{ status: number; body: unknown; text: string }> {
  const text = await res.text();
  seen.push({ route, status: res.status, text });
  let body: unknown = text;
  if (/json/.test(res.headers.get('content-type') ?? '') && text) body = JSON.parse(text);
  return { status: res.status, body, text };
}

const call = (route: string, path: string, init: RequestInit & { key?: string | null } = {}) => stack.call(path, { redirect: 'manual', ...init }).then((res) => record(route, res));
const post = (route: string, path: string, body: unknown, init: RequestInit & { key?: string | null } = {}) => stack.post(path, body, { redirect: 'manual', ...init }).then((res) => record(route, res));

const car = (wt: number) => ({ wt, hp: 110, cyl: 6 });

async function finished(id: string): Promise<{ state: string }> {
  return waitForValue(
    async () => {
      const { body } = await call('GET batches/{id}', `/api/batches/${id}?redirect=false`);
      const status = body as { state: string };
      return ['succeeded', 'failed', 'cancelled'].includes(status.state) ? status : undefined;
    },
    { what: `batch ${id} to finish`, timeoutMs: 120_000 },
  );
}

async function uploaded(text: string): Promise<string> {
  const { body } = await post('POST batches/uploads', '/api/batches/uploads', { format: 'csv' });
  const { url, blob } = body as { url: string; blob: string };
  const put = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/csv' }, body: text });
  expect(put.status).toBe(201);
  return blob;
}

describe('answers and stored documents', () => {
  it('name a model as {name, version} only, and no path on the server, on every route', async () => {
    // Batches of each kind, and what is asked of them.
    const direct = await post('POST models/{name}/batches', '/api/models/mtcars-lm/batches', { data: [car(2.5), car(3)] });
    expect(direct.status).toBe(202);
    const csv = await call('POST models/{name}/versions/{version}/batches', '/api/models/mtcars-lm/versions/1/batches', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: '"",wt,hp,cyl\n"=HYPERLINK(""http://x"")",2.5,110,6\n',
    });
    expect(csv.status).toBe(202);
    const fromBlob = await post('POST models/{name}/batches', '/api/models/mtcars-lm/batches', { blob: await uploaded('wt,hp,cyl\n2.5,110,6\n3,120,4\n') });
    expect(fromBlob.status).toBe(202);
    const refusedUpload = await post('POST batches', '/api/batches', { blob: await uploaded('wt,hp,cyl\nheavy,110,6\n') });
    expect(refusedUpload.status).toBe(202);
    const refusedDirect = await post('POST batches', '/api/batches', { data: [{ crim: 'x' }] });
    expect(refusedDirect.status).toBe(422);
    await post('POST models/{name}/batches', '/api/models/no-such-model/batches', { data: [car(1)] });
    await post('POST batches', '/api/batches', { blob: 'uploads/none.csv' });

    const ids = [direct, csv, fromBlob, refusedUpload].map((a) => (a.body as { id: string }).id);
    for (const id of ids) await finished(id);
    expect((await finished(ids[3] as string)).state).toBe('failed');
    for (const id of ids) {
      await call('GET batches/{id}', `/api/batches/${id}`);
      await call('GET batches/{id}/results', `/api/batches/${id}/results`, { headers: { accept: 'application/json' } });
      await call('GET batches/{id}/results', `/api/batches/${id}/results`, { headers: { accept: 'text/csv' } });
    }
    await call('GET batches', '/api/batches?top=100');
    await call('DELETE batches/{id}', `/api/batches/${ids[0]}`, { method: 'DELETE' });
    await call('GET batches/{id}', '/api/batches/00000000-0000-0000-0000-000000000000');

    // Scoring, models, monitoring, health, the OpenAPI document, admin (answers only: nothing is changed).
    await post('POST score', '/api/score', { data: [{ crim: 1 }] });
    await post('POST models/{name}/score', '/api/models/mtcars-lm/score', { data: [car(2.5)] });
    await post('POST models/{name}/versions/{version}/score', '/api/models/mtcars-lm/versions/1/score', { data: [{ wt: 'x', hp: 1, cyl: 1 }] });
    await call('GET models', '/api/models');
    await call('GET models/{name}', '/api/models/mtcars-lm');
    await call('GET models/{name}/versions/{version}', '/api/models/mtcars-lm/versions/1');
    await call('GET models/{name}/history', '/api/models/mtcars-lm/history');
    await call('GET models/{name}/monitoring', '/api/models/mtcars-lm/monitoring');
    await call('GET openapi.json', '/api/openapi.json');
    await call('GET health/live', '/api/health/live', { key: null });
    await call('GET health/ready', '/api/health/ready', { key: null });
    await call('GET health/models', '/api/health/models');
    const admin = { key: stack.host.masterKey };
    await call('PUT models/{name}/versions/{version}', '/api/models/mtcars-lm/versions/1', { method: 'PUT', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n', ...admin });
    await call('PUT models/{name}/aliases/{alias}', '/api/models/mtcars-lm/aliases/latest', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 'nine' }), ...admin });
    await call('DELETE models/{name}/aliases/{alias}', '/api/models/mtcars-lm/aliases/none', { method: 'DELETE', ...admin });
    await call('DELETE models/{name}/versions/{version}', '/api/models/mtcars-lm/versions/1', { method: 'DELETE', ...admin });

    // Every route but the pages was called.
    const routes = stack.host.core.functions
      .map((f) => Object.values(f.bindings).find((b) => b.type === 'httpTrigger'))
      .filter((t): t is NonNullable<typeof t> => t !== undefined)
      .flatMap((t) => (t.methods as string[]).map((m) => `${m} ${String(t.route)}`))
      .filter((r) => !/^GET (docs|console)/.test(r));
    expect(routes.filter((r) => !seen.some((s) => s.route === r))).toEqual([]);

    const found = seen.flatMap((s) => {
      let body: unknown = s.text;
      try {
        body = JSON.parse(s.text);
      } catch {
        /* CSV or empty: its text is checked as a string */
      }
      return leaks(body).map((l) => `${s.route} (${s.status}): ${l}`);
    });
    expect(found).toEqual([]);

    // A direct batch's refusal names its model as scoring's errors do.
    expect((refusedDirect.body as { model?: unknown }).model).toEqual({ name: 'boston-rf', version: '1' });
    expect((fromBlob.body as { model?: unknown }).model).toEqual({ name: 'mtcars-lm', version: '1' });
    const refusal = (await call('GET batches/{id}', `/api/batches/${ids[3]}`)).body as { problem?: { model?: unknown } };
    expect(refusal.problem?.model).toEqual({ name: 'boston-rf', version: '1' });
  }, 300_000);

  it('store batch documents that name a model as {name, version} only', async () => {
    const container = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batches');
    const documents: string[] = [];
    const found: string[] = [];
    for await (const blob of container.listBlobsFlat()) {
      if (!blob.name.endsWith('.json')) continue;
      documents.push(blob.name);
      const text = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
      found.push(...leaks(JSON.parse(text)).map((l) => `${blob.name}: ${l}`));
    }
    expect(documents.some((d) => d.endsWith('/submission.json'))).toBe(true);
    expect(documents.some((d) => d.endsWith('/state/refusal.json'))).toBe(true);
    expect(documents.some((d) => d.endsWith('/manifest.json'))).toBe(true);
    expect(found).toEqual([]);
  });
});
