import { QueueServiceClient } from '@azure/storage-queue';
import { BlobServiceClient } from '@azure/storage-blob';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { rPredict, rRecords } from '../helpers/r.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { until } from '../helpers/traffic.js';
import { waitFor } from '../helpers/waitFor.js';

interface Status {
  id: string;
  state: string;
  rows: { total: number; done: number; failed: number };
  chunks: { total: number; done: number; failed: number; pending: number };
  errors: { chunk: number; rows: { from: number; to: number }; attempts: number; reason: string }[];
  startedAt: string | null;
  finishedAt: string | null;
}

interface Results {
  state: string;
  complete: boolean;
  results: { row: number; prediction: unknown }[];
}

let stack: Stack;
const car = (wt: number) => ({ wt, hp: 110, cyl: 6 });

beforeAll(async () => {
  stack = await startStack({ R_WORKERS: '2', SHOW_R_ERRORS: 'true' });
  const lm = join(sampleModelsDir, 'mtcars-lm');
  for (const [name, score] of [['fragile', 'fragile-score.R'], ['sleepy', 'sleepy-score.R'], ['crashy', 'crashy-score.R']]) {
    await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures', score as string), name: name as string, version: '1' });
  }
  const rf = join(sampleModelsDir, 'boston-rf');
  await publishModel(stack.store, { model: join(rf, 'model.rds'), schema: join(rf, 'model.json'), score: join(appRoot, 'test/fixtures/echo-score.R'), name: 'echo', version: '1' });
});

afterAll(async () => {
  await stack?.close();
});

async function submit(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ res: Response; body: Record<string, unknown> }> {
  const res = await stack.call(path, {
    method: 'POST',
    headers: { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

async function status(id: string): Promise<Status> {
  return (await (await stack.call(`/api/batches/${id}?redirect=false`)).json()) as Status;
}

async function finished(id: string, timeoutMs = 120_000): Promise<Status> {
  let last: Status | undefined;
  await until(async () => ['succeeded', 'failed', 'cancelled'].includes((last = await status(id)).state), timeoutMs, `batch ${id} to finish`);
  return last as Status;
}

/** Every blob in the batches container, by batch id. */
async function storedBatches(): Promise<Map<string, { name: string; metadata: Record<string, string> }[]>> {
  const container = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batches');
  const byId = new Map<string, { name: string; metadata: Record<string, string> }[]>();
  for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
    const [id, ...rest] = blob.name.split('/');
    if (!id || id === 'idempotency') continue;
    byId.set(id, [...(byId.get(id) ?? []), { name: rest.join('/'), metadata: blob.metadata ?? {} }]);
  }
  return byId;
}

/** A request body that sends `first`, waits for `gate`, then sends `rest`. */
function gatedBody(first: string, gate: Promise<void>, rest: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(first));
      await gate;
      controller.enqueue(encoder.encode(rest));
      controller.close();
    },
  });
}

/** The chunks waiting in the poison queue. */
async function poisoned(): Promise<{ batch: string; chunk: number }[]> {
  const poison = QueueServiceClient.fromConnectionString(stack.azurite.connectionString).getQueueClient('batch-chunks-poison');
  if (!(await poison.exists())) return [];
  const peeked = await poison.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString()) as { batch: string; chunk: number });
}

/**
 * Waits until the host has handled every message of both batch queues: none left (a
 * message taken but not yet deleted still counts) and no invocation running.
 */
async function allMessagesHandled(what: string, timeoutMs = 45_000): Promise<void> {
  const queues = QueueServiceClient.fromConnectionString(stack.azurite.connectionString);
  const left = async (name: string) => {
    const q = queues.getQueueClient(name);
    return (await q.exists()) ? ((await q.getProperties()).approximateMessagesCount ?? 0) : 0;
  };
  let seen = '';
  await waitFor(
    async () => {
      const [chunks, jobs] = [await left('batch-chunks'), await left('batch-jobs')];
      seen = `batch-chunks ${chunks}, batch-jobs ${jobs}, invocations running: ${stack.host.queues.busy}`;
      return chunks === 0 && jobs === 0 && !stack.host.queues.busy;
    },
    { timeoutMs, what, last: () => seen },
  );
}

