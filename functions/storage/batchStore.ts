import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { isStatus } from './storageErrors.js';
import type { StorageAccess } from '../config.js';
import { blobService, queueService } from './clients.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BatchManifest, ChunkFailure, ChunkResult, Refusal, Submission } from '../batch/batchState.js';
import { blockId, blockList, chunkOfBlock, type ResultFormat } from '../batch/batchResults.js';
import { FRAME_CONTENT_TYPE } from '../batch/columnFrame.js';
import { BlobUrlSigner, type SignedUrl } from './blobUrls.js';
import { RecentFrames } from './recentFrames.js';
import { streamToBuffer } from './streams.js';

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

const paths = {
  manifest: (id: string) => `${id}/manifest.json`,
  input: (id: string, n: number) => `${id}/input/${pad(n)}.frame`,
  state: (id: string) => `${id}/state/`,
  result: (id: string, n: number) => `${id}/state/results/${pad(n)}.json`,
  failure: (id: string, n: number) => `${id}/state/errors/${pad(n)}.json`,
  stopped: (id: string) => `${id}/state/cancelled`,
  idempotency: (key: string) => `idempotency/${createHash('sha256').update(key).digest('hex')}`,
  submission: (id: string) => `${id}/submission.json`,
  refusal: (id: string) => `${id}/state/refusal.json`,
  assembled: (id: string) => `${id}/state/assembled`,
  results: (id: string, format: ResultFormat) => `${id}/results.${format}`,
  // Newest first in a listing: the time counts down.
  recent: (id: string, at: number) => `recent/${String(RECENT_EPOCH - at).padStart(14, '0')}-${id}`,
};

/** Past every time a batch is submitted at (ms): recent/ markers sort newest first. */
const RECENT_EPOCH = 99_999_999_999_999;

const CONTENT_TYPES: Record<ResultFormat, string> = { csv: 'text/csv; charset=utf-8', json: 'application/json' };

/** One chunk's results as a block of each results blob (see batchResults.ts). */
export type ResultPieces = Record<ResultFormat, string>;

/**
 * Batches in Blob Storage and their chunks on a Storage Queue. Layout of the batches
 * container, per batch id: manifest.json; input/NNNNNN.frame (each chunk's checked rows as
 * a column frame, the body R reads); state/results/NNNNNN.json (written once, create-only);
 * state/errors/NNNNNN.json (the last failure of a chunk); state/cancelled (the batch was
 * stopped: its metadata says whether cancelled, or refused while its chunks were being
 * scored; the one blob kept of a refused batch); for an uploaded input, submission.json
 * (what was asked, written at once) and state/refusal.json (why its rows were refused);
 * results.csv and results.json (each chunk stages its block as it is scored; committed
 * once every chunk is done) and state/assembled.
 */
export class BatchStore {
  readonly batches: ContainerClient;
  readonly inputs: ContainerClient;
  readonly queue: QueueClient;
  readonly jobs: QueueClient;
  readonly signer: BlobUrlSigner;
  #ready: Promise<void> | undefined;
  readonly #manifests = new Map<string, BatchManifest>();
  readonly #recentFrames = new RecentFrames(RECENT_FRAME_BYTES);

  constructor(batches: ContainerClient, inputs: ContainerClient, queue: QueueClient, jobs: QueueClient, signer: BlobUrlSigner) {
    this.batches = batches;
    this.inputs = inputs;
    this.queue = queue;
    this.jobs = jobs;
    this.signer = signer;
  }

  static connect(access: StorageAccess, names: { batches: string; inputs: string; queue: string; jobs: string }): BatchStore {
    const blobs = blobService(access);
    const queues = queueService(access);
    return new BatchStore(blobs.getContainerClient(names.batches), blobs.getContainerClient(names.inputs), queues.getQueueClient(names.queue), queues.getQueueClient(names.jobs), new BlobUrlSigner(blobs));
  }

  /** Creates the containers and queues once per process. */
  ensure(): Promise<void> {
    this.#ready ??= Promise.all([this.batches.createIfNotExists(), this.inputs.createIfNotExists(), this.queue.createIfNotExists(), this.jobs.createIfNotExists()]).then(
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

  /** Writes a batch's manifest once (a second delivery of its validation finds it written). */
  async writeManifest(m: BatchManifest): Promise<void> {
    const text = JSON.stringify(m);
    try {
      await this.batches.getBlockBlobClient(paths.manifest(m.id)).upload(text, Buffer.byteLength(text), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    } catch (err) {
      if (!isStatus(err, 409, 412)) throw err;
    }
    this.#remember(m);
    await this.#markRecent(m.id);
  }

  /** Lists the batch among the recent ones (an empty blob whose name sorts newest first). */
  async #markRecent(id: string): Promise<void> {
    await this.batches.getBlockBlobClient(paths.recent(id, Date.now())).upload('', 0);
  }

  /** The ids of the most recently submitted batches, newest first (a batch listed twice: once). */
  async recentIds(limit: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const page of this.batches.listBlobsFlat({ prefix: 'recent/' }).byPage({ maxPageSize: limit * 2 })) {
      for (const item of page.segment.blobItems) {
        const id = item.name.slice('recent/'.length + 15);
        if (!ids.includes(id)) ids.push(id);
        if (ids.length === limit) return ids;
      }
    }
    return ids;
  }

