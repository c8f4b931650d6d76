import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { assembleIfDone, resultColumns } from '../batch/assembleResults.js';
import { blobFormat, checkInputBlobName, readBatchOptions } from '../batch/batchOptions.js';
import { csvHead, csvPiece, jsonHead, jsonPiece, JSON_TAIL, type ChunkPredictions, type ResultFormat } from '../batch/batchResults.js';
import { deriveStatus, isFinished, modelRef, submissionStatus, type BatchManifest, type BatchStatus, type ModelRef } from '../batch/batchState.js';
import { csvRowSource, jsonRowSource, type RowSource } from '../batch/rowSources.js';
import { submitBatch, submitUpload, type Existing } from '../batch/submitBatch.js';
import { config } from '../config.js';
import { AppError, badQuery, isAppError } from '../errors.js';
import { batches, models } from '../runtime.js';
import { telemetry } from '../telemetry.js';
import { parseJson, readRows } from '../scoring/requestBody.js';
import { JSON_TYPE, readText } from './readBody.js';
import { answerError } from './respond.js';

const CSV_TYPE = /^text\/csv\s*(?:;|$)/i;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Text pieces as a byte stream that produces the next piece only when the client reads. */
function byteStream(pieces: AsyncIterator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await pieces.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      },
      async cancel() {
        await pieces.return?.(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

const links = (id: string) => ({ self: `/api/batches/${id}`, results: `/api/batches/${id}/results` });

/** A body too large to pass through the function: where to send it instead. */
function tooLargeForFunction(limit: number): AppError {
  return new AppError(
    'payload_too_large',
    `A batch body may be at most ${limit} bytes. Upload larger inputs: POST /api/batches/uploads gives a short-lived upload URL; PUT the file there, then submit {"blob": "<the name it gave>"}.`,
  );
}

/** The CSV body as a stream that fails with 413 once it passes `limit` bytes, adding each byte to `hash`. */
function cappedBody(request: HttpRequest, limit: number, hash: Hash): Readable {
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw tooLargeForFunction(limit);
  if (!request.body) throw new AppError('invalid_request', 'The request body is empty.');
  let size = 0;
  return Readable.fromWeb(request.body as unknown as WebReadableStream).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        hash.update(chunk);
        done(size > limit ? tooLargeForFunction(limit) : null, chunk);
      },
    }),
  );
}

/**
 * What makes two submits the same request, for an Idempotency-Key: the route's model and
 * version as asked, the options, and the rows (the body's bytes, or the uploaded blob's name).
 */
function requestHash(request: HttpRequest): Hash {
  return createHash('sha256').update(`${request.params.name ?? ''}\n${request.params.version ?? ''}\n${request.query.get('type') ?? ''}\n${request.query.get('chunkSize') ?? ''}\n${request.query.get('output') ?? ''}\n`);
}

/**
 * The answer to a submit whose Idempotency-Key named a batch before: that batch (202) if this
 * is the same request, else 422 idempotency_key_reused. `fingerprint` reads what is left of
 * this request's rows to tell.
 */
async function resubmitted(existing: Existing, fingerprint: () => Promise<string>, context: InvocationContext): Promise<HttpResponseInit> {
  if ((await fingerprint()) !== existing.fingerprint) {
    throw new AppError('idempotency_key_reused', `This Idempotency-Key was used for batch ${existing.id}, submitted with a different model, options or rows. Use a new key for a new batch.`);
  }
  const { status } = await loadBatch(existing.id);
  context.log(`batch ${existing.id} resubmitted`);
  return { status: 202, headers: { location: links(existing.id).self, 'retry-after': '1' }, jsonBody: { ...status, rows: status.rows.total, chunks: status.chunks.total, links: links(existing.id) } };
}

/**
 * POST /api/batches, /api/models/{name}/batches, /api/models/{name}/versions/{version}/batches:
 * 202 Accepted with Location. Rows come as JSON (records or split) or a text/csv body, up to
 * the host's body limit, checked before the answer; or as {"blob": "name.csv"} naming a
 * file uploaded to the batch inputs container (see POST /api/batches/uploads), answered at
 * once in state `validating` while a queued job checks and stores its rows.
 */
