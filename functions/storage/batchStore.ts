import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { StorageAccess } from '../config.js';
import { blobService, queueService } from './clients.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BatchManifest, ChunkFailure, ChunkResult } from '../batch/batchState.js';
import { FRAME_CONTENT_TYPE } from '../batch/columnFrame.js';
import { RecentFrames } from './recentFrames.js';

/**
 * The message of one chunk to score: where its rows are and how to score them (queue
 * messages are limited to 64 KB, so rows stay in Blob Storage). Chunks are enqueued while
 * the rest of the batch is still being read, before the batch has a manifest. Messages of
 * an earlier form carry only batch and chunk; the rest then comes from the manifest.
 */
export type StopReason = 'cancelled' | 'refused';

export interface ChunkMessage {
  batch: string;
  chunk: number;
  /** The chunk's first row in the batch. */
  from?: number;
  model?: { name: string; version: string };
  type?: string;
  traceParent?: string;
}

/** Memory for chunk frames just stored, so a chunk scored here is not downloaded again. */
const RECENT_FRAME_BYTES = 32 * 2 ** 20;

const pad = (n: number) => String(n).padStart(6, '0');
const isStatus = (err: unknown, ...codes: number[]) => err instanceof RestError && codes.includes(err.statusCode ?? 0);

const paths = {
  manifest: (id: string) => `${id}/manifest.json`,
  input: (id: string, n: number) => `${id}/input/${pad(n)}.frame`,
  state: (id: string) => `${id}/state/`,
  result: (id: string, n: number) => `${id}/state/results/${pad(n)}.json`,
  failure: (id: string, n: number) => `${id}/state/errors/${pad(n)}.json`,
  stopped: (id: string) => `${id}/state/cancelled`,
  idempotency: (key: string) => `idempotency/${createHash('sha256').update(key).digest('hex')}`,
};

/**
 * Batches in Blob Storage and their chunks on a Storage Queue. Layout of the batches
 * container, per batch id: manifest.json; input/NNNNNN.frame (each chunk's checked rows as
 * a column frame, the body R reads); state/results/NNNNNN.json (written once, create-only);
 * state/errors/NNNNNN.json (the last failure of a chunk); state/cancelled (the batch was
 * stopped: its metadata says whether cancelled, or refused while its chunks were being
 * scored; the one blob kept of a refused batch).
 */
export class BatchStore {
  readonly batches: ContainerClient;
  readonly inputs: ContainerClient;
  readonly queue: QueueClient;
  #ready: Promise<void> | undefined;
  readonly #manifests = new Map<string, BatchManifest>();
  readonly #recentFrames = new RecentFrames(RECENT_FRAME_BYTES);

  constructor(batches: ContainerClient, inputs: ContainerClient, queue: QueueClient) {
    this.batches = batches;
    this.inputs = inputs;
    this.queue = queue;
  }

  static connect(access: StorageAccess, names: { batches: string; inputs: string; queue: string }): BatchStore {
    const blobs = blobService(access);
    return new BatchStore(blobs.getContainerClient(names.batches), blobs.getContainerClient(names.inputs), queueService(access).getQueueClient(names.queue));
  }

