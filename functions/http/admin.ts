import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { checkNames, existingModel, pointAlias, removeAlias, removeVersion } from '../models/lifecycle.js';
import { readRouteBody } from '../models/traffic.js';
import { models, modelStore } from '../runtime.js';
import { actor } from './actor.js';
import { readJsonText } from './readBody.js';
import { answerError } from './respond.js';
import { parseJson } from '../scoring/requestBody.js';

/**
 * Model lifecycle routes. Changing what a model name serves (and, with publishing, which R
 * code runs on every instance) is an admin act: these routes are `authLevel: 'admin'`, which
 * only the master key opens; function keys get 401.
 */

/**
 * PUT /api/models/{name}/aliases/{alias}: points the alias at a version (`{"version": "3"}`:
 * promote, roll back) or splits it by weight (`{"versions": {"3": 90, "4": 10}}`), either
 * with an optional shadow (`"shadow": {"version": "5", "percent": 20}`).
 */
export async function putAlias(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [name, alias] = checkNames(request.params.name, request.params.alias) as [string, string];
    const body = parseJson(await readJsonText(request, 16 * 1024));
    const route = readRouteBody(body);
    const move = await pointAlias(modelStore(), name, alias, route, actor(request), (body as { versions?: unknown }).versions === undefined ? 'version' : 'versions');
    await models().changed(name);
    context.log(`alias ${name}/${alias} moved from ${move.from} to ${move.to}${move.traffic ? ` (${JSON.stringify(move.traffic)})` : ''} by ${move.by}`);
    return { status: 200, jsonBody: { name, ...move } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** DELETE /api/models/{name}/aliases/{alias}: removes the alias (`latest` stays: it always names the newest version). */
export async function deleteAlias(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { name, alias } = request.params as { name: string; alias: string };
    const move = await removeAlias(modelStore(), name, alias, actor(request));
    await models().changed(name);
    context.log(`alias ${name}/${alias} removed (was ${move.from}) by ${move.by}`);
    return { status: 204 };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** DELETE /api/models/{name}/versions/{version}: removes a version no alias points at; its R workers stop. */
export async function deleteVersion(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { name, version } = request.params as { name: string; version: string };
    await removeVersion(modelStore(), name, version);
    await models().changed(name);
    context.log(`version ${name}/${version} deleted by ${actor(request)}`);
    return { status: 204 };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** GET /api/models/{name}/history: every alias move, oldest first (who, when, from, to). */
export async function getHistory(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { name } = request.params as { name: string };
    await existingModel(modelStore(), name);
    return { status: 200, jsonBody: { name, history: await modelStore().readHistory(name) } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('putAlias', { route: 'models/{name}/aliases/{alias}', methods: ['PUT'], authLevel: 'admin', handler: putAlias });
app.http('deleteAlias', { route: 'models/{name}/aliases/{alias}', methods: ['DELETE'], authLevel: 'admin', handler: deleteAlias });
app.http('deleteVersion', { route: 'models/{name}/versions/{version}', methods: ['DELETE'], authLevel: 'admin', handler: deleteVersion });
app.http('getHistory', { route: 'models/{name}/history', methods: ['GET'], authLevel: 'function', handler: getHistory });
