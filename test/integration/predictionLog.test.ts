import type { ContainerClient } from '@azure/storage-blob';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateBytes, logContainer, PredictionLog, type LogEntry, type PredictionLogOptions } from '../../functions/monitoring/predictionLog.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * The prediction log against real Azurite: where lines land, what an outage costs (counted,
 * bounded, never thrown), and that a lost reply does not write a block twice.
 */
let azurite: Azurite;
let container: ContainerClient;
const logs: PredictionLog[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
  container = logContainer({ kind: 'connectionString', connectionString: azurite.connectionString }, 'prediction-logs');
});

afterAll(async () => {
  await Promise.all(logs.map((l) => l.close(1000)));
  await azurite?.stop();
});

function open(over: Partial<PredictionLogOptions> = {}): PredictionLog {
  const log = new PredictionLog({ container, instance: 'host-a', maxBufferBytes: 1_000_000, flushMs: 200, ...over });
  logs.push(log);
  return log;
}

/** Boston-like rows with a sensitive column. */
function entry(model: string, at: string, rows: number, over: Partial<LogEntry> = {}): LogEntry {
  const rm = Array.from({ length: rows }, (_, i) => 6 + i / 10);
  return {
    model,
    version: '1',
    requestId: `req-${model}-${at}`,
    at: new Date(at),
    latencyMs: 8,
    source: 'http',
    columns: { rm, chas: rm.map((_, i) => i % 2), owner: rm.map((_, i) => `Jane Doe ${i}`) },
    rows,
    predictions: rm.map((v) => v * 4),
    exclude: new Set(['owner']),
    ...over,
  };
}

async function blobs(prefix: string, client = container): Promise<string[]> {
  const names: string[] = [];
  for await (const b of client.listBlobsFlat({ prefix })) names.push(b.name);
  return names.sort();
}

