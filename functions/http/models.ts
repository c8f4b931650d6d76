import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { isValidName } from '../models/names.js';
import { defaultVersion } from '../models/registry.js';
import { models } from '../runtime.js';
import { rowJsonSchema } from '../scoring/inputValidator.js';
import type { ModelIndex } from '../storage/modelStore.js';
import { answerError } from './respond.js';

function summary(index: ModelIndex) {
  return {
    name: index.name,
    versions: index.versions,
    aliases: index.aliases,
    // Aliases that split traffic or shadow a version, in full (aliases names their heaviest version).
    traffic: Object.fromEntries(Object.entries(index.routes).filter(([, r]) => Object.keys(r.versions).length > 1 || r.shadow)),
    defaultVersion: defaultVersion(index) ?? null,
    links: { self: `/api/models/${index.name}`, score: `/api/models/${index.name}/score` },
  };
}

/** GET /api/models: every model with its versions and aliases. */
export async function listModels(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: { models: (await models().listModels()).map(summary) } };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** GET /api/models/{name}: one model's versions and aliases. */
export async function getModel(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const name = request.params.name as string;
    const index = isValidName(name) ? await models().listedIndex(name) : undefined;
    if (!index) throw await models().modelNotFound(name);
    return { status: 200, jsonBody: summary(index) };
  } catch (err) {
    return answerError(err, request, context);
  }
}

/** A version's description: its features, prediction types, input schema and an example request. */
export async function describeVersion(name: string, ref: string): Promise<Record<string, unknown>> {
  const registry = models();
  const stored = await registry.findVersion(name, ref);
  const schema = await registry.schemaOf(stored);
  const index = await registry.listedIndex(stored.name);
  const example = schema.example ?? {};
  return {
    name: stored.name,
    version: stored.version,
    // Aliases serving this version (all or a share of their requests).
    aliases: Object.entries(index?.routes ?? {}).filter(([, r]) => Object.hasOwn(r.versions, stored.version)).map(([a]) => a),
    publishedAt: stored.publishedAt ?? null,
    customScore: stored.files.includes('score.R'),
    features: schema.features,
    predictionTypes: schema.output.types,
    defaultType: schema.output.defaultType,
    packages: schema.packages ?? [],
    inputSchema: rowJsonSchema(schema),
    exampleRequest: { data: [example] },
    links: { score: `/api/models/${stored.name}/versions/${stored.version}/score` },
  };
}

/** GET /api/models/{name}/versions/{version}: the input schema and an example request. */
export async function getModelVersion(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    return { status: 200, jsonBody: await describeVersion(request.params.name as string, request.params.version as string) };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('listModels', { route: 'models', methods: ['GET'], authLevel: 'function', handler: listModels });
app.http('getModel', { route: 'models/{name}', methods: ['GET'], authLevel: 'function', handler: getModel });
app.http('getModelVersion', { route: 'models/{name}/versions/{version}', methods: ['GET'], authLevel: 'function', handler: getModelVersion });
