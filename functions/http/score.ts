import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { performance } from 'node:perf_hooks';
import { config } from '../config.js';
import type { LoadedVersion } from '../models/registry.js';
import { models, monitor } from '../runtime.js';
import { parseJson, readRows } from '../scoring/requestBody.js';
import { readJsonText } from './readBody.js';
import { answerError } from './respond.js';

/** The header a client sends to stay on one version of a split alias (a customer id, a session). */
export const SUBJECT_HEADER = 'x-scoring-subject';
/** The header naming the version that served a request (also in the body). */
export const VERSION_HEADER = 'x-model-version';

/**
 * POST /api/score, /api/models/{name}/score, /api/models/{name}/versions/{version}/score:
 * validates the rows against the model's schema, then scores them on its R workers. Rows
 * named in "_row" (jsonlite's row names) get their names back in "rowNames". An alias split
 * by weight picks the version by chance, or by the x-scoring-subject header (the same
 * subject, the same version); the version that served is named in the body and in
 * x-model-version. Every error names the model version the rows were checked against (for
 * /api/score, the default model, even when the body was refused before it was read). The
 * monitor counts the answer and, after it, may log it or score it on a shadow version.
 */
export async function score(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const started = performance.now();
  let model: { name: string; version: string } | undefined;
  let loaded: LoadedVersion | undefined;
  try {
    const c = config();
    const text = await readJsonText(request, c.maxBodyBytes);
    const route = await models().route(request.params.name, request.params.version, request.headers.get(SUBJECT_HEADER) ?? undefined);
    loaded = route.served;
    model = { name: loaded.name, version: loaded.version };
    const parsed = readRows(parseJson(text), c.maxRows, loaded.validator.maxColumns);
    const batch = loaded.validator.validate(parsed);
    const result = await loaded.pool.score({ ...batch, traceParent: context.traceContext?.traceParent ?? undefined });
    monitor().scored({ loaded, parsed, batch, predictions: result.predictions, latencyMs: performance.now() - started, requestId: context.invocationId, shadow: route.shadow });
    return {
      status: 200,
      headers: { [VERSION_HEADER]: loaded.version },
      jsonBody: {
        model,
        type: result.type,
        predictions: result.predictions,
        ...(batch.rowNames ? { rowNames: batch.rowNames } : {}),
        requestId: context.invocationId,
      },
    };
  } catch (err) {
    if (loaded) monitor().failed(loaded, err, performance.now() - started);
    model ??= request.params.name === undefined ? await models().defaultVersion().catch(() => undefined) : undefined;
    const answer = answerError(err, request, context, model);
    return model ? { ...answer, headers: { ...(answer.headers as Record<string, string>), [VERSION_HEADER]: model.version } } : answer;
  }
}

app.http('score', { route: 'score', methods: ['POST'], authLevel: 'function', handler: score });
app.http('scoreModel', { route: 'models/{name}/score', methods: ['POST'], authLevel: 'function', handler: score });
app.http('scoreModelVersion', { route: 'models/{name}/versions/{version}/score', methods: ['POST'], authLevel: 'function', handler: score });
