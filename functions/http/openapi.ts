import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { defaultVersion } from '../models/registry.js';
import { openApiDocument, type PublishedModel } from '../openapi/document.js';
import { models } from '../runtime.js';
import { answerError } from './respond.js';

/** GET /api/openapi.json: the API, with each published model's input rows as a typed body. */
export async function openApi(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const registry = models();
    const published: PublishedModel[] = [];
    for (const index of await registry.listModels()) {
      const version = defaultVersion(index);
      if (!version) continue;
      const stored = await registry.findVersion(index.name, version);
      published.push({ name: index.name, version, schema: await registry.schemaOf(stored) });
    }
    const defaultModel = await registry.defaultModelName().catch(() => undefined);
    return { status: 200, jsonBody: openApiDocument(published, defaultModel) };
  } catch (err) {
    return answerError(err, request, context);
  }
}

app.http('openApi', { route: 'openapi.json', methods: ['GET'], authLevel: 'function', handler: openApi });