export async function submitBatchHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  // Named in every error once known, as scoring's errors name it.
  let ref: ModelRef | undefined;
  try {
    const c = config();
    const type = request.headers.get('content-type') ?? '';
    const model = await models().resolve(request.params.name, request.params.version);
    ref = modelRef(model);
    const store = batches();
    const traceParent = context.traceContext?.traceParent ?? undefined;
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
    const limits = { defaultChunkRows: c.batchChunkRows, maxChunkRows: c.batchMaxChunkRows };
    const hash = requestHash(request);
    let source: RowSource;
    let body: Record<string, unknown> = {};
    // Reads what is left of the rows, for the request's fingerprint.
    let rest: () => Promise<void> = async () => undefined;
    if (CSV_TYPE.test(type)) {
      const stream = cappedBody(request, c.batchMaxBodyBytes, hash);
      rest = async () => {
        for await (const _ of stream);
      };
      source = csvRowSource(stream, model.schema);
    } else if (JSON_TYPE.test(type)) {
      const limit = c.batchMaxBodyBytes;
      const text = await readText(request, limit).catch((err: unknown) => Promise.reject(isAppError(err) && err.code === 'payload_too_large' ? tooLargeForFunction(limit) : err));
      hash.update(text);
      const parsed = parseJson(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AppError('invalid_request', 'The request body must be a JSON object.');
      body = parsed as Record<string, unknown>;
      if (body.blob !== undefined) {
        const { blob, ...optionBody } = body;
        const name = checkInputBlobName(blob);
        blobFormat(name);
        const options = readBatchOptions(request.query, optionBody, limits);
        const fingerprint = hash.digest('hex');
        const submitted = await submitUpload(store, { model: ref, type: model.validator.checkType(options.type), options, blob: name, idempotencyKey, fingerprint, traceParent });
        if (submitted.existing) return await resubmitted(submitted, async () => fingerprint, context);
        const { submission: sub } = submitted;
        context.log(`batch ${sub.id} accepted from ${name}: validating`);
        return {
          status: 202,
          headers: { location: links(sub.id).self, 'retry-after': '1' },
          jsonBody: { id: sub.id, state: 'validating', model: sub.model, type: sub.type, rows: null, chunks: null, links: links(sub.id) },
        };
      }
      const { chunkSize: _chunk, output: _output, ...rows } = body;
      source = jsonRowSource(readRows(rows, c.batchMaxRows, model.validator.maxColumns), model.schema);
    } else {
      // curl -d's own type: it also removes the file's line breaks.
      const hint = type.startsWith('application/x-www-form-urlencoded') ? " curl -d sends this type and removes a file's line breaks: send a CSV file with -H 'content-type: text/csv' --data-binary @file.csv." : '';
      throw new AppError('unsupported_media_type', `Send batch rows as application/json or text/csv.${hint}`);
    }
    const options = readBatchOptions(request.query, body, limits);
    const fingerprint = () => hash.digest('hex');
    const submitted = await submitBatch(store, { model, source, options, idempotencyKey, maxRows: c.batchMaxRows, traceParent, fingerprint });
    if (submitted.existing) return await resubmitted(submitted, async () => (await rest(), fingerprint()), context);
    const { manifest } = submitted;
    telemetry().event('Batch submitted', { batch: manifest.id, model: manifest.model.name, version: manifest.model.version, rows: String(manifest.rows), chunks: String(manifest.chunks) }, manifest.traceParent);
    context.log(`batch ${manifest.id} accepted: ${manifest.rows} rows in ${manifest.chunks} chunks`);
    return {
      status: 202,
      headers: { location: links(manifest.id).self, 'retry-after': String(Math.min(10, Math.max(1, Math.ceil(manifest.rows / 100_000)))) },
      jsonBody: { id: manifest.id, state: 'queued', model: manifest.model, type: manifest.type, rows: manifest.rows, chunks: manifest.chunks, links: links(manifest.id) },
    };
  } catch (err) {
    // For /api/batches, the default model, even when the body was refused before it was read.
    ref ??= request.params.name === undefined ? await models().defaultVersion().catch(() => undefined) : undefined;
    return answerError(err, request, context, ref);
  }
}

/**
 * POST /api/batches/uploads: a short-lived URL to upload one batch input file straight to
 * Blob Storage (the valet key pattern), for inputs too large to pass through the function.
 * The URL may create that one blob, in one Put Blob (up to 5000 MiB), and nothing else: not
 * replace it once it exists. With {"blocks": true} (or ?blocks=true) it may also Put Block
 * and Put Block List, which need write permission (so it could replace the blob while it
 * lasts: a batch is read only from the blob it was submitted with, by ETag). Then submit
 * {"blob": name}.
 */
