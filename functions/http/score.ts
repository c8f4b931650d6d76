import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { config } from '../config.js';
import { models } from '../runtime.js';
import { parseJson, readRows } from '../scoring/requestBody.js';
import { readJsonText } from './readBody.js';
import { answerError } from './respond.js';

/**
 * POST /api/score, /api/models/{name}/score, /api/models/{name}/versions/{version}/score:
 * validates the rows against the model's schema, then scores them on its R workers.
 */
export async function score(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const c = config();
    const text = await readJsonText(request, c.maxBodyBytes);
    const model = await models().resolve(request.params.name, request.params.version);
    const rows = readRows(parseJson(text), c.maxRows);
    const batch = model.validator.validate(rows);
    const result = await model.pool.score({ ...batch, traceParent: context.traceContext?.traceParent ?? undefined });
    return {
      status: 200,
      jsonBody: { model: { name: model.name, version: model.version }, type: result.type, predictions: result.predictions, requestId: context.invocationId },
    };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('score', { route: 'score', methods: ['POST'], authLevel: 'function', handler: score });
app.http('scoreModel', { route: 'models/{name}/score', methods: ['POST'], authLevel: 'function', handler: score });
app.http('scoreModelVersion', { route: 'models/{name}/versions/{version}/score', methods: ['POST'], authLevel: 'function', handler: score });
