import type { AppendBlobClient, ContainerClient } from '@azure/storage-blob';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import type { StorageAccess } from '../config.js';
import { isValidName } from '../models/names.js';
import { blobService } from '../storage/clients.js';

/**
 * The prediction log: a sampled share of scored requests written to Blob Storage as JSON
 * Lines, in the background. `add` only queues a reference to the entry (no copy, no
 * serialisation) and never waits on storage; a timer (and a pending backlog past ~1 MB)
 * starts a flush that serialises the rows and appends them to one append blob per model,
 * version, UTC hour and instance:
 *
 *   {model}/{version}/{yyyy-mm-dd}/{hh}/{instance}.jsonl
 *
 * Memory is bounded by `maxBufferBytes` of pending entries (an estimate) plus the one block
 * being written. Log lines may be lost, never silently: an entry that does not fit the
 * buffer (storage slow or down, or a burst) is dropped at `add`, lines that storage refuses
 * for good (a 4xx other than auth, conflict on position, or not found) are dropped, and what
 * is still pending when `close` gives up is dropped; each is counted in `stats().dropped`
 * and reported through `onDropped`. Nothing here throws into the caller or leaves a
 * rejection unhandled.
 *
 * Storage calls must fail fast: the SDK's default retry policy retries one call for
 * minutes, holding the flush (not `add`) all that time. Build the container client with
 * `logContainer`, which retries once after 200 ms with a 5 s timeout per try.
 */

export interface LogEntry {
  model: string;
  version: string;
  requestId: string;
  at: Date;
  latencyMs: number;
  source: 'http' | 'batch';
  /** The scored rows by column (features). Held by reference until written: do not change them after `add`. */
  columns: Record<string, readonly unknown[]>;
  rows: number;
  rowNames?: readonly (string | null)[];
  /** Each row's number to write as "row" (a batch's rows sampled from a chunk); absent: its position. */
  rowNumbers?: readonly number[];
  /** One per row. */
  predictions: readonly unknown[];
  /** Sensitive features: never written. */
  exclude: ReadonlySet<string>;
}

export interface LogStats {
  /** Rows written, since the log was made. */
  rows: number;
  /** Rows dropped: refused by `add`, refused by storage for good, or left when `close` gave up. */
  dropped: number;
  /** Rows waiting to be written now. */
  pending: number;
  /** Failed storage calls while writing (appends, and the create or inspect before a blob's first append). */
  failedWrites: number;
}

export interface PredictionLogOptions {
  /** Where the blobs go; build it with `logContainer` so that calls fail fast. Created if missing. */
  container: ContainerClient;
  /** This instance's name, the blobs' last part (one writer per blob). */
  instance: string;
  /** The most pending entries may take (estimated, see `estimateBytes`). */
  maxBufferBytes: number;
  /** How long an added entry waits at most before a flush starts. */
  flushMs: number;
  /** Largest append: 4 MiB (the append block limit) unless smaller. */
  maxBlockBytes?: number;
  onWritten?(model: string, version: string, rows: number): void;
  onDropped?(model: string, version: string, rows: number): void;
}

/** The most one append blob block may hold. */
export const APPEND_BLOCK_MAX_BYTES = 4 * 1024 * 1024;
/** Retries for log storage calls: one more try after 200 ms, 5 s per try. */
export const LOG_RETRY_OPTIONS = Object.freeze({ maxTries: 2, tryTimeoutInMs: 5000, retryDelayInMs: 200 });
/** A pending backlog this large starts a flush at once, without waiting for the timer. */
const FLUSH_NOW_BYTES = 1024 * 1024;
/** The estimate's bytes per value, and per entry. */
const VALUE_BYTES = 16;
const ENTRY_BYTES = 256;
/** Serialising gives the event loop back this often (bytes of lines). */
const YIELD_BYTES = 256 * 1024;
const DEFAULT_CLOSE_MS = 10_000;
/** Blob states unused this long are forgotten (the blobs are hourly). */
const FORGET_BLOB_MS = 2 * 60 * 60 * 1000;

/** A container client for the prediction log whose calls fail fast when storage is down. */
export function logContainer(access: StorageAccess, name: string): ContainerClient {
  return blobService(access, { retryOptions: { ...LOG_RETRY_OPTIONS } }).getContainerClient(name);
}

