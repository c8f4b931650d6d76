import { rowJsonSchema } from '../scoring/inputValidator.js';
import type { ModelSchema } from '../scoring/modelSchema.js';

export interface PublishedModel {
  name: string;
  version: string;
  schema: ModelSchema;
}

const problem = { $ref: '#/components/schemas/Problem' };
const problemContent = { 'application/problem+json': { schema: problem } };

function errorResponses(...codes: number[]): Record<string, unknown> {
  const text: Record<number, string> = {
    400: 'Malformed JSON or a body of the wrong shape',
    401: 'Missing or wrong function key',
    404: 'Unknown model or version',
    413: 'Body or row count over the limit',
    409: 'The batch already finished',
    415: 'Not application/json',
    422: 'Values that do not match the model\'s input schema',
    500: 'R failed to score valid rows (R\'s message is logged under the requestId)',
    503: 'Overloaded or the model is unavailable (see Retry-After)',
    504: 'Scoring took longer than the timeout',
  };
  return Object.fromEntries(codes.map((c) => [String(c), { description: text[c], content: problemContent }]));
}

/** A scoring request body for rows of the given JSON Schema, in every accepted form, with the model's example row. */
function requestBody(row: unknown, types: string[], example?: Record<string, unknown>): unknown {
  const type = { type: 'string', ...(types.length ? { enum: types } : {}), description: 'Prediction type; the model\'s default when absent.' };
  return {
    required: true,
    content: {
      'application/json': {
        schema: {
          oneOf: [
            { type: 'object', required: ['data'], properties: { data: { type: 'array', items: row }, type }, additionalProperties: false },
            { type: 'object', required: ['data'], properties: { data: row, type }, additionalProperties: false },
            {
              type: 'object',
              required: ['columns', 'data'],
              properties: { columns: { type: 'array', items: { type: 'string' } }, data: { type: 'array', items: { type: 'array' } }, type },
              additionalProperties: false,
            },
            { type: 'object', required: ['df'], properties: { df: { type: 'array', items: row }, type }, additionalProperties: false },
          ],
        },
        ...(example ? { example: { data: [example] } } : {}),
      },
    },
  };
}

const versionHeader = { 'x-model-version': { description: 'The model version that served the request (of an alias split by weight, the one picked)', schema: { type: 'string' } } };
const scoreResponses = (codes: number[]) => ({
  '200': { description: 'Predictions, one per row, in order', headers: versionHeader, content: { 'application/json': { schema: { $ref: '#/components/schemas/ScoreResponse' } } } },
  ...errorResponses(...codes),
});
/** Sent by a client to stay on one version while an alias is split (a customer or session id). */
const subjectParam = { name: 'x-scoring-subject', in: 'header', required: false, schema: { type: 'string' }, description: 'Requests with the same subject are served by the same version of a split alias' };

