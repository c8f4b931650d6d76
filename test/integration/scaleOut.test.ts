import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelStore } from '../../functions/storage/modelStore.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { publishModel } from '../../scripts/publish.js';
import { publishSamples, sampleModelsDir } from '../../scripts/samples.js';
import { heldModel, type Held } from '../helpers/held.js';
import { startHostProcess, type HostProcess } from '../helpers/hostProcess.js';
import { until } from '../helpers/traffic.js';

/**
 * Functions scales out by running the app on several instances over one storage account.
 * Two instances (two test hosts, each in its own process with its own disk and R workers)
 * share one Azurite here.
 */
let azurite: Azurite;
let store: ModelStore;
let a: HostProcess;
let b: HostProcess;
/** A model whose chunks are scored only when the test lets them (test/fixtures/held-score.R). */
let held: Held;

const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };

beforeAll(async () => {
  azurite = await startAzurite();
  store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  held = await heldModel();
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: held.fixture, name: 'held', version: '1' });
  const settings = { MODEL_REFRESH_MS: '300', DEFAULT_MODEL: 'boston-rf', ...held.env };
  [a, b] = await Promise.all([startHostProcess(azurite.connectionString, settings), startHostProcess(azurite.connectionString, settings)]);
});

afterAll(async () => {
  await held?.release();
  await Promise.all([a?.stop(), b?.stop()]);
  await azurite?.stop();
});

const batchState = async (host: HostProcess, id: string) => ((await (await host.call(`/api/batches/${id}?redirect=false`)).json()) as { state: string }).state;

describe('two instances on one storage account', () => {
  it('score one batch together: every chunk once, by both instances', async () => {
    // R holds every call until both instances are scoring chunks: one instance cannot take
    // them all first, however the two are scheduled (each takes at most host.json's
    // batchSize, 8, and more only once its calls finish).
    await held.hold();
    const rows = Array.from({ length: 240 }, (_, i) => ({ wt: 2 + (i % 30) / 10, hp: 110, cyl: 6 }));
    const res = await a.post('/api/models/held/batches?chunkSize=10', { data: rows });
    expect(res.status).toBe(202);
    const { id, chunks } = (await res.json()) as { id: string; chunks: number };
    expect(chunks).toBe(24);
    try {
      // One R worker each (startHostProcess's R_WORKERS): two processes holding, one per instance.
      await held.waitHeld(2, { timeoutMs: 90_000 });
    } finally {
      await held.release();
    }
    await until(async () => (await batchState(b, id)) === 'succeeded', 120_000, 'the batch');

    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('batches');
    const scoredBy = new Map<number, string>();
    for await (const blob of container.listBlobsFlat({ prefix: `${id}/state/results/`, includeMetadata: true })) {
      scoredBy.set(Number(/(\d+)\.json$/.exec(blob.name)?.[1]), blob.metadata?.instance ?? '');
    }
    expect([...scoredBy.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(new Set(scoredBy.values()).size).toBe(2);
    // No chunk was delivered to, and scored by, a second instance.
    for (const host of [a, b]) expect(host.stderr()).not.toContain('was already scored');
    const queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
    // The last message is deleted once its function returns, just after the batch shows succeeded.
    const left = async (name: string) => {
      const q = queues.getQueueClient(name);
      return (await q.exists()) ? ((await q.getProperties()).approximateMessagesCount ?? 0) : 0;
    };
    await until(async () => (await left('batch-chunks')) === 0, 30_000, 'the chunk queue to be empty');
    expect(await left('batch-chunks-poison')).toBe(0);

    // Either instance serves the results, row for row.
    const results = (await (await b.call(`/api/batches/${id}/results`, { headers: { accept: 'application/json' } })).json()) as { results: { row: number }[] };
    expect(results.results.map((r) => r.row)).toEqual(Array.from({ length: 240 }, (_, i) => i));
  }, 240_000);

  it('pick up a new version and a moved alias, both of them', async () => {
    const version = async (host: HostProcess) => ((await (await host.post('/api/models/boston-rf/score', { data: [row] })).json()) as { model: { version: string } }).model.version;
    expect([await version(a), await version(b)]).toEqual(['1', '1']);
    const rf = join(sampleModelsDir, 'boston-rf');
    await publishModel(store, { model: join(rf, 'model.rds'), schema: join(rf, 'model.json'), name: 'boston-rf', version: '2', aliases: ['production'] });
    await until(async () => (await version(a)) === '2' && (await version(b)) === '2', 60_000, 'both instances to serve version 2');
    // Rolled back by moving the alias alone.
    await store.moveAlias('boston-rf', 'production', '1', 'scale-out test');
    await until(async () => (await version(a)) === '1' && (await version(b)) === '1', 60_000, 'both instances to serve version 1 again');
  });

  it('give one batch for one Idempotency-Key, submitted through either', async () => {
    const headers = { 'idempotency-key': 'scale-out-1' };
    const answers = await Promise.all([a.post('/api/batches', { data: [row, row] }, headers), b.post('/api/batches', { data: [row, row] }, headers)]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { id?: string; code?: string }[];
    // The second may be told to retry while the first is still being stored.
    const ids = new Set<string>();
    for (const [i, body] of bodies.entries()) {
      if (answers[i]?.status === 503) {
        await until(async () => (await (i === 0 ? a : b).post('/api/batches', { data: [row, row] }, headers)).status === 202, 30_000, 'the retried submit');
        const again = (await (await (i === 0 ? a : b).post('/api/batches', { data: [row, row] }, headers)).json()) as { id: string };
        ids.add(again.id);
      } else {
        expect(answers[i]?.status).toBe(202);
        ids.add(body.id as string);
      }
    }
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    await until(async () => (await batchState(a, id as string)) === 'succeeded', 60_000, 'the batch');
  });
});