  /** What an uploaded input's submit asked for, written as it is answered (create-only). */
  async writeSubmission(sub: Submission): Promise<void> {
    const text = JSON.stringify(sub);
    await this.batches.getBlockBlobClient(paths.submission(sub.id)).upload(text, Buffer.byteLength(text), {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    await this.#markRecent(sub.id);
  }

  async readSubmission(id: string): Promise<Submission | undefined> {
    return this.#readJson<Submission>(paths.submission(id));
  }

  /** Why an uploaded input's rows were refused: the problem a direct submit would have answered. */
  async writeRefusal(id: string, refusal: Refusal): Promise<void> {
    const text = JSON.stringify(refusal);
    await this.batches.getBlockBlobClient(paths.refusal(id)).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  async readRefusal(id: string): Promise<Refusal | undefined> {
    return this.#readJson<Refusal>(paths.refusal(id));
  }

  async #readJson<T>(name: string): Promise<T | undefined> {
    try {
      return JSON.parse((await this.batches.getBlobClient(name).downloadToBuffer()).toString('utf8')) as T;
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
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
    const m = await this.#readJson<BatchManifest>(paths.manifest(id));
    if (m) this.#remember(m);
    return m;
  }

  /**
   * Stages a chunk's block of each results blob (uncommitted until the batch is assembled;
   * a second delivery stages the same bytes again). Done before its result is written, so
   * a chunk with a result always has its blocks.
   */
  async stageResultPieces(id: string, chunk: number, pieces: ResultPieces): Promise<void> {
    await Promise.all(
      (Object.keys(pieces) as ResultFormat[]).map((f) => this.batches.getBlockBlobClient(paths.results(id, f)).stageBlock(blockId('chunk', chunk), pieces[f], Buffer.byteLength(pieces[f]))),
    );
  }

  /** The chunks whose blocks are staged in both results blobs. */
  async stagedChunks(id: string): Promise<Set<number>> {
    const lists = await Promise.all(
      (['csv', 'json'] as ResultFormat[]).map(async (f) => {
        const blob = this.batches.getBlockBlobClient(paths.results(id, f));
        const list = await blob.getBlockList('uncommitted').catch((err: unknown) => (isStatus(err, 404) ? { uncommittedBlocks: [] } : Promise.reject(err)));
        return new Set((list.uncommittedBlocks ?? []).map((b) => chunkOfBlock(b.name)).filter((n): n is number => n !== undefined));
      }),
    );
    const [csv, json] = lists as [Set<number>, Set<number>];
    return new Set([...csv].filter((n) => json.has(n)));
  }

  /**
   * Joins the staged blocks into results.csv and results.json, in Blob Storage (one Put
   * Block List each: no result row passes through the app), then marks the batch assembled.
   * Committing the same list again gives the same blobs, so two instances may both do it.
   */
  async assembleResults(id: string, chunks: number, heads: ResultPieces, tails: Partial<ResultPieces>): Promise<void> {
    await Promise.all(
      (Object.keys(heads) as ResultFormat[]).map(async (f) => {
        const blob = this.batches.getBlockBlobClient(paths.results(id, f));
        const tail = tails[f];
        await Promise.all([
          blob.stageBlock(blockId('head'), heads[f], Buffer.byteLength(heads[f])),
          tail === undefined ? undefined : blob.stageBlock(blockId('tail'), tail, Buffer.byteLength(tail)),
        ]);
        await blob.commitBlockList(blockList(chunks, tail !== undefined), {
          blobHTTPHeaders: { blobContentType: CONTENT_TYPES[f], blobContentDisposition: `attachment; filename="batch-${id}.${f}"` },
        });
      }),
    );
    await this.batches.getBlockBlobClient(paths.assembled(id)).upload('', 0);
  }

  /** A short-lived read-only link to a finished batch's results blob. */
  resultsUrl(id: string, format: ResultFormat, ttlSeconds: number): Promise<SignedUrl> {
    return this.signer.url(this.batches.getBlockBlobClient(paths.results(id, format)), { access: 'read', ttlSeconds });
  }

  /**
   * A short-lived link for a caller to upload a new blob to the batch inputs container:
   * create-only (one Put Blob, which cannot replace the blob once it exists), or, for an
   * upload in blocks, create and write (Put Block and Put Block List need write).
   */
  uploadUrl(name: string, ttlSeconds: number, blocks = false): Promise<SignedUrl> {
    return this.signer.url(this.inputs.getBlockBlobClient(name), { access: blocks ? 'create-blocks' : 'create', ttlSeconds });
  }

  /** The ETag of this blob in the batch inputs container, or undefined if there is no such blob (or it has no committed content). */
  async inputEtag(name: string): Promise<string | undefined> {
    try {
      return (await this.inputs.getBlobClient(name).getProperties()).etag;
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
        metadata: { rows: String(meta.rows), startedat: meta.startedAt, finishedat: meta.finishedAt, named: String(meta.named === true), ...(meta.instance ? { instance: meta.instance } : {}) },
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

  async deleteFailure(id: string, chunk: number): Promise<void> {
    await this.batches.getBlobClient(paths.failure(id, chunk)).deleteIfExists();
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

  /**
   * Whether a batch this instance has not seen accepted was refused: what a chunk scored
   * while its batch was being submitted checks after writing, so that nothing it wrote
   * outlives the refusal (which deletes only what it can list).
   */
  async refusedMeanwhile(id: string): Promise<boolean> {
    return !this.isKnownAccepted(id) && (await this.stopReason(id)) === 'refused';
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
  async readState(id: string): Promise<{ results: ChunkResult[]; failures: ChunkFailure[]; cancelledAt: string | undefined; assembled: boolean }> {
    const results: ChunkResult[] = [];
    const failureChunks: number[] = [];
    let cancelledAt: string | undefined;
    let assembled = false;
    for await (const blob of this.batches.listBlobsFlat({ prefix: paths.state(id), includeMetadata: true })) {
      const rest = blob.name.slice(paths.state(id).length);
      const chunk = Number(/(\d+)\.json$/.exec(rest)?.[1]);
      if (rest.startsWith('results/')) {
        const md = blob.metadata ?? {};
        results.push({ chunk, rows: Number(md.rows ?? 0), startedAt: md.startedat ?? '', finishedAt: md.finishedat ?? '', named: md.named === 'true', ...(md.instance ? { instance: md.instance } : {}) });
      } else if (rest.startsWith('errors/')) {
        failureChunks.push(chunk);
      } else if (rest === 'assembled') {
        assembled = true;
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
    return { results: results.sort((a, b) => a.chunk - b.chunk), failures, cancelledAt, assembled };
  }

  /** Enqueues one chunk (base64 JSON, as the Functions host reads messages). */
  async enqueueChunk(message: ChunkMessage): Promise<void> {
    await this.queue.sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
  }

  /** Enqueues the check of an uploaded input's rows. */
  async enqueueValidation(id: string): Promise<void> {
    await this.jobs.sendMessage(Buffer.from(JSON.stringify({ kind: 'validate', batch: id })).toString('base64'));
  }

  /**
   * Claims an idempotency key for a batch id, with the fingerprint of the request when it is
   * known already; else returns the batch that holds it, and the fingerprint of the request
   * that claimed it (none while that request is still being stored).
   */
  async claimIdempotencyKey(key: string, id: string, fingerprint?: string): Promise<{ id: string; fingerprint?: string } | undefined> {
    const blob = this.batches.getBlockBlobClient(paths.idempotency(key));
    try {
      await blob.upload(id, id.length, { conditions: { ifNoneMatch: '*' }, ...(fingerprint ? { metadata: { fingerprint } } : {}) });
      return undefined;
    } catch (err) {
      if (!isStatus(err, 409, 412)) throw err;
      const res = await blob.download();
      const holder = (await streamToBuffer(res.readableStreamBody)).toString('utf8').trim();
      return { id: holder, ...(res.metadata?.fingerprint ? { fingerprint: res.metadata.fingerprint } : {}) };
    }
  }

  /** Records the fingerprint of the request an idempotency key was claimed by, once it is known. */
  async recordFingerprint(key: string, id: string, fingerprint: string): Promise<void> {
    await this.batches.getBlockBlobClient(paths.idempotency(key)).upload(id, id.length, { metadata: { fingerprint } });
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.batches.getBlobClient(paths.idempotency(key)).deleteIfExists();
  }

  /** Removes everything stored for a refused batch but its mark (see refuse) and, for an upload, what was asked. */
  async deleteBatch(id: string): Promise<void> {
    const keep = new Set([paths.stopped(id), paths.submission(id)]);
    const names: string[] = [];
    for await (const blob of this.batches.listBlobsFlat({ prefix: `${id}/` })) if (!keep.has(blob.name)) names.push(blob.name);
    await Promise.all(names.map((n) => this.batches.getBlobClient(n).deleteIfExists()));
  }

  /**
   * A caller's uploaded input as a stream, or why not: `missing` (no such blob), `changed`
   * (it is no longer the blob whose ETag is `etag`: it was replaced after the batch was
   * submitted). With an ETag the blob is read only while it has that one, also where the
   * download resumes after a broken connection.
   */
  async openInput(name: string, etag?: string): Promise<Readable | 'missing' | 'changed'> {
    try {
      const res = await this.inputs.getBlobClient(name).download(0, undefined, etag ? { conditions: { ifMatch: etag } } : {});
      return res.readableStreamBody as Readable;
    } catch (err) {
      if (isStatus(err, 404)) return 'missing';
      if (etag && isStatus(err, 412)) return 'changed';
      throw err;
    }
  }
}