const anyRow = { type: 'object', additionalProperties: true };
const schemaName = (name: string) => `Row_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

/** The OpenAPI 3 document of the API, with each published model's rows as a typed body. */
export function openApiDocument(published: PublishedModel[], defaultModel: string | undefined): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    Problem: {
      type: 'object',
      required: ['type', 'title', 'status', 'code', 'detail'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        code: { type: 'string' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        requestId: { type: 'string', description: 'The id the request is logged under.' },
        model: { type: 'object', description: 'The model version the rows were checked against.', properties: { name: { type: 'string' }, version: { type: 'string' } } },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            properties: { field: { type: 'string' }, row: { type: 'integer' }, pointer: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
    ScoreResponse: {
      type: 'object',
      required: ['model', 'type', 'predictions', 'requestId'],
      properties: {
        model: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' } } },
        type: { type: 'string' },
        predictions: { type: 'array', items: {} },
        rowNames: { type: 'array', items: { type: ['string', 'null'] }, description: 'Each row\'s "_row", when the request named rows.' },
        requestId: { type: 'string' },
      },
    },
  };
  const paths: Record<string, unknown> = {};
  const security = [{ functionKey: [] }, { functionCode: [] }];
  const errorCodes = [400, 401, 404, 413, 415, 422, 500, 503, 504];
  for (const m of published) {
    schemas[schemaName(m.name)] = rowJsonSchema(m.schema);
    const row = { $ref: `#/components/schemas/${schemaName(m.name)}` };
    paths[`/models/${m.name}/score`] = {
      post: {
        operationId: `score_${m.name.replace(/[^A-Za-z0-9_]/g, '_')}`,
        summary: `Score rows with ${m.name} (version ${m.version} now)`,
        security,
        parameters: [subjectParam],
        requestBody: requestBody(row, Object.keys(m.schema.output.types), m.schema.example),
        responses: scoreResponses(errorCodes),
      },
    };
  }
  const defaultRow = published.find((m) => m.name === defaultModel);
  paths['/score'] = {
    post: {
      operationId: 'score',
      summary: 'Score rows with the default model',
      security,
      parameters: [subjectParam],
      requestBody: requestBody(defaultRow ? { $ref: `#/components/schemas/${schemaName(defaultRow.name)}` } : anyRow, defaultRow ? Object.keys(defaultRow.schema.output.types) : [], defaultRow?.schema.example),
      responses: scoreResponses(errorCodes),
    },
  };
  const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const versionParam = { name: 'version', in: 'path', required: true, schema: { type: 'string' }, description: 'A version or an alias' };
  paths['/models/{name}/versions/{version}/score'] = {
    post: {
      operationId: 'scoreVersion',
      summary: 'Score rows with a model version or alias',
      security,
      parameters: [nameParam, versionParam, subjectParam],
      requestBody: requestBody(anyRow, []),
      responses: scoreResponses(errorCodes),
    },
  };
  paths['/models'] = { get: { operationId: 'listModels', summary: 'Models, versions and aliases', security, responses: { '200': { description: 'Models' }, ...errorResponses(401) } } };
  paths['/models/{name}'] = { get: { operationId: 'getModel', security, parameters: [nameParam], responses: { '200': { description: 'A model' }, ...errorResponses(401, 404) } } };
  paths['/models/{name}/versions/{version}'] = {
    get: { operationId: 'getModelVersion', summary: 'Input schema and an example request', security, parameters: [nameParam, versionParam], responses: { '200': { description: 'A version' }, ...errorResponses(401, 404) } },
  };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const batchSubmit = (operationId: string, parameters: unknown[]) => ({
    post: {
      operationId,
      summary: 'Submit a batch: rows as JSON or CSV (up to BATCH_MAX_BODY_BYTES), or {"blob": name} of an uploaded file',
      security,
      parameters: [...parameters, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { type: 'object', properties: { blob: { type: 'string' }, data: {}, columns: { type: 'array', items: { type: 'string' } }, type: { type: 'string' }, chunkSize: { type: 'integer' }, output: { type: 'string', enum: ['json', 'csv'] } } } },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      responses: { '202': { description: 'Accepted: queued (rows checked), or validating (an uploaded file)', headers: { Location: { schema: { type: 'string' } } } }, ...errorResponses(400, 401, 404, 413, 415, 422, 503) },
    },
  });
  paths['/batches'] = {
    ...batchSubmit('submitBatch', []),
    get: {
      operationId: 'listBatches',
      summary: 'The most recently submitted batches, newest first, each as GET /batches/{id}?redirect=false answers it',
      security,
      parameters: [{ name: 'top', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }],
      responses: { '200': { description: '{"batches": [...]}' }, ...errorResponses(400, 401) },
    },
  };
  paths['/models/{name}/batches'] = batchSubmit('submitModelBatch', [nameParam]);
  paths['/models/{name}/versions/{version}/batches'] = batchSubmit('submitModelVersionBatch', [nameParam, versionParam]);
  paths['/batches/uploads'] = {
    post: {
      operationId: 'createBatchUpload',
      summary: 'A short-lived URL to upload one batch input file straight to Blob Storage',
      security,
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { format: { type: 'string', enum: ['csv', 'ndjson'] }, blocks: { type: 'boolean', default: false, description: 'Also allow Put Block and Put Block List (write permission); without it the URL may create the blob in one PUT and never replace it' } } } } } },
      responses: {
        '201': {
          description: 'PUT the file to url (with x-ms-blob-type: BlockBlob) before expiresAt, then submit {"blob": blob}',
          content: { 'application/json': { schema: { type: 'object', properties: { blob: { type: 'string' }, url: { type: 'string' }, blocks: { type: 'boolean' }, method: { type: 'string' }, headers: { type: 'object' }, expiresAt: { type: 'string', format: 'date-time' } } } } },
        },
        ...errorResponses(400, 401),
      },
    },
  };
  paths['/batches/{id}'] = {
    get: {
      operationId: 'getBatch',
      summary: 'State (validating, queued, running, succeeded, failed, cancelled), progress and errors; once succeeded, 303 to a short-lived link to the results',
      security,
      parameters: [idParam, { name: 'redirect', in: 'query', schema: { type: 'boolean' } }],
      responses: { '200': { description: 'The batch' }, '303': { description: 'Succeeded: the results file' }, ...errorResponses(401, 404) },
    },
    delete: { operationId: 'cancelBatch', security, parameters: [idParam], responses: { '202': { description: 'Cancelled' }, ...errorResponses(401, 404, 409) } },
  };
  paths['/batches/{id}/results'] = {
    get: {
      operationId: 'getBatchResults',
      summary: 'Results by Accept (CSV or JSON): 303 to the results file once succeeded; before that, the chunks done so far',
      security,
      parameters: [idParam],
      responses: { '200': { description: 'Partial results' }, '303': { description: 'The results file' }, ...errorResponses(401, 404) },
    },
  };
  const adminSecurity = [{ masterKey: [] }];
  const aliasParam = { name: 'alias', in: 'path', required: true, schema: { type: 'string' } };
  paths['/models/{name}/versions/{version}'] = {
    ...(paths['/models/{name}/versions/{version}'] as Record<string, unknown>),
    put: {
      operationId: 'publishVersion',
      summary: 'Publish a version (admin): model.rds, a prototype and optionally score.R; described in R by the app',
      security: adminSecurity,
      parameters: [nameParam, { ...versionParam, description: 'The new version' }, { name: 'force', in: 'query', schema: { type: 'boolean' } }],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['model', 'prototype'],
              properties: {
                model: { type: 'string', format: 'binary', description: 'model.rds' },
                prototype: { type: 'string', format: 'binary', description: 'The training data or a sample of it, .csv or .rds' },
                score: { type: 'string', format: 'binary', description: 'score.R' },
                response: { type: 'string' },
                types: { type: 'string', description: 'Comma-separated prediction types to offer' },
                aliases: { type: 'string', description: 'Comma-separated aliases to point at it' },
                logSample: { type: 'number', minimum: 0, maximum: 1, description: 'Share of requests written to the prediction log' },
                logBatches: { type: 'boolean', description: 'Log batch rows too, at the same share' },
                sensitive: { type: 'string', description: 'Comma-separated inputs never written to the prediction log' },
              },
            },
          },
        },
      },
      responses: { '201': { description: 'Published: the version\'s description' }, ...errorResponses(400, 401, 409, 413, 415, 422) },
    },
    delete: { operationId: 'deleteVersion', summary: 'Delete a version no alias points at (admin)', security: adminSecurity, parameters: [nameParam, versionParam], responses: { '204': { description: 'Deleted' }, ...errorResponses(401, 404, 409) } },
  };
  paths['/models/{name}/aliases/{alias}'] = {
    put: {
      operationId: 'moveAlias',
      summary: 'Point an alias at a version (promote, roll back) or at versions by weight, optionally with a shadow version (admin)',
      security: adminSecurity,
      parameters: [nameParam, aliasParam],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              additionalProperties: false,
              properties: {
                version: { type: 'string' },
                versions: { type: 'object', additionalProperties: { type: 'number', minimum: 0 }, description: 'Version -> relative weight, e.g. {"3": 90, "4": 10}' },
                shadow: {
                  type: 'object',
                  required: ['version'],
                  properties: { version: { type: 'string' }, percent: { type: 'number', exclusiveMinimum: 0, maximum: 100 } },
                  description: 'Also score this share of requests on this version after answering, and compare',
                },
              },
            },
            examples: { promote: { value: { version: '3' } }, rollout: { value: { versions: { '3': 90, '4': 10 } } }, shadow: { value: { version: '3', shadow: { version: '5', percent: 20 } } } },
          },
        },
      },
      responses: { '200': { description: 'The move: alias, from, to, traffic (a split or shadow), at, by' }, ...errorResponses(400, 401, 404) },
    },
    delete: { operationId: 'removeAlias', summary: 'Remove an alias; latest cannot be removed (admin)', security: adminSecurity, parameters: [nameParam, aliasParam], responses: { '204': { description: 'Removed' }, ...errorResponses(401, 404, 409) } },
  };
  paths['/models/{name}/history'] = {
    get: { operationId: 'aliasHistory', summary: 'Every alias move, oldest first', security, parameters: [nameParam], responses: { '200': { description: '{"history": [{alias, from, to, at, by}]}' }, ...errorResponses(401, 404) } },
  };
  paths['/models/{name}/monitoring'] = {
    get: {
      operationId: 'monitoring',
      summary: "Per version over a window, merged across instances: requests, errors by code, latency percentiles, each input's live distribution against its training reference with PSI and a drift flag, the shadow comparison, and the prediction log's counts",
      security,
      parameters: [
        nameParam,
        { name: 'version', in: 'query', schema: { type: 'string' }, description: 'A version, or an alias (its versions); absent: every version with traffic' },
        { name: 'window', in: 'query', schema: { type: 'string', default: '1h' }, description: 'Minutes, or 15m, 6h; at most 24h' },
      ],
      responses: { '200': { description: '{"versions": [...], "aliases", "traffic"}' }, ...errorResponses(400, 401, 404) },
    },
  };
  paths['/health/live'] = { get: { operationId: 'live', security: [], responses: { '200': { description: 'The app answers' } } } };
  paths['/health/ready'] = { get: { operationId: 'ready', security: [], responses: { '200': { description: 'The instance takes requests: {"status": "ready" | "degraded" | "idle"} (idle: nothing loaded yet, R starts on the first request)' }, '503': { description: 'Not yet: {"status": "starting" | "unavailable"} (a preloaded model starting; loaded versions with no R worker ready)' } } } };
  paths['/health/models'] = {
    get: { operationId: 'healthModels', summary: 'The loaded versions and their R workers', security, responses: { '200': { description: '{"status", "models": [{name, version, state, workers, readyWorkers, queued, restarts}]}: the versions whose workers run' }, ...errorResponses(401) } },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'R scoring service', version: '1.0.0', description: 'Score R models over HTTPS. Errors are RFC 9457 problem details.' },
    servers: [{ url: '/api' }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key' },
        functionCode: { type: 'apiKey', in: 'query', name: 'code' },
        masterKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'The master key (admin routes)' },
      },
    },
  };
}