const text = async (blob: string, client = container) => (await client.getBlobClient(blob).downloadToBuffer()).toString('utf8');
const lines = async (blob: string, client = container) => (await text(blob, client)).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('prediction log', () => {
  it('writes each row as a JSON line in its model/version/date/hour/instance blob, without the sensitive columns', async () => {
    const log = open();
    log.add(entry('boston', '2024-05-01T13:59:59.900Z', 2));
    log.add(entry('boston', '2024-05-01T14:00:00.100Z', 1));
    log.add(entry('cars', '2024-05-01T13:10:00Z', 3, { version: '7', source: 'batch', rowNames: ['Mazda RX4', null, 'Datsun 710'] }));
    await log.flush();
    expect(log.stats()).toEqual({ rows: 6, dropped: 0, pending: 0, failedWrites: 0 });
    expect(await blobs('')).toEqual([
      'boston/1/2024-05-01/13/host-a.jsonl',
      'boston/1/2024-05-01/14/host-a.jsonl',
      'cars/7/2024-05-01/13/host-a.jsonl',
    ]);
    expect(await lines('boston/1/2024-05-01/13/host-a.jsonl')).toEqual([
      { time: '2024-05-01T13:59:59.900Z', requestId: 'req-boston-2024-05-01T13:59:59.900Z', model: 'boston', version: '1', source: 'http', latencyMs: 8, row: 0, inputs: { rm: 6, chas: 0 }, prediction: 24 },
      { time: '2024-05-01T13:59:59.900Z', requestId: 'req-boston-2024-05-01T13:59:59.900Z', model: 'boston', version: '1', source: 'http', latencyMs: 8, row: 1, inputs: { rm: 6.1, chas: 1 }, prediction: 24.4 },
    ]);
    const cars = await lines('cars/7/2024-05-01/13/host-a.jsonl');
    expect(cars.map((l) => [l.source, l.row, l.rowName])).toEqual([['batch', 0, 'Mazda RX4'], ['batch', 1, undefined], ['batch', 2, 'Datsun 710']]);
    for (const blob of await blobs('')) expect(await text(blob)).not.toMatch(/owner|Jane Doe/);
  });

  it('rides out a storage outage: adds stay cheap, the buffer holds its bound, the excess and failed writes are counted, and all is written once storage is back', async () => {
    const size = estimateBytes(entry('outage', '2024-05-02T08:00:00Z', 20));
    const log = open({ maxBufferBytes: size * 10 });
    log.add(entry('outage', '2024-05-02T08:00:00Z', 20, { requestId: 'before' }));
    await log.flush();
    expect(log.stats().rows).toBe(20);

    await azurite.stop();
    let added = 20;
    const accepted: boolean[] = [];
    for (let i = 0; i < 30; i++) {
      accepted.push(log.add(entry('outage', '2024-05-02T08:00:00Z', 20, { requestId: `during-${i}` })));
      added += 20;
      // A flush started (and failing) meanwhile never holds up an add.
      if (i === 5) void log.flush();
    }
    await log.flush();
    // The timer keeps retrying in the background (each try a failed write); it must not throw or reject either.
    const tried = log.stats().failedWrites;
    await waitFor(() => log.stats().failedWrites > tried, { what: 'the flush timer to try again while storage is down', last: () => log.stats() });
    const during = log.stats();
    expect(accepted.filter(Boolean).length).toBe(10);
    expect(accepted.slice(0, 10).every(Boolean)).toBe(true);
    expect(during.pending).toBe(10 * 20);
    expect(during.dropped).toBe(20 * 20);
    expect(during.failedWrites).toBeGreaterThan(0);
    expect(log.add(entry('outage', '2024-05-02T08:00:00Z', 20))).toBe(false);
    added += 20;

    await azurite.restart();
    await log.flush();
    const after = log.stats();
    expect(after.pending).toBe(0);
    expect(after.rows + after.dropped).toBe(added);
    const written = await lines('outage/1/2024-05-02/08/host-a.jsonl');
    expect(written.length).toBe(after.rows);
    expect(new Set(written.map((l) => `${String(l.requestId)}:${String(l.row)}`)).size).toBe(after.rows);
  });

  it('does not write a block twice when its reply is lost after storage took it', async () => {
    // A proxy in front of Azurite that swallows the reply to the first append.
    let swallowed = 0;
    const proxy: Server = createServer((req, res) => {
      const upstream = request({ host: '127.0.0.1', port: azurite.blobPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
        if (req.url?.includes('comp=appendblock') && swallowed === 0) {
          swallowed++;
          up.resume();
          req.socket.destroy();
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const viaProxy = logContainer({ kind: 'connectionString', connectionString: azurite.connectionString.replace(`:${azurite.blobPort}/`, `:${port}/`) }, 'lossy-logs');
      const log = open({ container: viaProxy });
      log.add(entry('lossy', '2024-05-03T10:00:00Z', 5));
      await log.flush();
      if (log.stats().pending > 0) await log.flush();
      expect(swallowed).toBe(1);
      expect(log.stats()).toMatchObject({ rows: 5, dropped: 0, pending: 0 });
      expect(log.stats().failedWrites).toBeGreaterThan(0);
      expect((await lines('lossy/1/2024-05-03/10/host-a.jsonl', viaProxy)).map((l) => l.row)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('writes what is pending when closed, and gives up at the deadline when storage is down, counting the rest as dropped', async () => {
    const log = open({ flushMs: 3_600_000 });
    log.add(entry('closing', '2024-05-04T09:00:00Z', 4));
    await log.close();
    expect(log.stats()).toEqual({ rows: 4, dropped: 0, pending: 0, failedWrites: 0 });
    expect(await lines('closing/1/2024-05-04/09/host-a.jsonl')).toHaveLength(4);

    const stranded = open({ flushMs: 3_600_000 });
    stranded.add(entry('closing', '2024-05-04T09:00:00Z', 6));
    await azurite.stop();
    try {
      await stranded.close(1500);
      expect(stranded.stats()).toMatchObject({ rows: 0, dropped: 6, pending: 0 });
      expect(stranded.stats().failedWrites).toBeGreaterThan(0);
    } finally {
      await azurite.restart();
    }
  });
});