async function results(id: string): Promise<Results> {
  return (await (await stack.call(`/api/batches/${id}/results`, { headers: { accept: 'application/json' } })).json()) as Results;
}

describe('asynchronous batch scoring', () => {
  it('scores a 10,000-row batch equal to R predict(), row for row, in input order', async () => {
    const rows = 'proto[rep(seq_len(nrow(proto)), length.out = 10000), setdiff(names(proto), "medv")]';
    const [records, expected] = await Promise.all([rRecords('boston-rf', rows), rPredict('boston-rf', rows)]);
    const { res, body } = await submit('/api/batches?chunkSize=1500', { data: records });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/api/batches/${body.id}`);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(body).toMatchObject({ state: 'queued', rows: 10_000, chunks: 7, model: { name: 'boston-rf', version: '1' } });

    const done = await finished(body.id as string);
    expect(done).toMatchObject({ state: 'succeeded', rows: { total: 10_000, done: 10_000, failed: 0 }, chunks: { total: 7, done: 7 } });
    expect(done.startedAt).not.toBeNull();

    // Finished results are one blob per format, joined in Blob Storage from the blocks each
    // chunk staged (head, the 7 chunks, tail), served through a short-lived read-only link.
    const redirect = await stack.call(`/api/batches/${body.id}`, { redirect: 'manual' });
    expect(redirect.status).toBe(303);
    const link = new URL(redirect.headers.get('location') as string);
    expect(link.pathname).toBe(`/devstoreaccount1/batches/${body.id}/results.json`);
    expect(link.searchParams.get('sp')).toBe('r');
    const ttl = Date.parse(link.searchParams.get('se') as string) - Date.now();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000);
    const blob = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batches').getBlockBlobClient(`${body.id}/results.json`);
    expect((await blob.getBlockList('committed')).committedBlocks).toHaveLength(9);
    const direct = await fetch(link);
    expect(direct.headers.get('content-disposition')).toBe(`attachment; filename="batch-${body.id}.json"`);
    expect(((await direct.json()) as { results: unknown[] }).results).toHaveLength(10_000);

    const out = await results(body.id as string);
    expect(out.complete).toBe(true);
    expect(out.results.map((r) => r.row)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    out.results.forEach((r, i) => expect(Object.is(r.prediction, expected[i])).toBe(true));

    const csv = await (await stack.call(`/api/batches/${body.id}/results`, { headers: { accept: 'text/csv' } })).text();
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('row,prediction');
    expect(lines).toHaveLength(10_001);
    expect(Number(lines[10_000]?.split(',')[1])).toBe(expected[9999]);
  });

  it('takes a CSV body and a CSV blob from the inputs container, with probabilities as CSV columns', async () => {
    const csv = 'island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\nDream,40,18,190,3800,male\nBiscoe,50,15,220,5000,NA\n';
    const { res, body } = await submit('/api/models/penguins-rf/batches?type=prob&output=csv', csv);
    expect(res.status).toBe(202);
    expect((await finished(body.id as string)).state).toBe('succeeded');
    const out = await (await stack.call(`/api/batches/${body.id}/results`)).text();
    expect(out.split('\n')[0]).toBe('row,Adelie,Chinstrap,Gentoo');
    expect(out.trim().split('\n')).toHaveLength(3);

    const inputs = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batch-inputs');
    await inputs.createIfNotExists();
    await inputs.getBlockBlobClient('uploads/penguins.csv').upload(csv, csv.length);
    const fromBlob = await submit('/api/models/penguins-rf/batches', { blob: 'uploads/penguins.csv' });
    expect(fromBlob.res.status).toBe(202);
    const done = await finished(fromBlob.body.id as string);
    expect(done.rows.done).toBe(2);
  });

  it('refuses bad input up front, before anything is enqueued', async () => {
    const badHeader = await submit('/api/batches', 'crim,beak\n1,2\n');
    expect(badHeader.res.status).toBe(422);
    expect(badHeader.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'beak', message: 'is not an input of this model' }),
        expect.objectContaining({ field: 'zn', message: 'is a required column' }),
      ]),
    );
    const rows = Array.from({ length: 50 }, (_, i) => car(i === 7 || i === 31 ? ('heavy' as unknown as number) : 3));
    const badRows = await submit('/api/models/fragile/batches', { data: rows });
    expect(badRows.res.status).toBe(422);
    expect((badRows.body.errors as { row: number; pointer: string }[]).map((e) => [e.row, e.pointer])).toEqual([
      [7, '/data/7/wt'],
      [31, '/data/31/wt'],
    ]);
    const queue = QueueServiceClient.fromConnectionString(stack.azurite.connectionString).getQueueClient('batch-chunks');
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
    const wrongType = await submit('/api/batches', 'a,b', { 'content-type': 'text/plain' });
    expect(wrongType.res.status).toBe(415);
    // What curl -d @file.csv sends: its own type, or (with -H text/csv) the file without its line breaks.
    const header = 'crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,black,lstat';
    const values = '0.00632,18,2.31,0,0.538,6.575,65.2,4.09,1,296,15.3,396.9,4.98';
    const formType = await submit('/api/batches', `${header}${values}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(formType.res.status).toBe(415);
    expect(formType.body.detail).toContain("-H 'content-type: text/csv' --data-binary @file.csv");
    const noLineBreaks = await submit('/api/batches', `${header}${values}${values}`);
    expect(noLineBreaks.res.status).toBe(422);
    expect(noLineBreaks.body.detail).toContain('line breaks look removed');
    expect(noLineBreaks.body.detail).toContain('--data-binary @file.csv');
    expect(badHeader.body.detail).not.toContain('line breaks');
    // Every refusal names the model the rows were checked against, as scoring's do (/api/batches: the default model).
    expect(badHeader.body.model).toEqual({ name: 'boston-rf', version: '1' });
    expect(badRows.body.model).toEqual({ name: 'fragile', version: '1' });
    expect(wrongType.body.model).toEqual({ name: 'boston-rf', version: '1' });
    const unknownType = await submit('/api/models/fragile/versions/1/batches?type=nope', { data: [car(3)] });
    expect(unknownType.res.status).toBe(422);
    expect(unknownType.body).toMatchObject({ code: 'unsupported_type', model: { name: 'fragile', version: '1' } });
  });

  it('scores the first chunks while the rest of the body is still arriving', async () => {
    const before = new Set((await storedBatches()).keys());
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pending = stack.call('/api/models/fragile/batches?chunkSize=2', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: gatedBody('wt,hp,cyl\n2,110,6\n3,110,6\n', gate, '4,110,6\n'),
      duplex: 'half',
    } as RequestInit);
    let scored: string | undefined;
    await until(
      async () => {
        for (const [id, blobs] of await storedBatches()) if (!before.has(id) && blobs.some((b) => b.name === 'state/results/000000.json')) scored = id;
        return scored !== undefined;
      },
      30_000,
      'the first chunk to be scored before the body ends',
    );
    release();
    const res = await pending;
    const body = (await res.json()) as { id: string; chunks: number };
    expect(res.status).toBe(202);
    expect(body).toMatchObject({ id: scored, chunks: 2 });
    expect((await finished(body.id)).state).toBe('succeeded');
    expect((await results(body.id)).results.map((r) => r.row)).toEqual([0, 1, 2]);
  });

  it('refuses a batch whose bad row comes after chunks were enqueued, and leaves only its refused mark', async () => {
    const before = new Set((await storedBatches()).keys());
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const rows = Array.from({ length: 6 }, (_, i) => `${2 + i / 10},110,6`).join('\n');
    const pending = stack.call('/api/models/sleepy/batches?chunkSize=2', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: gatedBody(`wt,hp,cyl\n${rows}\n`, gate, '3,110,six\n'),
      duplex: 'half',
    } as RequestInit);
    const queue = QueueServiceClient.fromConnectionString(stack.azurite.connectionString).getQueueClient('batch-chunks');
    // The sleepy model takes 0.5 s a chunk: refuse while the first chunks are being scored.
    await until(async () => [...(await storedBatches()).keys()].some((id) => !before.has(id)) && stack.host.queues.busy, 30_000, 'a chunk to be scoring');
    release();
    const res = await pending;
    const problem = (await res.json()) as { errors: { row: number; field: string; pointer: string }[] };
    expect(res.status).toBe(422);
    expect(problem.errors).toEqual([expect.objectContaining({ row: 6, field: 'cyl', pointer: '/rows/6/cyl' })]);
    await until(async () => (await queue.getProperties()).approximateMessagesCount === 0 && !stack.host.queues.busy, 30_000, 'the enqueued chunks to be handled');
    const left = [...(await storedBatches())].filter(([id]) => !before.has(id));
    expect(left).toHaveLength(1);
    expect(left[0]?.[1]).toEqual([{ name: 'state/cancelled', metadata: { reason: 'refused' } }]);
    expect((await stack.call(`/api/batches/${left[0]?.[0]}`)).status).toBe(404);
  });

  it('keeps every double exact through a CSV batch', async () => {
    const values = [0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, 123456789.12345679, -0];
    const boston = { zn: 0, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
    const header = ['crim', ...Object.keys(boston)].join(',');
    const csv = [header, ...values.map((v) => [Object.is(v, -0) ? '-0' : String(v), ...Object.values(boston)].join(','))].join('\n');
    const { res, body } = await submit('/api/models/echo/batches?chunkSize=3', csv);
    expect(res.status).toBe(202);
    await finished(body.id as string);
    const out = await results(body.id as string);
    expect(out.results.map((r) => r.prediction)).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
    out.results.forEach((r, i) => expect(Object.is(r.prediction, values[i]) || (Object.is(values[i], -0) && r.prediction === 0)).toBe(true));
  });

  it('refuses input blobs outside the batch inputs container', async () => {
    for (const blob of ['https://evil.example/x.csv', '../models/boston-rf/1/model.rds', '/etc/passwd.csv', 'a/../../b.csv', 'C:\\x.csv']) {
      const { res, body } = await submit('/api/batches', { blob });
      expect(res.status, blob).toBe(400);
      expect((body.errors as { pointer: string }[])[0]?.pointer).toBe('/blob');
    }
    expect((await submit('/api/batches', { blob: 'missing.csv' })).res.status).toBe(404);
  });

  it('counts a chunk delivered twice once', async () => {
    const { body } = await submit('/api/models/fragile/batches?chunkSize=2', { data: [car(2), car(3), car(4)] });
    const done = await finished(body.id as string);
    const before = await results(body.id as string);
    const queue = QueueServiceClient.fromConnectionString(stack.azurite.connectionString).getQueueClient('batch-chunks');
    for (let i = 0; i < 3; i++) await queue.sendMessage(Buffer.from(JSON.stringify({ batch: body.id, chunk: 0 })).toString('base64'));
    await until(async () => (await queue.getProperties()).approximateMessagesCount === 0 && !stack.host.queues.busy, 30_000, 'the duplicates to be processed');
    const after = await status(body.id as string);
    expect(after.rows).toEqual(done.rows);
    expect(after.chunks.done).toBe(2);
    expect(await results(body.id as string)).toEqual(before);
  });

  it("fails a chunk R refuses at once, with R's message and the request id it was logged under; the others complete", async () => {
    const rows = [car(2), car(3), car(-1), car(4), car(5)];
    const { body } = await submit('/api/models/fragile/batches?chunkSize=2', { data: rows });
    const done = await finished(body.id as string, 30_000);
    expect(done.state).toBe('failed');
    expect(done.chunks).toEqual({ total: 3, done: 2, failed: 1, pending: 0 });
    expect(done.rows).toEqual({ total: 5, done: 3, failed: 2 });
    expect(done.errors).toEqual([
      {
        chunk: 1,
        rows: { from: 2, to: 3 },
        attempts: 1,
        reason: 'prediction_failed: The model could not score these rows. R said: cannot score a car of negative weight',
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    ]);
    const out = await results(body.id as string);
    expect(out.results.map((r) => r.row)).toEqual([0, 1, 4]);
    // Not retried: its message was consumed, so nothing of it waits in the queue or its poison
    // queue. (The queue's count includes messages taken but not deleted, which a failed try
    // leaves there: it reaches 0 only if every message was deleted.)
    await allMessagesHandled('the chunk messages to be deleted');
    expect((await poisoned()).map((m) => m.batch)).not.toContain(body.id);
  });

  it("answers a synchronous request R refuses with R's message in the detail when SHOW_R_ERRORS is on", async () => {
    const res = await stack.post('/api/models/fragile/score', { data: [car(-1)] });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { detail: string; requestId: string };
    expect(body.detail).toBe('The model could not score these rows. R said: cannot score a car of negative weight');
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('retries a chunk whose R worker crashes, then reports it failed after 5 tries and moves it to the poison queue', async () => {
    const rows = [car(2), car(3), car(-2), car(4), car(5)];
    const { body } = await submit('/api/models/crashy/batches?chunkSize=2', { data: rows });
    const done = await finished(body.id as string, 90_000);
    expect(done.state).toBe('failed');
    expect(done.chunks).toEqual({ total: 3, done: 2, failed: 1, pending: 0 });
    expect(done.errors).toEqual([{ chunk: 1, rows: { from: 2, to: 3 }, attempts: 5, reason: expect.stringContaining('worker_failed'), requestId: expect.any(String) }]);
    // The host moves the message to the poison queue just after the fifth failure is recorded.
    await until(async () => (await poisoned()).some((m) => m.batch === body.id), 30_000, 'the poison message');
    expect(await poisoned()).toContainEqual(expect.objectContaining({ batch: body.id, chunk: 1 }));
    const out = await results(body.id as string);
    expect(out.results.map((r) => r.row)).toEqual([0, 1, 4]);
  });

  it('cancels a batch: chunks not started are skipped', { timeout: 120_000 }, async () => {
    const { body } = await submit('/api/models/sleepy/batches?chunkSize=1', { data: Array.from({ length: 40 }, (_, i) => car(2 + i / 10)) });
    await until(async () => (await status(body.id as string)).chunks.done >= 1, 30_000, 'the first chunk');
    const cancelled = await stack.call(`/api/batches/${body.id}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(202);
    const atCancel = ((await cancelled.json()) as Status);
    expect(atCancel.state).toBe('cancelled');
    // Chunks already taken from the queue (at most host.json's batchSize + newBatchThreshold
    // = 12) finish; every other message is skipped. Once every message is handled, nothing
    // can move any more.
    await allMessagesHandled("the cancelled batch's messages to be handled", 90_000);
    const settled = await status(body.id as string);
    expect(settled.state).toBe('cancelled');
    expect(settled.chunks.done).toBeLessThanOrEqual(atCancel.chunks.done + 12);
    expect(settled.chunks.done).toBeLessThan(40);
    expect((await stack.call(`/api/batches/${body.id}`, { method: 'DELETE' })).status).toBe(202);
  });

  it('answers a resubmit with the same Idempotency-Key with the same batch, scored once', async () => {
    const key = `key-${Date.now()}`;
    const first = await submit('/api/models/fragile/batches?chunkSize=1', { data: [car(2), car(3)] }, { 'idempotency-key': key });
    const second = await submit('/api/models/fragile/batches?chunkSize=1', { data: [car(2), car(3)] }, { 'idempotency-key': key });
    expect(first.res.status).toBe(202);
    expect(second.res.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    const done = await finished(first.body.id as string);
    expect(done.rows.done).toBe(2);
    const manifests: string[] = [];
    for await (const blob of BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batches').listBlobsFlat()) {
      if (blob.name.endsWith('manifest.json')) manifests.push(blob.name);
    }
    expect(new Set(manifests).size).toBe(manifests.length);
  });

  it('refuses an Idempotency-Key reused for a different request (model, options or rows) with 422, and takes the same CSV again', async () => {
    const key = `reuse-${Date.now()}`;
    const csv = 'wt,hp,cyl\n2,110,6\n3,110,6\n';
    const first = await submit('/api/models/fragile/batches', csv, { 'idempotency-key': key });
    expect(first.res.status).toBe(202);
    const again = await submit('/api/models/fragile/batches', csv, { 'idempotency-key': key });
    expect(again.res.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    for (const [path, body] of [
      ['/api/models/fragile/batches', 'wt,hp,cyl\n2,110,6\n4,110,6\n'],
      ['/api/models/sleepy/batches', csv],
      ['/api/models/fragile/batches?chunkSize=1', csv],
      ['/api/models/fragile/batches', { data: [car(2), car(3)] }],
    ] as const) {
      const reused = await submit(path, body, { 'idempotency-key': key });
      expect(reused.res.status).toBe(422);
      expect(reused.body).toMatchObject({ code: 'idempotency_key_reused' });
      expect(reused.body.detail).toContain(first.body.id as string);
    }
  });

  it('answers 404 for an unknown batch and 409 when cancelling a finished one', async () => {
    expect((await stack.call('/api/batches/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await stack.call('/api/batches/not-an-id')).status).toBe(404);
    const { body } = await submit('/api/models/fragile/batches', { data: [car(2)] });
    await finished(body.id as string);
    expect((await stack.call(`/api/batches/${body.id}`, { method: 'DELETE' })).status).toBe(409);
  });

  it('completes a batch across an Azurite restart with nothing lost or duplicated', async () => {
    const data = Array.from({ length: 30 }, (_, i) => car(2 + i / 10));
    const { body } = await submit('/api/models/sleepy/batches?chunkSize=2', { data });
    await until(async () => (await status(body.id as string)).chunks.done >= 2, 60_000, 'some chunks');
    await stack.azurite.restart();
    const done = await finished(body.id as string, 180_000);
    expect(done.state).toBe('succeeded');
    expect(done.rows).toEqual({ total: 30, done: 30, failed: 0 });
    const out = await results(body.id as string);
    expect(out.results.map((r) => r.row)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  }, 240_000);
});

describe('the list of recent batches', () => {
  it('lists the latest batches newest first, each as its status with the results link once succeeded', async () => {
    const submit = async (n: number) => ((await (await stack.post('/api/models/fragile/batches', { data: Array.from({ length: n }, (_, i) => car(2 + i / 10)) })).json()) as { id: string }).id;
    const first = await submit(3);
    const second = await submit(4);
    const refused = await stack.post('/api/models/fragile/batches', { data: [{ wt: 'heavy', hp: 1, cyl: 4 }] });
    expect(refused.status).toBe(422);
    const list = async () => ((await (await stack.call('/api/batches?top=2')).json()) as { batches: (Status & { links: { download?: string } })[] }).batches;
    await until(async () => (await list()).every((b) => b.state === 'succeeded'), 60_000, 'both batches');
    const batches = await list();
    // The refused submit is not a batch; the newest comes first.
    expect(batches.map((b) => b.id)).toEqual([second, first]);
    expect(batches[0]?.rows.total).toBe(4);
    const download = batches[0]?.links.download as string;
    expect((await (await fetch(download)).json()) as { results: unknown[] }).toMatchObject({ results: expect.any(Array) });
    const bad = await stack.call('/api/batches?top=0');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('top');
  });
});
