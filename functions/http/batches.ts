import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { stringify } from 'csv-stringify/sync';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { blobFormat, checkInputBlobName, readBatchOptions, type OutputFormat } from '../batch/batchOptions.js';
import { deriveStatus, isFinished, type BatchManifest, type BatchStatus } from '../batch/batchState.js';
import { csvRowSource, jsonRowSource, ndjsonRowSource, type RowSource } from '../batch/rowSources.js';
import { submitBatch } from '../batch/submitBatch.js';
import { config } from '../config.js';
import { AppError } from '../errors.js';
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

/**
 * POST /api/batches, /api/models/{name}/batches, /api/models/{name}/versions/{version}/batches:
 * validates every row up front, stores the rows in chunks and enqueues them; 202 Accepted
 * with Location. Rows come as JSON (records or split), as a text/csv body, or as
 * {"blob": "name.csv"} naming a file uploaded to the batch inputs container.
 */
export async function submitBatchHttp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const c = config();
    const type = request.headers.get('content-type') ?? '';
    const model = await models().resolve(request.params.name, request.params.version);
    const store = batches();
    let source: RowSource;
    let body: Record<string, unknown> = {};
    if (CSV_TYPE.test(type)) {
      if (!request.body) throw new AppError('invalid_request', 'The request body is empty.');
      source = csvRowSource(Readable.fromWeb(request.body as unknown as WebReadableStream), model.schema);
    } else if (JSON_TYPE.test(type)) {
      const parsed = parseJson(await readText(request, c.batchMaxJsonBytes));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AppError('invalid_request', 'The request body must be a JSON object.');
      body = parsed as Record<string, unknown>;
      if (body.blob !== undefined) {
        const name = checkInputBlobName(body.blob);
        const format = blobFormat(name);
        const stream = await store.openInput(name);
        if (!stream) throw new AppError('input_not_found', `There is no blob "${name}" in the batch inputs container.`);
        source = format === 'csv' ? csvRowSource(stream, model.schema) : ndjsonRowSource(stream, model.schema);
      } else {
        const { chunkSize: _chunk, output: _output, ...rows } = body;
        source = jsonRowSource(readRows(rows, c.batchMaxRows), model.schema);
      }
    } else {
      throw new AppError('unsupported_media_type', 'Send batch rows as application/json or text/csv.');
    }
    const { blob: _blob, ...optionBody } = body;
    const options = readBatchOptions(request.query, optionBody, { defaultChunkRows: c.batchChunkRows, maxChunkRows: c.batchMaxChunkRows });
    const { manifest, existing } = await submitBatch(store, {
      model,
      source,
      options,
      idempotencyKey: request.headers.get('idempotency-key') ?? undefined,
      maxRows: c.batchMaxRows,
      traceParent: context.traceContext?.traceParent ?? undefined,
    });
    if (!existing) {
      telemetry().event('Batch submitted', { batch: manifest.id, model: manifest.model.name, version: manifest.model.version, rows: String(manifest.rows), chunks: String(manifest.chunks) }, manifest.traceParent);
    }
    context.log(`batch ${manifest.id} ${existing ? 'resubmitted' : 'accepted'}: ${manifest.rows} rows in ${manifest.chunks} chunks`);
    return {
      status: 202,
      headers: { location: links(manifest.id).self, 'retry-after': String(Math.min(10, Math.max(1, Math.ceil(manifest.rows / 100_000)))) },
      jsonBody: { id: manifest.id, state: 'queued', model: manifest.model, type: manifest.type, rows: manifest.rows, chunks: manifest.chunks, links: links(manifest.id) },
    };
  } catch (err) {
    return answerError(err, request, context);
  }
}

async function loadBatch(id: string | undefined): Promise<{ manifest: BatchManifest; status: BatchStatus }> {
  if (!id || !ID.test(id)) throw new AppError('batch_not_found', `There is no batch "${id}".`);
  const store = batches();
  const manifest = await store.readManifest(id);
  if (!manifest) throw new AppError('batch_not_found', `There is no batch "${id}".`);
  const state = await store.readState(id);
  return { manifest, status: deriveStatus(manifest, state.results, state.failures, state.cancelledAt) };
}

/**
 * GET /api/batches/{id}: the batch's state, chunks and rows done, timings and errors.
 * Once it succeeded: 303 See Other to its results (200 with the link given ?redirect=false).
 */