export async function createUpload(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const c = config();
    const text = request.headers.get('content-type') ? await readText(request, 4096) : '';
    const body = (text.trim() ? parseJson(text) : {}) as { format?: unknown; blocks?: unknown };
    const format = body.format ?? request.query.get('format') ?? 'csv';
    if (format !== 'csv' && format !== 'ndjson') {
      throw new AppError('invalid_request', 'Option "format" must be "csv" or "ndjson".', { errors: [{ field: 'format', message: 'must be "csv" or "ndjson"', pointer: '/format' }] });
    }
    const query = request.query.get('blocks');
    const blocks = body.blocks ?? ({ true: true, false: false } as Record<string, boolean>)[query ?? 'false'] ?? query;
    if (typeof blocks !== 'boolean') {
      throw new AppError('invalid_request', 'Option "blocks" must be true or false.', { errors: [{ field: 'blocks', message: 'must be true or false', pointer: '/blocks' }] });
    }
    const store = batches();
    await store.ensure();
    const blob = `uploads/${new Date().toISOString().slice(0, 10)}/${randomUUID()}.${format}`;
    const { url, expiresAt } = await store.uploadUrl(blob, c.uploadUrlSeconds, blocks);
    context.log(`upload URL for ${blob} until ${expiresAt}${blocks ? ' (blocks)' : ''}`);
    return {
      status: 201,
      jsonBody: {
        blob,
        url,
        blocks,
        method: 'PUT',
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
        expiresAt,
        submit: { method: 'POST', href: '/api/batches', body: { blob } },
      },
    };
  } catch (err) {
    return answerError(err, request, context);
  }
}

async function loadBatch(id: string | undefined): Promise<{ manifest?: BatchManifest; status: BatchStatus }> {
  if (!id || !ID.test(id)) throw new AppError('batch_not_found', `There is no batch "${id}".`);
  const store = batches();
  const manifest = await store.readManifest(id);
  if (!manifest) {
    const submission = await store.readSubmission(id);
    if (!submission) throw new AppError('batch_not_found', `There is no batch "${id}".`);
    const [refusal, stopped] = await Promise.all([store.readRefusal(id), store.stopReason(id)]);
    return { status: submissionStatus(submission, refusal, stopped === 'cancelled') };
  }
  const state = await store.readState(id);
  const assembled = state.assembled || (await assembleIfDone(store, manifest, state, async () => resultColumns(await schemaOf(manifest), manifest.type)));
  return { manifest, status: deriveStatus(manifest, state.results, state.failures, state.cancelledAt, assembled) };
}

const schemaOf = (m: BatchManifest) => models().schemaOfVersion(m.model.name, m.model.version).catch(() => undefined);

function outputFormat(request: HttpRequest, manifest: BatchManifest): ResultFormat {
  const accept = request.headers.get('accept') ?? '';
  if (/text\/csv/i.test(accept)) return 'csv';
  if (/application\/json/i.test(accept)) return 'json';
  return manifest.output;
}

/** A short-lived read-only link to a succeeded batch's results blob, in the format asked for. */
const resultsLink = (request: HttpRequest, manifest: BatchManifest) => batches().resultsUrl(manifest.id, outputFormat(request, manifest), config().resultsUrlSeconds);

/** 303 See Other to a succeeded batch's results blob. */
async function toResults(request: HttpRequest, manifest: BatchManifest, body?: Record<string, unknown>): Promise<HttpResponseInit> {
  const { url } = await resultsLink(request, manifest);
  return { status: 303, headers: { location: url, 'cache-control': 'no-store' }, ...(body ? { jsonBody: body } : {}) };
}

/**
 * GET /api/batches/{id}: the batch's state, chunks and rows done, timings and errors.
 * Once it succeeded: 303 See Other straight to its results (a short-lived link to the
 * results blob, which needs no key); with ?redirect=false, 200 with that link.
 */
export async function getBatch(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const batch = await loadBatch(request.params.id);
    const { manifest, status } = batch;
    if (status.state === 'succeeded' && manifest && request.query.get('redirect') !== 'false') return await toResults(request, manifest, { ...status, links: links(status.id) });
    const headers: Record<string, string> = status.state === 'succeeded' ? { 'cache-control': 'no-store' } : isFinished(status.state) ? {} : { 'retry-after': '1' };
    return { status: 200, headers, jsonBody: await withDownloadLink(request, batch) };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** A batch's status with its links, and a succeeded batch's short-lived download link (as ?redirect=false answers). */
async function withDownloadLink(request: HttpRequest, { manifest, status }: Awaited<ReturnType<typeof loadBatch>>): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { ...status, links: links(status.id) };
  if (status.state !== 'succeeded' || !manifest) return body;
  const download = await resultsLink(request, manifest);
  return { ...body, links: { ...links(status.id), download: download.url }, downloadExpiresAt: download.expiresAt };
}

