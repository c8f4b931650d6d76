import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '../config.js';
import { AppError } from '../errors.js';
import { isValidName } from '../models/names.js';
import { PublishError, publishModel } from '../models/publish.js';
import { models, modelStore } from '../runtime.js';
import { actor } from './actor.js';
import { describeVersion } from './models.js';
import { publishPartsProblem } from './publishParts.js';
import { answerError } from './respond.js';

/** Per file, within the request's own limit (PUBLISH_MAX_BYTES) that bounds model.rds: a prototype is a sample of the training data, score.R a script. */
const PROTOTYPE_MAX_BYTES = 32 * 1024 * 1024;
const SCORE_MAX_BYTES = 1024 * 1024;

/** The body as a stream that errors with 413 once it passes `limit` bytes. */
function capped(body: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  let size = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > limit) controller.error(new AppError('payload_too_large', `A publish request may be at most ${limit} bytes (PUBLISH_MAX_BYTES).`));
        else controller.enqueue(chunk);
      },
    }),
  );
}

const fileOf = (form: FormData, field: string): File | undefined => {
  const part = form.get(field);
  return part instanceof File ? part : undefined;
};
const textOf = (form: FormData, field: string): string | undefined => {
  const part = form.get(field);
  return typeof part === 'string' && part.trim() ? part.trim() : undefined;
};
const list = (value: string | undefined) => value?.split(',').map((s) => s.trim()).filter(Boolean);

/** The prediction log fields of a publish form, each bad one named. */
function logOptions(form: FormData): { logSample?: number; logBatches?: boolean; sensitive?: string[] } {
  const sample = textOf(form, 'logSample');
  const batches = textOf(form, 'logBatches');
  const options: { logSample?: number; logBatches?: boolean; sensitive?: string[] } = {};
  if (sample !== undefined) {
    options.logSample = Number(sample);
    if (sample.trim() === '' || !(options.logSample >= 0 && options.logSample <= 1)) {
      throw new AppError('invalid_request', 'logSample must be a share from 0 to 1.', { errors: [{ field: 'logSample', message: 'must be a number from 0 to 1', pointer: '/logSample' }] });
    }
  }
  if (batches !== undefined) options.logBatches = batches === 'true';
  const sensitive = list(textOf(form, 'sensitive'));
  if (sensitive) options.sensitive = sensitive;
  return options;
}

/**
 * PUT /api/models/{name}/versions/{version} (admin: the master key): publishes a version
 * from a multipart/form-data body with files `model` (model.rds), `prototype` (.csv or
 * .rds: the training data or a sample) and optionally `score` (score.R), and fields
 * `response`, `types` and `aliases` (comma-separated), and for the prediction log `logSample`
 * (a share), `logBatches` (true) and `sensitive` (inputs never logged). The app runs the describe step in R,
 * as the CLI does, with the same refusals; 201 with the version's description. An existing
 * version is a 409 unless `?force=true`.
 */
export async function putVersion(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const dir = await mkdtemp(join(tmpdir(), 'publish-'));
  try {
    const c = config();
    const { name, version } = request.params as { name: string; version: string };
    for (const v of [name, version]) if (!isValidName(v)) throw new AppError('invalid_request', `"${v}" is not a valid model or version name.`);
    const type = request.headers.get('content-type') ?? '';
    if (!/^multipart\/form-data/i.test(type)) throw new AppError('unsupported_media_type', 'Send the files as multipart/form-data: model (model.rds), prototype (.csv or .rds), optionally score (score.R).');
    if (Number(request.headers.get('content-length') ?? 0) > c.publishMaxBytes) throw new AppError('payload_too_large', `A publish request may be at most ${c.publishMaxBytes} bytes (PUBLISH_MAX_BYTES).`);
    if (!request.body) throw new AppError('invalid_request', 'The request body is empty.');
    const form = await new Response(capped(request.body as ReadableStream<Uint8Array>, c.publishMaxBytes), { headers: { 'content-type': type } })
      .formData()
      .catch((err: unknown) => Promise.reject(err instanceof AppError ? err : new AppError('invalid_request', 'The body is not valid multipart/form-data.')));
    const problem = publishPartsProblem(form);
    if (problem) throw problem;
    const model = fileOf(form, 'model');
    const prototype = fileOf(form, 'prototype');
    const score = fileOf(form, 'score');
    for (const [field, file, limit] of [['prototype', prototype, PROTOTYPE_MAX_BYTES], ['score', score, SCORE_MAX_BYTES]] as const) {
      if (file && file.size > limit) throw new AppError('payload_too_large', `The ${field} file may be at most ${limit} bytes.`, { errors: [{ field, message: `is larger than ${limit} bytes`, pointer: `/${field}` }] });
    }
    const prototypeExt = /\.rds$/i.test(prototype?.name ?? '') ? 'rds' : 'csv';
    const paths = { model: join(dir, 'model.rds'), prototype: join(dir, `prototype.${prototypeExt}`), score: join(dir, 'score.R') };
    await writeFile(paths.model, Buffer.from(await (model as File).arrayBuffer()));
    await writeFile(paths.prototype, Buffer.from(await (prototype as File).arrayBuffer()));
    if (score) await writeFile(paths.score, Buffer.from(await score.arrayBuffer()));
    await publishModel(modelStore(), {
      model: paths.model,
      prototype: paths.prototype,
      ...(score ? { score: paths.score } : {}),
      name,
      version,
      response: textOf(form, 'response'),
      types: list(textOf(form, 'types')),
      aliases: list(textOf(form, 'aliases')),
      ...logOptions(form),
      force: request.query.get('force') === 'true',
      rscript: c.rscript,
      by: actor(request),
    }).catch((err: unknown) => {
      if (!(err instanceof PublishError)) throw err;
      if (err.code === 'version_exists') throw new AppError('version_exists', `${name} version ${version} is already published; add ?force=true to replace it.`);
      if (err.code === 'invalid_name' || err.code === 'invalid_option') throw new AppError('invalid_request', err.message);
      throw new AppError('describe_failed', err.message);
    });
    models().stale(name);
    context.log(`published ${name} ${version}`);
    return { status: 201, headers: { location: `/api/models/${name}/versions/${version}` }, jsonBody: await describeVersion(name, version) };
  } catch (err) {
    return answerError(err, request, context);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

app.http('putVersion', { route: 'models/{name}/versions/{version}', methods: ['PUT'], authLevel: 'admin', handler: putVersion });
