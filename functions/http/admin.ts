import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AppError } from '../errors.js';
import { isValidName } from '../models/names.js';
import { models, modelStore } from '../runtime.js';
import { readJsonText } from './readBody.js';
import { answerError } from './respond.js';
import { parseJson } from '../scoring/requestBody.js';

/**
 * Model lifecycle routes. Changing what a model name serves (and, with publishing, which R
 * code runs on every instance) is an admin act: these routes are `authLevel: 'admin'`, which
 * only the master key opens; function keys get 401.
 */

/** Who moved an alias, as far as the request says: an authenticated principal's name, else the master key. */
function actor(request: HttpRequest): string {
  return request.headers.get('x-ms-client-principal-name') ?? 'master key';
}

function checkNames(...values: (string | undefined)[]): string[] {
  for (const v of values) if (!v || !isValidName(v)) throw new AppError('invalid_request', `"${v}" is not a valid model, version or alias name.`);
  return values as string[];
}

async function existingModel(name: string) {
  const index = await modelStore().getIndex(name);
  if (!index) throw new AppError('model_not_found', `There is no model named "${name}".`);
  return index;
}

/** PUT /api/models/{name}/aliases/{alias} {"version": "3"}: points the alias at that version (promote, roll back). */
export async function putAlias(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [name, alias] = checkNames(request.params.name, request.params.alias);
    const body = parseJson(await readJsonText(request, 4096)) as { version?: unknown } | null;
    const version = body && typeof body === 'object' ? body.version : undefined;
    if (typeof version !== 'string' || !isValidName(version)) {
      throw new AppError('invalid_request', 'The body must be {"version": "<an existing version>"}.', { errors: [{ field: 'version', message: 'must name a version', pointer: '/version' }] });
    }
    const index = await existingModel(name as string);
    if (!index.versions.includes(version)) throw new AppError('version_not_found', `Model "${name}" has no version "${version}".`);
    const move = await modelStore().moveAlias(name as string, alias as string, version, actor(request));
    models().stale(name as string);
    context.log(`alias ${name}/${alias} moved from ${move.from} to ${move.to} by ${move.by}`);
    return { status: 200, jsonBody: { name, ...move } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** DELETE /api/models/{name}/aliases/{alias}: removes the alias (`latest` stays: it always names the newest version). */
export async function deleteAlias(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [name, alias] = checkNames(request.params.name, request.params.alias);
    if (alias === 'latest') throw new AppError('alias_protected', 'The alias "latest" cannot be removed: it names the newest version.');
    const index = await existingModel(name as string);
    if (!Object.hasOwn(index.aliases, alias as string)) throw new AppError('alias_not_found', `Model "${name}" has no alias "${alias}".`);
    const move = await modelStore().moveAlias(name as string, alias as string, null, actor(request));
    models().stale(name as string);
    context.log(`alias ${name}/${alias} removed (was ${move.from}) by ${move.by}`);
    return { status: 204 };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** DELETE /api/models/{name}/versions/{version}: removes a version no alias points at; its R workers stop. */
export async function deleteVersion(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [name, version] = checkNames(request.params.name, request.params.version);
    const index = await existingModel(name as string);
    if (!index.versions.includes(version as string)) throw new AppError('version_not_found', `Model "${name}" has no version "${version}".`);
    const pointing = Object.entries(index.aliases).filter(([, v]) => v === version).map(([a]) => a);
    if (pointing.length > 0) {
      throw new AppError('version_in_use', `Version "${version}" of "${name}" is what ${pointing.map((a) => `"${a}"`).join(', ')} point${pointing.length > 1 ? '' : 's'} at: move ${pointing.length > 1 ? 'them' : 'it'} first.`);
    }
    await modelStore().deleteVersion(name as string, version as string);
    models().stale(name as string);
    context.log(`version ${name}/${version} deleted by ${actor(request)}`);
    return { status: 204 };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** GET /api/models/{name}/history: every alias move, oldest first (who, when, from, to). */
export async function getHistory(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const [name] = checkNames(request.params.name);
    await existingModel(name as string);
    return { status: 200, jsonBody: { name, history: await modelStore().readHistory(name as string) } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('putAlias', { route: 'models/{name}/aliases/{alias}', methods: ['PUT'], authLevel: 'admin', handler: putAlias });
app.http('deleteAlias', { route: 'models/{name}/aliases/{alias}', methods: ['DELETE'], authLevel: 'admin', handler: deleteAlias });
app.http('deleteVersion', { route: 'models/{name}/versions/{version}', methods: ['DELETE'], authLevel: 'admin', handler: deleteVersion });
app.http('getHistory', { route: 'models/{name}/history', methods: ['GET'], authLevel: 'function', handler: getHistory });