/** The blob an entry's rows go to: model, version, UTC date and hour of `at`, instance. */
export function blobName(model: string, version: string, at: Date, instance: string): string {
  const iso = at.toISOString();
  return `${model}/${version}/${iso.slice(0, 10)}/${iso.slice(11, 13)}/${instance}.jsonl`;
}

/**
 * What an entry is taken to weigh while pending, without looking at its values: 16 bytes a
 * value (every column, predictions and row names), plus a little per entry.
 */
export function estimateBytes(entry: LogEntry): number {
  const perRow = Object.keys(entry.columns).length + 1 + (entry.rowNames ? 1 : 0);
  return ENTRY_BYTES + entry.rows * perRow * VALUE_BYTES;
}

/** A value as JSON; what JSON cannot hold (NaN, undefined, a BigInt, a cycle) as null. */
function json(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
    default:
      if (value === null) return 'null';
      try {
        return JSON.stringify(value) ?? 'null';
      } catch {
        return 'null';
      }
  }
}

/**
 * The log line of an entry's row `row` (without its newline): time, requestId, model,
 * version, source, latencyMs, row, rowName (if the row has one), inputs (every column but
 * the excluded ones), prediction.
 */
export function lineFormatter(entry: LogEntry): (row: number) => string {
  const head =
    `{"time":${JSON.stringify(entry.at.toISOString())},"requestId":${json(entry.requestId)},"model":${json(entry.model)},` +
    `"version":${json(entry.version)},"source":${json(entry.source)},"latencyMs":${json(entry.latencyMs)},"row":`;
  const inputs = Object.entries(entry.columns)
    .filter(([name]) => !entry.exclude.has(name))
    .map(([name, values]) => ({ key: `${JSON.stringify(name)}:`, values }));
  return (row) => {
    let line = head + String(entry.rowNumbers?.[row] ?? row);
    const name = entry.rowNames?.[row];
    if (typeof name === 'string') line += `,"rowName":${JSON.stringify(name)}`;
    line += ',"inputs":{';
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as (typeof inputs)[number];
      line += (i === 0 ? '' : ',') + input.key + json(input.values[row]);
    }
    return `${line}},"prediction":${json(entry.predictions[row])}}`;
  };
}

/** An entry and the first of its rows not yet written. */
export interface Cursor {
  readonly entry: LogEntry;
  next: number;
}

/** Rows `from` (inclusive) to `to` (exclusive) of one entry. */
export interface Segment<T extends Cursor = Cursor> {
  item: T;
  from: number;
  to: number;
}

/** One append's lines; no body for a row that cannot be written (its line is longer than a block, or unreadable). */
export interface Block<T extends Cursor = Cursor> {
  body?: Buffer;
  bytes: number;
  segments: Segment<T>[];
}

/**
 * The lines of the items' unwritten rows, in order, cut on line boundaries into blocks of at
 * most `maxBytes`. Serialises lazily, one block ahead of the caller, giving the event loop
 * back now and then; reads each item's `next` when it reaches the item.
 */