export async function getBatch(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { status } = await loadBatch(request.params.id);
    const body = { ...status, links: links(status.id) };
    if (status.state === 'succeeded' && request.query.get('redirect') !== 'false') {
      return { status: 303, headers: { location: links(status.id).results }, jsonBody: body };
    }
    return { status: 200, headers: isFinished(status.state) ? {} : { 'retry-after': '1' }, jsonBody: body };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** DELETE /api/batches/{id}: cancels the batch; chunks not started are skipped. */
export async function cancelBatch(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { manifest, status } = await loadBatch(request.params.id);
    if (status.state === 'succeeded' || status.state === 'failed') {
      throw new AppError('batch_finished', `Batch ${manifest.id} already ${status.state}; there is nothing to cancel.`);
    }
    await batches().cancel(manifest.id);
    telemetry().event('Batch cancelled', { batch: manifest.id, chunksDone: String(status.chunks.done) }, manifest.traceParent);
    const after = await loadBatch(manifest.id);
    return { status: 202, jsonBody: { ...after.status, links: links(manifest.id) } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

function outputFormat(request: HttpRequest, manifest: BatchManifest): OutputFormat {
  const accept = request.headers.get('accept') ?? '';
  if (/text\/csv/i.test(accept)) return 'csv';
  if (/application\/json/i.test(accept)) return 'json';
  return manifest.output;
}

/**
 * GET /api/batches/{id}/results: one entry per input row, in input order, with the row's
 * index (and its name, when the input named rows); CSV or JSON by Accept. Streamed chunk
 * by chunk; while the batch runs, the chunks done so far.
 */
export async function getBatchResults(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { manifest, status } = await loadBatch(request.params.id);
    const format = outputFormat(request, manifest);
    const store = batches();
    const done = (await store.readState(manifest.id)).results.map((r) => r.chunk);
    const output = (await models().schemaOfVersion(manifest.model.name, manifest.model.version).catch(() => undefined))?.output.types[manifest.type];
    const columns = output?.classes ?? output?.columns;
    const named = manifest.rowNames === true;
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield stringify([['row', ...(named ? ['rowName'] : []), ...(columns ?? ['prediction'])]]);
      else yield `{"id":${JSON.stringify(manifest.id)},"state":${JSON.stringify(status.state)},"complete":${status.state === 'succeeded'},"type":${JSON.stringify(manifest.type)},"results":[`;
      let first = true;
      for (const chunk of done) {
        const { predictions, rowNames } = JSON.parse(await store.readResult(manifest.id, chunk)) as { predictions: unknown[]; rowNames?: (string | null)[] };
        const offset = chunk * manifest.chunkRows;
        const nameOf = (i: number) => rowNames?.[i] ?? null;
        if (format === 'csv') {
          yield stringify(
            predictions.map((p, i) => [
              offset + i,
              ...(named ? [nameOf(i) ?? ''] : []),
              ...(columns && p && typeof p === 'object' ? columns.map((c) => (p as Record<string, unknown>)[c] ?? '') : [p ?? '']),
            ]),
          );
        } else {
          const parts = predictions.map((p, i) => `{"row":${offset + i},${named ? `"rowName":${JSON.stringify(nameOf(i))},` : ''}"prediction":${JSON.stringify(p)}}`);
          yield (first ? '' : ',') + parts.join(',');
          first = false;
        }
      }
      if (format === 'json') yield ']}';
    }
    return {
      status: 200,
      headers: { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json' },
      body: byteStream(lines()),
    };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('submitBatch', { route: 'batches', methods: ['POST'], authLevel: 'function', handler: submitBatchHttp });
app.http('submitModelBatch', { route: 'models/{name}/batches', methods: ['POST'], authLevel: 'function', handler: submitBatchHttp });
app.http('submitModelVersionBatch', { route: 'models/{name}/versions/{version}/batches', methods: ['POST'], authLevel: 'function', handler: submitBatchHttp });
app.http('getBatch', { route: 'batches/{id}', methods: ['GET'], authLevel: 'function', handler: getBatch });
app.http('cancelBatch', { route: 'batches/{id}', methods: ['DELETE'], authLevel: 'function', handler: cancelBatch });
app.http('getBatchResults', { route: 'batches/{id}/results', methods: ['GET'], authLevel: 'function', handler: getBatchResults });
