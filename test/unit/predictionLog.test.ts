import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPEND_BLOCK_MAX_BYTES,
  appendBlocks,
  blobName,
  estimateBytes,
  lineFormatter,
  PredictionLog,
  type Block,
  type Cursor,
  type LogEntry,
  type PredictionLogOptions,
} from '../../functions/monitoring/predictionLog.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { until } from '../helpers/traffic.js';

const AT = new Date('2024-05-01T13:45:00.123Z');

/** An entry of `rows` rows: a number, a level and a sensitive column, predictions twice the number. */
function entry(rows: number, over: Partial<LogEntry> = {}): LogEntry {
  const x = Array.from({ length: rows }, (_, i) => i + 0.5);
  return {
    model: 'm',
    version: '1',
    requestId: 'req-1',
    at: AT,
    latencyMs: 12.5,
    source: 'http',
    columns: { x, g: x.map((_, i) => (i % 2 ? 'b' : 'a')), ssn: x.map(() => '078-05-1120') },
    rows,
    predictions: x.map((v) => v * 2),
    exclude: new Set(['ssn']),
    ...over,
  };
}

const collect = async (items: Cursor[], maxBytes: number) => {
  const blocks: Block[] = [];
  for await (const b of appendBlocks(items, maxBytes)) blocks.push(b);
  return blocks;
};

describe('log lines', () => {
  it('writes one JSON line per row: time, request, row, its name if any, inputs but the excluded ones, prediction', () => {
    const format = lineFormatter(entry(2, { rowNames: [null, 'Mazda RX4'] }));
    expect(format(0)).toBe(
      '{"time":"2024-05-01T13:45:00.123Z","requestId":"req-1","model":"m","version":"1","source":"http","latencyMs":12.5,"row":0,"inputs":{"x":0.5,"g":"a"},"prediction":1}',
    );
    expect(JSON.parse(format(1))).toEqual({
      time: '2024-05-01T13:45:00.123Z', requestId: 'req-1', model: 'm', version: '1', source: 'http', latencyMs: 12.5,
      row: 1, rowName: 'Mazda RX4', inputs: { x: 1.5, g: 'b' }, prediction: 3,
    });
  });

  it('writes what JSON cannot hold as null, and keeps structured predictions and odd names', () => {
    const format = lineFormatter({
      ...entry(1),
      columns: { 'a"b': [NaN], inf: [-Infinity], none: [undefined], big: [10n], short: [], ok: [true], when: [new Date(0)] },
      predictions: [{ setosa: 0.9, versicolor: 0.1 }],
      exclude: new Set(),
    });
    expect(JSON.parse(format(0))).toMatchObject({
      inputs: { 'a"b': null, inf: null, none: null, big: null, short: null, ok: true, when: '1970-01-01T00:00:00.000Z' },
      prediction: { setosa: 0.9, versicolor: 0.1 },
    });
    expect(JSON.parse(lineFormatter(entry(1, { predictions: [] }))(0)).prediction).toBeNull();
  });

  it.each([
    ['2024-05-01T13:45:00.123Z', 'm/1/2024-05-01/13/i-0.jsonl'],
    ['2024-05-01T00:30:00+02:00', 'm/1/2024-04-30/22/i-0.jsonl'],
    ['2024-12-31T23:59:59.999Z', 'm/1/2024-12-31/23/i-0.jsonl'],
  ])('puts a row at %s in %s (UTC date and hour)', (at, blob) => {
    expect(blobName('m', '1', new Date(at), 'i-0')).toBe(blob);
  });

  it('estimates an entry at 16 bytes a value (columns, predictions, row names) plus 256, without reading values', () => {
    expect(estimateBytes(entry(10))).toBe(256 + 10 * 4 * 16);
    expect(estimateBytes(entry(10, { rowNames: new Array<null>(10).fill(null) }))).toBe(256 + 10 * 5 * 16);
    expect(estimateBytes(entry(0))).toBe(256);
  });
});

