import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { config } from '../config.js';
import { models } from '../runtime.js';
import { parseJson, readRows } from '../scoring/requestBody.js';
import { readJsonText } from './readBody.js';
import { answerError } from './respond.js';

/**
 * POST /api/score, /api/models/{name}/score, /api/models/{name}/versions/{version}/score:
 * validates the rows against the model's schema, then scores them on its R workers. Rows
 * named in "_row" (jsonlite's row names) get their names back in "rowNames". Every error
 * names the model version the rows were checked against (for /api/score, the default
 * model, even when the body was refused before it was read).
 */
export async function score(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let model: { name: string; version: string } | undefined;
  try {
    const c = config();
    const text = await readJsonText(request, c.maxBodyBytes);
    const loaded = await models().resolve(request.params.name, request.params.version);
    model = { name: loaded.name, version: loaded.version };
    const rows = readRows(parseJson(text), c.maxRows);
    const batch = loaded.validator.validate(rows);
    const result = await loaded.pool.score({ ...batch, traceParent: context.traceContext?.traceParent ?? undefined });
    return {
      status: 200,
      jsonBody: {
        model,
        type: result.type,
        predictions: result.predictions,
        ...(batch.rowNames ? { rowNames: batch.rowNames } : {}),
        requestId: context.invocationId,
      },
    };
  } catch (err) {
    model ??= request.params.name === undefined ? await models().defaultVersion().catch(() => undefined) : undefined;
    return answerError(err, request, context, model);
  }
}

app.http('score', { route: 'score', methods: ['POST'], authLevel: 'function', handler: score });
app.http('scoreModel', { route: 'models/{name}/score', methods: ['POST'], authLevel: 'function', handler: score });
app.http('scoreModelVersion', { route: 'models/{name}/versions/{version}/score', methods: ['POST'], authLevel: 'function', handler: score });