/**
 * GET /api/batches?top=20: the most recently submitted batches (at most 100), newest first,
 * each as GET /api/batches/{id}?redirect=false answers it.
 */
export async function listBatches(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const raw = request.query.get('top');
    const top = raw === null ? 20 : Number(raw);
    if (!Number.isInteger(top) || top < 1 || top > 100) throw badQuery('top', 'must be a whole number from 1 to 100');
    const ids = await batches().recentIds(top);
    // A batch refused and deleted since it was listed is left out.
    const found = await Promise.all(ids.map((id) => loadBatch(id).then((batch) => withDownloadLink(request, batch)).catch(() => undefined)));
    return { status: 200, headers: { 'cache-control': 'no-store' }, jsonBody: { batches: found.filter((b) => b !== undefined) } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** DELETE /api/batches/{id}: cancels the batch; chunks not started are skipped. */
export async function cancelBatch(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { manifest, status } = await loadBatch(request.params.id);
    if (status.state === 'succeeded' || status.state === 'failed') {
      throw new AppError('batch_finished', `Batch ${status.id} already ${status.state}; there is nothing to cancel.`);
    }
    await batches().cancel(status.id);
    telemetry().event('Batch cancelled', { batch: status.id, chunksDone: String(status.chunks.done) }, manifest?.traceParent);
    const after = await loadBatch(status.id);
    return { status: 202, jsonBody: { ...after.status, links: links(status.id) } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/**
 * GET /api/batches/{id}/results: one entry per input row, in input order, with the row's
 * index (and its name, when the input named rows); CSV or JSON by Accept. A succeeded
 * batch's results are one blob, answered with 303 See Other to a short-lived link to it
 * (the app never holds them). Before that, the chunks done so far are streamed, at most
 * PARTIAL_RESULTS_MAX_ROWS rows (then `truncated`).
 */
export async function getBatchResults(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { manifest, status } = await loadBatch(request.params.id);
    if (!manifest) return { status: 200, headers: { 'retry-after': '1' }, jsonBody: { id: status.id, state: status.state, complete: false, type: status.type, results: [] } };
    if (status.state === 'succeeded') return await toResults(request, manifest);
    const format = outputFormat(request, manifest);
    const store = batches();
    const shape = { columns: resultColumns(await schemaOf(manifest), manifest.type), named: manifest.rowNames === true };
    const chunks: number[] = [];
    let rows = 0;
    for (const r of (await store.readState(manifest.id)).results) {
      if (rows + r.rows > config().partialResultsMaxRows) break;
      chunks.push(r.chunk);
      rows += r.rows;
    }
    const truncated = chunks.length < status.chunks.done;
    async function* lines(): AsyncGenerator<string> {
      yield format === 'csv' ? csvHead(shape) : jsonHead({ id: manifest!.id, state: status.state, complete: false, type: manifest!.type });
      let first = true;
      for (const n of chunks) {
        const chunk = JSON.parse(await store.readResult(manifest!.id, n)) as ChunkPredictions;
        yield format === 'csv' ? csvPiece(chunk, shape) : jsonPiece(chunk, shape, first);
        first = false;
      }
      if (format === 'json') yield truncated ? '],"truncated":true}' : JSON_TAIL;
    }
    return {
      status: 200,
      headers: { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json', ...(truncated ? { 'x-results-truncated': 'true' } : {}) },
      body: byteStream(lines()),
    };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('submitBatch', { route: 'batches', methods: ['POST'], authLevel: 'function', handler: submitBatchHttp });
app.http('submitModelBatch', { route: 'models/{name}/batches', methods: ['POST'], authLevel: 'function', handler: submitBatchHttp });
app.http('submitModelVersionBatch', { route: 'models/{name}/versions/{version}/batches', methods: ['POST'], authLevel: 'function', handler: submitBatchHttp });
app.http('createBatchUpload', { route: 'batches/uploads', methods: ['POST'], authLevel: 'function', handler: createUpload });
app.http('listBatches', { route: 'batches', methods: ['GET'], authLevel: 'function', handler: listBatches });
app.http('getBatch', { route: 'batches/{id}', methods: ['GET'], authLevel: 'function', handler: getBatch });
app.http('cancelBatch', { route: 'batches/{id}', methods: ['DELETE'], authLevel: 'function', handler: cancelBatch });
app.http('getBatchResults', { route: 'batches/{id}/results', methods: ['GET'], authLevel: 'function', handler: getBatchResults });