describe('append blocks', () => {
  it('cuts the rows into blocks of at most maxBytes on line boundaries, in order, from each entry\'s next row', async () => {
    const items: Cursor[] = [{ entry: entry(7), next: 2 }, { entry: entry(5, { requestId: 'req-2' }), next: 0 }];
    const lines = [...[2, 3, 4, 5, 6].map((r) => lineFormatter(items[0]!.entry)(r)), ...[0, 1, 2, 3, 4].map((r) => lineFormatter(items[1]!.entry)(r))].map((l) => `${l}\n`);
    const longest = Math.max(...lines.map((l) => Buffer.byteLength(l)));
    const maxBytes = longest * 3 + 1;
    const blocks = await collect(items, maxBytes);
    expect(blocks.length).toBe(4);
    for (const b of blocks) {
      expect(b.bytes).toBeLessThanOrEqual(maxBytes);
      expect(b.body?.length).toBe(b.bytes);
      expect(b.body?.toString().endsWith('\n')).toBe(true);
    }
    expect(blocks.map((b) => b.body?.toString()).join('')).toBe(lines.join(''));
    const rows = blocks.flatMap((b) => b.segments.map((s) => [s.item.entry.requestId, s.from, s.to]));
    expect(rows).toEqual([['req-1', 2, 5], ['req-1', 5, 7], ['req-2', 0, 1], ['req-2', 1, 4], ['req-2', 4, 5]]);
  });

  it('counts bytes, not characters', async () => {
    const e = entry(2, { columns: { s: ['é'.repeat(100), 'é'.repeat(100)] }, exclude: new Set() });
    const line = `${lineFormatter(e)(0)}\n`;
    // Both lines fit in characters, not in bytes.
    const blocks = await collect([{ entry: e, next: 0 }], line.length * 2 + 10);
    expect(blocks.map((b) => b.bytes)).toEqual([Buffer.byteLength(line), Buffer.byteLength(line)]);
  });

  it('gives a line longer than a block alone, without a body', async () => {
    const e = entry(3, { columns: { s: ['short', 'x'.repeat(5000), 'short'] }, exclude: new Set() });
    const blocks = await collect([{ entry: e, next: 0 }], 1000);
    expect(blocks.map((b) => [b.body === undefined, b.segments.map((s) => [s.from, s.to])])).toEqual([
      [false, [[0, 1]]],
      [true, [[1, 2]]],
      [false, [[2, 3]]],
    ]);
  });

  it('gives a row whose values cannot be read alone, without a body', async () => {
    const bad: unknown[] = [1, 2];
    Object.defineProperty(bad, 1, { get: () => { throw new Error('gone'); } });
    const blocks = await collect([{ entry: entry(2, { columns: { x: bad }, exclude: new Set() }), next: 0 }], 1000);
    expect(blocks.map((b) => [b.body === undefined, b.segments.map((s) => [s.from, s.to])])).toEqual([
      [false, [[0, 1]]],
      [true, [[1, 2]]],
    ]);
  });
});

describe('PredictionLog options', () => {
  const container = BlobServiceClient.fromConnectionString('UseDevelopmentStorage=true').getContainerClient('c');
  it.each<[string, Partial<PredictionLogOptions>, RegExp]>([
    ['no buffer', { maxBufferBytes: 0 }, /maxBufferBytes/],
    ['a flush interval past what a timer holds', { flushMs: 2 ** 31 }, /flushMs/],
    ['blocks past the append limit', { maxBlockBytes: APPEND_BLOCK_MAX_BYTES + 1 }, /maxBlockBytes/],
    ['an instance that is not a blob name part', { instance: 'a/b' }, /instance/],
  ])('refuses %s', (_label, over, message) => {
    expect(() => new PredictionLog({ container, instance: 'i', maxBufferBytes: 1000, flushMs: 1000, ...over })).toThrow(message);
  });
});