  /** Creates the containers and queue once per process. */
  ensure(): Promise<void> {
    this.#ready ??= Promise.all([this.batches.createIfNotExists(), this.inputs.createIfNotExists(), this.queue.createIfNotExists()]).then(
      () => undefined,
      (err: unknown) => {
        this.#ready = undefined;
        throw err;
      },
    );
    return this.#ready;
  }

  async writeInputChunk(id: string, chunk: number, frame: Buffer, rows: number): Promise<void> {
    await this.batches.getBlockBlobClient(paths.input(id, chunk)).upload(frame, frame.length, {
      metadata: { rows: String(rows) },
      blobHTTPHeaders: { blobContentType: FRAME_CONTENT_TYPE },
    });
    this.#recentFrames.put(paths.input(id, chunk), frame);
  }

  /**
   * A chunk's column frame (from memory if this instance stored it moments ago), or
   * undefined if it is gone (its batch was refused).
   */
  async readInputChunk(id: string, chunk: number): Promise<Buffer | undefined> {
    const recent = this.#recentFrames.take(paths.input(id, chunk));
    if (recent) return recent;
    try {
      return await this.batches.getBlobClient(paths.input(id, chunk)).downloadToBuffer();
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async writeManifest(m: BatchManifest): Promise<void> {
    const text = JSON.stringify(m);
    await this.batches.getBlockBlobClient(paths.manifest(m.id)).upload(text, Buffer.byteLength(text), {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    this.#remember(m);
  }

  /** Whether this instance knows the batch was accepted (its manifest seen), without I/O. */
  isKnownAccepted(id: string): boolean {
    return this.#manifests.has(id);
  }

  #remember(m: BatchManifest): void {
    if (this.#manifests.size > 1000) this.#manifests.clear();
    this.#manifests.set(m.id, m);
  }

  /** A batch's manifest (immutable once written, so kept in memory), or undefined. */
  async readManifest(id: string): Promise<BatchManifest | undefined> {
    const cached = this.#manifests.get(id);
    if (cached) return cached;
    try {
      const m = JSON.parse((await this.batches.getBlobClient(paths.manifest(id)).downloadToBuffer()).toString('utf8')) as BatchManifest;
      this.#remember(m);
      return m;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Writes a chunk's result once: false if it was already there (a duplicate delivery). */
  async writeResult(id: string, chunk: number, body: string, meta: Omit<ChunkResult, 'chunk'>): Promise<boolean> {
    try {
      await this.batches.getBlockBlobClient(paths.result(id, chunk)).upload(body, Buffer.byteLength(body), {
        conditions: { ifNoneMatch: '*' },
        metadata: { rows: String(meta.rows), startedat: meta.startedAt, finishedat: meta.finishedAt },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
      return true;
    } catch (err) {
      if (isStatus(err, 409, 412)) return false;
      throw err;
    }
  }

  async deleteResult(id: string, chunk: number): Promise<void> {
    await this.batches.getBlobClient(paths.result(id, chunk)).deleteIfExists();
  }

  async readResult(id: string, chunk: number): Promise<string> {
    return (await this.batches.getBlobClient(paths.result(id, chunk)).downloadToBuffer()).toString('utf8');
  }

  async writeFailure(id: string, failure: ChunkFailure): Promise<void> {
    const text = JSON.stringify(failure);
    await this.batches.getBlockBlobClient(paths.failure(id, failure.chunk)).upload(text, Buffer.byteLength(text), {
      metadata: { attempts: String(failure.attempts) },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }

  /** Marks a batch cancelled; false if it already was. */
  async cancel(id: string): Promise<boolean> {
    const at = new Date().toISOString();
    try {
      await this.batches.getBlockBlobClient(paths.stopped(id)).upload(at, at.length, { conditions: { ifNoneMatch: '*' }, metadata: { reason: 'cancelled' } });
      return true;
    } catch (err) {
      if (isStatus(err, 409, 412)) return false;
      throw err;
    }
  }

  /** Marks a batch refused (kept after the rest is deleted, so late chunks see it). */
  async refuse(id: string): Promise<void> {
    const at = new Date().toISOString();
    await this.batches.getBlockBlobClient(paths.stopped(id)).upload(at, at.length, { metadata: { reason: 'refused' } });
  }

  /** Whether a batch was stopped, and why: one request. */
  async stopReason(id: string): Promise<StopReason | undefined> {
    try {
      const props = await this.batches.getBlobClient(paths.stopped(id)).getProperties();
      return props.metadata?.reason === 'refused' ? 'refused' : 'cancelled';
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Everything a batch's status is derived from, in one listing. */
  async readState(id: string): Promise<{ results: ChunkResult[]; failures: ChunkFailure[]; cancelledAt: string | undefined }> {
    const results: ChunkResult[] = [];
    const failureChunks: number[] = [];
    let cancelledAt: string | undefined;
    for await (const blob of this.batches.listBlobsFlat({ prefix: paths.state(id), includeMetadata: true })) {
      const rest = blob.name.slice(paths.state(id).length);
      const chunk = Number(/(\d+)\.json$/.exec(rest)?.[1]);
      if (rest.startsWith('results/')) {
        const md = blob.metadata ?? {};
        results.push({ chunk, rows: Number(md.rows ?? 0), startedAt: md.startedat ?? '', finishedAt: md.finishedat ?? '' });
      } else if (rest.startsWith('errors/')) {
        failureChunks.push(chunk);
      } else if (rest === 'cancelled' && blob.metadata?.reason !== 'refused') {
        cancelledAt = blob.properties.createdOn?.toISOString() ?? blob.properties.lastModified.toISOString();
      }
    }
    const done = new Set(results.map((r) => r.chunk));
    const failures = await Promise.all(
      failureChunks
        .filter((c) => !done.has(c))
        .map(async (c) => JSON.parse((await this.batches.getBlobClient(paths.failure(id, c)).downloadToBuffer()).toString('utf8')) as ChunkFailure),
    );
    return { results: results.sort((a, b) => a.chunk - b.chunk), failures, cancelledAt };
  }

  /** Enqueues one chunk (base64 JSON, as the Functions host reads messages). */
  async enqueueChunk(message: ChunkMessage): Promise<void> {
    await this.queue.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
  }

  /** Claims an idempotency key for a batch id; returns the id that already holds it, if any. */
  async claimIdempotencyKey(key: string, id: string): Promise<string | undefined> {
    const blob = this.batches.getBlockBlobClient(paths.idempotency(key));
    try {
      await blob.upload(id, id.length, { conditions: { ifNoneMatch: '*' } });
      return undefined;
    } catch (err) {
      if (!isStatus(err, 409, 412)) throw err;
      return (await blob.downloadToBuffer()).toString('utf8');
    }
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.batches.getBlobClient(paths.idempotency(key)).deleteIfExists();
  }

  /** Removes everything stored for a refused batch but its mark (see refuse). */
  async deleteBatch(id: string): Promise<void> {
    const names: string[] = [];
    for await (const blob of this.batches.listBlobsFlat({ prefix: `${id}/` })) if (blob.name !== paths.stopped(id)) names.push(blob.name);
    await Promise.all(names.map((n) => this.batches.getBlobClient(n).deleteIfExists()));
  }

  /** A caller's uploaded input as a stream, or undefined if there is no such blob. */
  async openInput(name: string): Promise<Readable | undefined> {
    try {
      const res = await this.inputs.getBlobClient(name).download();
      return res.readableStreamBody as Readable;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }
}