export async function* appendBlocks<T extends Cursor>(items: readonly T[], maxBytes: number): AsyncGenerator<Block<T>> {
  let text = '';
  let bytes = 0;
  let segments: Segment<T>[] = [];
  let sinceYield = 0;
  const take = (): Block<T> => {
    const block = { body: Buffer.from(text, 'utf8'), bytes, segments };
    text = '';
    bytes = 0;
    segments = [];
    return block;
  };
  for (const item of items) {
    let format: (row: number) => string;
    try {
      format = lineFormatter(item.entry);
    } catch {
      format = () => {
        throw new Error('unreadable entry');
      };
    }
    for (let row = item.next; row < item.entry.rows; row++) {
      let line: string;
      try {
        line = `${format(row)}\n`;
      } catch {
        // A value that cannot be read (a getter that throws): the row cannot be written.
        line = '';
      }
      const size = Buffer.byteLength(line, 'utf8');
      if (size === 0 || size > maxBytes) {
        if (bytes > 0) yield take();
        yield { bytes: size, segments: [{ item, from: row, to: row + 1 }] };
        continue;
      }
      if (bytes + size > maxBytes) yield take();
      text += line;
      bytes += size;
      const last = segments[segments.length - 1];
      if (last && last.item === item && last.to === row) last.to = row + 1;
      else segments.push({ item, from: row, to: row + 1 });
      sinceYield += size;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  }
  if (bytes > 0) yield take();
}

interface Pending extends Cursor {
  readonly estimate: number;
  blob?: string;
  /** Written, or dropped: no longer pending. */
  gone: boolean;
}

/** An append whose outcome is unknown (an error after the request was sent). */
interface Attempt {
  offset: number;
  bytes: number;
  segments: Segment<Pending>[];
}

interface BlobState {
  /** The blob's length as last known; unknown after a failure. */
  length?: number;
  /** The last append, if it failed: it may have landed all the same. */
  doubt?: Attempt;
  usedAt: number;
}

/** How a blob's writing ended: done, failed for this blob, or failed in a way every blob would. */
type Outcome = 'ok' | 'failed' | 'unreachable';

const statusOf = (e: unknown): number | undefined => {
  const status = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/** Storage said no for good: retrying the same block cannot succeed. */
const refused = (status: number | undefined) =>
  status !== undefined && status >= 400 && status < 500 && ![401, 403, 404, 408, 412, 429].includes(status);

/** The error says nothing about this blob in particular: storage is down, slow, busy or denies us. */
const unreachable = (status: number | undefined) => status === undefined || status >= 500 || [401, 403, 408, 429].includes(status);

/** Whether the log can write the entry: names that make a blob path, a real time, columns, predictions. */
function wellFormed(e: LogEntry): boolean {
  return (
    typeof e.model === 'string' && isValidName(e.model) && typeof e.version === 'string' && isValidName(e.version) &&
    e.at instanceof Date && !Number.isNaN(e.at.getTime()) &&
    typeof e.columns === 'object' && e.columns !== null &&
    typeof e.predictions === 'object' && e.predictions !== null &&
    typeof e.exclude?.has === 'function'
  );
}

/** Runs a caller's callback, which must not break the log. */
function notify(callback: ((model: string, version: string, rows: number) => void) | undefined, entry: LogEntry, rows: number): void {
  if (!callback || rows <= 0) return;
  try {
    callback(entry.model, entry.version, rows);
  } catch {
    // A metrics callback that throws loses its own count only.
  }
}

export class PredictionLog {
  readonly #container: ContainerClient;
  readonly #instance: string;
  readonly #maxBufferBytes: number;
  readonly #flushMs: number;
  readonly #maxBlockBytes: number;
  readonly #flushNowBytes: number;
  readonly #onWritten: PredictionLogOptions['onWritten'];
  readonly #onDropped: PredictionLogOptions['onDropped'];
  /** Aborts storage calls when `close` gives up. */
  readonly #abort = new AbortController();
  readonly #blobs = new Map<string, BlobState>();
  #queue: Pending[] = [];
  #pendingBytes = 0;
  #pendingRows = 0;
  #written = 0;
  #dropped = 0;
  #failedWrites = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** The flush that starts when the running one ends, shared by whoever asked meanwhile. */
  #next: Promise<void> | undefined;
  /** The last flush failed: wait for the timer rather than flushing again at once. */
  #failing = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(o: PredictionLogOptions) {
    const positive = (name: string, v: unknown, max: number) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) throw new RangeError(`PredictionLog: ${name} must be a number above 0 and at most ${max}, not ${String(v)}`);
    };
    if (!o?.container) throw new TypeError('PredictionLog: container is required');
    if (typeof o.instance !== 'string' || !/^[A-Za-z0-9._-]+$/.test(o.instance)) throw new TypeError(`PredictionLog: instance must be a blob name part (letters, digits, . _ -), not ${JSON.stringify(o.instance)}`);
    positive('maxBufferBytes', o.maxBufferBytes, Number.MAX_SAFE_INTEGER);
    positive('flushMs', o.flushMs, 2 ** 31 - 1);
    positive('maxBlockBytes', o.maxBlockBytes ?? APPEND_BLOCK_MAX_BYTES, APPEND_BLOCK_MAX_BYTES);
    this.#container = o.container;
    this.#instance = o.instance;
    this.#maxBufferBytes = o.maxBufferBytes;
    this.#flushMs = o.flushMs;
    this.#maxBlockBytes = Math.floor(o.maxBlockBytes ?? APPEND_BLOCK_MAX_BYTES);
    this.#flushNowBytes = Math.min(FLUSH_NOW_BYTES, o.maxBufferBytes / 2);
    this.#onWritten = o.onWritten;
    this.#onDropped = o.onDropped;
  }

  /**
   * Queues the entry's rows to be written, or drops them (false) if the log is closed, the
   * entry is malformed, or it would take the pending estimate past `maxBufferBytes`. Cheap:
   * no copy, no serialisation, no I/O.
   */
  add(entry: LogEntry): boolean {
    try {
      const rows = entry.rows;
      if (!Number.isInteger(rows) || rows < 0) return this.#refuse(entry, 0);
      if (this.#closed || !wellFormed(entry)) return this.#refuse(entry, rows);
      if (rows === 0) return true;
      const estimate = estimateBytes(entry);
      if (this.#pendingBytes + estimate > this.#maxBufferBytes) return this.#refuse(entry, rows);
      this.#queue.push({ entry, next: 0, estimate, gone: false });
      this.#pendingBytes += estimate;
      this.#pendingRows += rows;
      if (this.#pendingBytes >= this.#flushNowBytes && !this.#running && !this.#failing) void this.flush();
      else this.#arm();
      return true;
    } catch {
      // A getter that throws, say: dropped, and counted if its row count can be read.
      try {
        const rows = entry.rows;
        if (Number.isInteger(rows) && rows > 0) this.#dropped += rows;
      } catch {
        // Nothing to count.
      }
      return false;
    }
  }

  stats(): LogStats {
    return { rows: this.#written, dropped: this.#dropped, pending: this.#pendingRows, failedWrites: this.#failedWrites };
  }

  /**
   * Writes what is pending now. One flush runs at a time: asked while one runs, it runs once
   * that ends, and callers meanwhile share it. Never rejects; see `stats()` for what it did.
   */
  flush(): Promise<void> {
    if (!this.#running) return this.#start();
    return (this.#next ??= this.#running.then(() => {
      this.#next = undefined;
      return this.#running ?? this.#start();
    }));
  }

  /**
   * Stops the timer and refuses further entries, then flushes until nothing is pending or
   * `deadlineMs` has passed; past it, storage calls are aborted and what is left is dropped
   * (counted). Never rejects.
   */
  close(deadlineMs = DEFAULT_CLOSE_MS): Promise<void> {
    return (this.#closing ??= this.#close(deadlineMs));
  }

  async #close(deadlineMs: number): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    const deadline = Date.now() + Math.max(0, deadlineMs);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadlineMs));
    });
    const drain = async () => {
      while (this.#pendingRows > 0 && Date.now() < deadline && !this.#abort.signal.aborted) {
        await this.flush();
        if (this.#pendingRows > 0 && this.#failing) await sleep(Math.min(250, Math.max(0, deadline - Date.now())), undefined, { ref: false });
      }
    };
    try {
      await Promise.race([drain(), expired]);
    } catch {
      // flush never rejects; nothing else here does.
    } finally {
      clearTimeout(timer);
      this.#abort.abort();
      for (const item of this.#queue) this.#drop(item, item.entry.rows - item.next);
      this.#queue = [];
      this.#pendingBytes = 0;
    }
  }

  #refuse(entry: LogEntry, rows: number): false {
    this.#dropped += rows;
    notify(this.#onDropped, entry, rows);
    return false;
  }

  #arm(): void {
    if (this.#timer || this.#closed || this.#pendingRows === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#flushMs);
    this.#timer.unref();
  }

  #clearTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #start(): Promise<void> {
    this.#clearTimer();
    const run = (async () => {
      let ok = false;
      try {
        ok = await this.#pass();
      } catch {
        ok = false;
      }
      this.#failing = !ok;
      this.#running = undefined;
      try {
        // More waiting: at once if a backlog built up and storage answers, else on the timer.
        if (this.#pendingRows > 0 && !this.#closed && !this.#next) {
          if (ok && this.#pendingBytes >= this.#flushNowBytes) void this.#start();
          else this.#arm();
        }
      } catch {
        // Scheduling cannot fail; if it did, the next add arms the timer again.
      }
    })();
    this.#running = run;
    return run;
  }

  /** One flush: every pending entry at its start, blob by blob. True if nothing failed. */
  async #pass(): Promise<boolean> {
    const groups = new Map<string, Pending[]>();
    for (const item of this.#queue) {
      if (item.gone) continue;
      item.blob ??= blobName(item.entry.model, item.entry.version, item.entry.at, this.#instance);
      const group = groups.get(item.blob);
      if (group) group.push(item);
      else groups.set(item.blob, [item]);
    }
    let ok = true;
    try {
      for (const [blob, group] of groups) {
        if (this.#abort.signal.aborted) return false;
        const outcome = await this.#write(blob, group);
        if (outcome === 'unreachable') return false;
        if (outcome === 'failed') ok = false;
      }
      return ok;
    } finally {
      this.#queue = this.#queue.filter((item) => !item.gone);
      const now = Date.now();
      for (const [blob, state] of this.#blobs) if (!state.doubt && now - state.usedAt > FORGET_BLOB_MS) this.#blobs.delete(blob);
    }
  }

  /** Appends the group's unwritten rows to `blob`, block by block, stopping at the first failure. */
  async #write(blob: string, group: Pending[]): Promise<Outcome> {
    const state = this.#blobs.get(blob) ?? { usedAt: 0 };
    this.#blobs.set(blob, state);
    state.usedAt = Date.now();
    const client = this.#container.getAppendBlobClient(blob);
    const options = { abortSignal: this.#abort.signal };
    /** One immediate retry after "not found" or "not at that position" (storage reset, another writer). */
    let retried = false;
    for (;;) {
      try {
        if (state.length === undefined) await this.#prepare(client, state, options);
      } catch (e) {
        this.#failedWrites++;
        const status = statusOf(e);
        if (status === 400) {
          // Storage refuses this blob itself (its name, say): its rows can never be written.
          for (const item of group) this.#drop(item, item.entry.rows - item.next);
          return 'failed';
        }
        return unreachable(status) ? 'unreachable' : 'failed';
      }
      let again = false;
      for await (const block of appendBlocks(group, this.#maxBlockBytes)) {
        if (!block.body) {
          // One line longer than a block: it can never be written.
          this.#discard(block.segments);
          continue;
        }
        const attempt: Attempt = { offset: state.length ?? 0, bytes: block.bytes, segments: block.segments };
        try {
          await client.appendBlock(block.body, block.bytes, { ...options, conditions: { appendPosition: attempt.offset } });
        } catch (e) {
          this.#failedWrites++;
          const status = statusOf(e);
          if (refused(status)) {
            this.#discard(block.segments);
            continue;
          }
          // The block may have landed (a lost response, or the SDK's retry then finding the
          // blob longer): the blob's length tells, before anything else is appended to it.
          state.length = undefined;
          state.doubt = attempt;
          if ((status === 404 || status === 412) && !retried) {
            again = true;
            break;
          }
          return unreachable(status) ? 'unreachable' : 'failed';
        }
        state.length = attempt.offset + attempt.bytes;
        this.#advance(attempt.segments);
      }
      if (!again) return 'ok';
      retried = true;
    }
  }

  /** Learns the blob's length, creating the container and the blob if missing, and settles a doubtful append. */
  async #prepare(client: AppendBlobClient, state: BlobState, options: { abortSignal: AbortSignal }): Promise<void> {
    let created: boolean;
    try {
      created = (await client.createIfNotExists(options)).succeeded;
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      await this.#container.createIfNotExists(options);
      created = (await client.createIfNotExists(options)).succeeded;
    }
    const length = created ? 0 : ((await client.getProperties(options)).contentLength ?? 0);
    const doubt = state.doubt;
    state.doubt = undefined;
    if (doubt && length === doubt.offset + doubt.bytes) this.#advance(doubt.segments);
    state.length = length;
  }

  /** Records written rows. */
  #advance(segments: Segment<Pending>[]): void {
    let rows = 0;
    for (const s of segments) {
      if (s.item.gone || s.item.next !== s.from) continue;
      s.item.next = s.to;
      rows += s.to - s.from;
      this.#pendingRows -= s.to - s.from;
      if (s.item.next >= s.item.entry.rows) this.#finish(s.item);
    }
    this.#written += rows;
    const first = segments[0];
    if (first) notify(this.#onWritten, first.item.entry, rows);
  }

  /** Drops rows that cannot be written. */
  #discard(segments: Segment<Pending>[]): void {
    for (const s of segments) {
      if (s.item.gone || s.item.next !== s.from) continue;
      s.item.next = s.to;
      this.#pendingRows -= s.to - s.from;
      this.#dropped += s.to - s.from;
      notify(this.#onDropped, s.item.entry, s.to - s.from);
      if (s.item.next >= s.item.entry.rows) this.#finish(s.item);
    }
  }

  /** Drops an item's remaining `rows`. */
  #drop(item: Pending, rows: number): void {
    if (item.gone) return;
    this.#pendingRows -= rows;
    this.#dropped += rows;
    notify(this.#onDropped, item.entry, rows);
    this.#finish(item);
  }

  #finish(item: Pending): void {
    item.gone = true;
    this.#pendingBytes -= item.estimate;
  }
}