describe('PredictionLog on Azurite', () => {
  let azurite: Azurite;
  let service: BlobServiceClient;
  const logs: PredictionLog[] = [];

  beforeAll(async () => {
    azurite = await startAzurite();
    service = BlobServiceClient.fromConnectionString(azurite.connectionString, { retryOptions: { maxTries: 2, tryTimeoutInMs: 5000, retryDelayInMs: 200 } });
  });

  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close(1000)));
    await azurite?.stop();
  });

  /** A log on a container of its own (created by the log), flushing on demand unless told. */
  function open(over: Partial<PredictionLogOptions> = {}): { log: PredictionLog; container: ContainerClient } {
    const container = service.getContainerClient(`log-${randomUUID()}`);
    const log = new PredictionLog({ container, instance: 'i-0', maxBufferBytes: 1_000_000, flushMs: 3_600_000, ...over });
    logs.push(log);
    return { log, container };
  }

  const lines = async (container: ContainerClient, blob: string) =>
    (await container.getBlobClient(blob).downloadToBuffer()).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('holds at most maxBufferBytes of entries, drops and counts what does not fit, and takes more once they are written', async () => {
    const size = estimateBytes(entry(10));
    const dropped: [string, string, number][] = [];
    const { log, container } = open({ maxBufferBytes: size * 5 + size / 2, onDropped: (m, v, n) => dropped.push([m, v, n]) });
    // Nothing is written before the loop yields, whatever the flush started meanwhile.
    const accepted = Array.from({ length: 8 }, (_, i) => log.add(entry(10, { requestId: `r${i}` })));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    expect(log.stats()).toEqual({ rows: 0, dropped: 30, pending: 50, failedWrites: 0 });
    expect(dropped).toEqual([['m', '1', 10], ['m', '1', 10], ['m', '1', 10]]);
    await log.flush();
    expect(log.stats()).toEqual({ rows: 50, dropped: 30, pending: 0, failedWrites: 0 });
    expect(log.add(entry(10, { requestId: 'after' }))).toBe(true);
    await log.flush();
    const written = await lines(container, 'm/1/2024-05-01/13/i-0.jsonl');
    expect(written.map((l) => `${String(l.requestId)}:${String(l.row)}`)).toEqual(
      ['r0', 'r1', 'r2', 'r3', 'r4', 'after'].flatMap((r) => Array.from({ length: 10 }, (_, i) => `${r}:${i}`)),
    );
  });

  it('drops malformed entries, and every entry once closed, counted', async () => {
    const { log } = open();
    expect(log.add(entry(3, { at: new Date('nope') }))).toBe(false);
    expect(log.add(entry(2, { model: '../etc' }))).toBe(false);
    expect(log.add(entry(4, { predictions: undefined as unknown as unknown[] }))).toBe(false);
    expect(log.add(entry(0))).toBe(true);
    expect(log.stats()).toEqual({ rows: 0, dropped: 9, pending: 0, failedWrites: 0 });
    await log.close();
    expect(log.add(entry(5))).toBe(false);
    expect(log.stats().dropped).toBe(14);
  });

  it('writes a large entry in appends of at most maxBlockBytes, each line once', async () => {
    const { log, container } = open({ maxBlockBytes: 2000 });
    const big = entry(100);
    log.add(big);
    await log.flush();
    const expected = await collect([{ entry: big, next: 0 }], 2000);
    const props = await container.getAppendBlobClient('m/1/2024-05-01/13/i-0.jsonl').getProperties();
    expect(expected.length).toBeGreaterThan(5);
    expect(props.blobCommittedBlockCount).toBe(expected.length);
    expect((await lines(container, 'm/1/2024-05-01/13/i-0.jsonl')).map((l) => l.row)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('flushes on its timer, and at once when over a megabyte waits', async () => {
    const timed = open({ flushMs: 50 });
    timed.log.add(entry(3));
    await until(() => timed.log.stats().rows === 3, 10_000, 'the timer\'s flush');

    const eager = open({ maxBufferBytes: 10_000_000 });
    const rows = Math.ceil(1024 * 1024 / (4 * 16)) + 1;
    eager.log.add(entry(rows));
    await until(() => eager.log.stats().rows === rows, 20_000, 'the flush past a megabyte');
  });

  it('runs one flush at a time: callers meanwhile share the next, and every row is written once', async () => {
    const { log, container } = open({ maxBlockBytes: 3000 });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      log.add(entry(7, { requestId: `r${i}` }));
      if (i % 3 === 0) flushes.push(log.flush());
    }
    // The first runs; the others, asked while it ran, share the one after it.
    expect(new Set(flushes.slice(1)).size).toBe(1);
    await Promise.all(flushes);
    expect(log.stats()).toEqual({ rows: 140, dropped: 0, pending: 0, failedWrites: 0 });
    const keys = (await lines(container, 'm/1/2024-05-01/13/i-0.jsonl')).map((l) => `${String(l.requestId)}:${String(l.row)}`);
    expect(keys.length).toBe(140);
    expect(new Set(keys).size).toBe(140);
  });

  it('drops the rows storage refuses for good (a block blob in the way), counted, and writes the other blobs', async () => {
    const dropped: [string, string, number][] = [];
    const written: [string, string, number][] = [];
    const { log, container } = open({ onDropped: (m, v, n) => dropped.push([m, v, n]), onWritten: (m, v, n) => written.push([m, v, n]) });
    await container.create();
    await container.getBlockBlobClient('blocked/1/2024-05-01/13/i-0.jsonl').upload('not an append blob\n', 19);
    log.add(entry(4, { model: 'blocked' }));
    log.add(entry(3, { model: 'fine' }));
    await log.flush();
    expect(log.stats()).toMatchObject({ rows: 3, dropped: 4, pending: 0 });
    expect(log.stats().failedWrites).toBeGreaterThan(0);
    expect(dropped).toEqual([['blocked', '1', 4]]);
    expect(written).toEqual([['fine', '1', 3]]);
    expect(await lines(container, 'fine/1/2024-05-01/13/i-0.jsonl')).toHaveLength(3);
  });

  it('keeps working when its callbacks throw', async () => {
    const boom = () => {
      throw new Error('metrics down');
    };
    const { log } = open({ maxBufferBytes: estimateBytes(entry(2)), onWritten: boom, onDropped: boom });
    expect(log.add(entry(2))).toBe(true);
    expect(log.add(entry(2))).toBe(false);
    await log.flush();
    expect(log.stats()).toEqual({ rows: 2, dropped: 2, pending: 0, failedWrites: 0 });
  });

  it('creates its container again when it was deleted (storage reset) and writes in the same flush', async () => {
    const { log, container } = open();
    log.add(entry(2));
    await log.flush();
    await container.delete();
    log.add(entry(3, { requestId: 'after-reset' }));
    await log.flush();
    // One append failed (no container), and the same flush made the container and wrote.
    expect(log.stats()).toEqual({ rows: 5, dropped: 0, pending: 0, failedWrites: 1 });
    expect((await lines(container, 'm/1/2024-05-01/13/i-0.jsonl')).map((l) => l.requestId)).toEqual(['after-reset', 'after-reset', 'after-reset']);
  });

  it('writes what is pending when closed', async () => {
    const { log, container } = open();
    log.add(entry(4));
    await log.close();
    expect(log.stats()).toEqual({ rows: 4, dropped: 0, pending: 0, failedWrites: 0 });
    expect(await lines(container, 'm/1/2024-05-01/13/i-0.jsonl')).toHaveLength(4);
  });
});
