import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { appRoot } from '../../functions/paths.js';
import { ModelStore } from '../../functions/storage/modelStore.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';
import { publishModel } from '../../scripts/publish.js';
import { publishSamples, sampleModelsDir } from '../../scripts/samples.js';
import { until } from '../helpers/traffic.js';
import { waitFor } from '../helpers/waitFor.js';

interface Envelope {
  name: string;
  tags?: Record<string, string>;
  data?: {
    baseType?: string;
    baseData?: { name?: string; target?: string; type?: string; success?: boolean; resultCode?: string; properties?: Record<string, string>; metrics?: { name: string; value: number }[] };
  };
}

/**
 * A stand-in for the Application Insights ingestion endpoint that keeps every envelope.
 * The exporter always speaks HTTPS, so it serves a throwaway self-signed certificate, which
 * this test process alone is told to accept.
 */
async function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), 'ingestion-'));
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
  return { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) };
}

let ingestion: Server;
let identityEndpoint: HttpServer;
const tokenRequests: URL[] = [];
const authorizations: (string | undefined)[] = [];
const envelopes: Envelope[] = [];
const raw: string[] = [];
let azurite: Azurite;
let host: ResultPromise;
let base = '';
let key = '';

const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
const scoreTrace = '0af7651916cd43dd8448eb211c80319c';
const batchTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
const failTrace = '5cf92f3577b34da6a3ce929d0e0e4737';

beforeAll(async () => {
  // The managed identity endpoint Container Apps and App Service give an app
  // (IDENTITY_ENDPOINT with IDENTITY_HEADER): it hands out a token for the identity asked for.
  identityEndpoint = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.headers['x-identity-header'] !== 'identity-secret') return void res.writeHead(401).end();
    tokenRequests.push(url);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ access_token: 'token-for-telemetry', expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: url.searchParams.get('resource'), token_type: 'Bearer' }));
  });
  await new Promise<void>((r) => identityEndpoint.listen(0, '127.0.0.1', r));
  ingestion = createServer(await selfSignedCertificate(), (req, res) => {
    authorizations.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8');
      raw.push(text);
      const parsed = text.trim().startsWith('[') ? (JSON.parse(text) as Envelope[]) : text.trim().split('\n').map((l) => JSON.parse(l) as Envelope);
      envelopes.push(...parsed);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: parsed.length, itemsAccepted: parsed.length, errors: [] }));
    });
  });
  await new Promise<void>((r) => ingestion.listen(0, '127.0.0.1', r));
  const ingestionPort = (ingestion.address() as AddressInfo).port;
  azurite = await startAzurite();
  const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures/fragile-score.R'), name: 'fragile', version: '1' });
  // The app runs in its own process, as under the Functions host, so that it starts and
  // stops its telemetry exactly as it does there.
  const port = await getPort({ host: '127.0.0.1' });
  host = execa('node', [join(appRoot, 'dist/test/host/cli.js'), '--port', String(port), '--use-storage', azurite.connectionString, '--function-key', 'telemetry-test-key'], {
    reject: false,
    env: {
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${ingestionPort}/`,
      // As deployed (infra/main.bicep): Application Insights takes Entra-authenticated telemetry only.
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=telemetry-identity',
      IDENTITY_ENDPOINT: `http://127.0.0.1:${(identityEndpoint.address() as AddressInfo).port}/msi/token`,
      IDENTITY_HEADER: 'identity-secret',
      // The throwaway ingestion endpoint's certificate is self-signed: trusted by that process alone.
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
      // Record every trace: by default the exporter keeps 5 traces a second.
      OTEL_TRACES_SAMPLER: 'always_on',
      R_WORKERS: '1',
    },
  });
  base = `http://127.0.0.1:${port}`;
  key = 'telemetry-test-key';
  await until(async () => (await fetch(`${base}/api/health/ready`).catch(() => undefined))?.status === 200, 90_000, 'the app');
});

afterAll(async () => {
  host?.kill('SIGKILL');
  await azurite?.stop();
  ingestion?.close();
  identityEndpoint?.close();
});

const dependencies = () => envelopes.filter((e) => e.data?.baseType === 'RemoteDependencyData');
const post = (path: string, body: unknown, traceparent: string) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': key, traceparent }, body: JSON.stringify(body) });

describe('Application Insights telemetry', () => {
  it('reports each R call as a dependency of the request it served, with metrics and batch events, and no data', async () => {
    const res = await post('/api/score', { data: [row] }, `00-${scoreTrace}-00f067aa0ba902b7-01`);
    expect(res.status).toBe(200);
    const prediction = ((await res.json()) as { predictions: number[] }).predictions[0];
    const failed = await post('/api/models/fragile/score', { data: [{ wt: -1, hp: 110, cyl: 6 }] }, `00-${failTrace}-00f067aa0ba902b9-01`);
    expect(failed.status).toBe(500);
    const batch = await post('/api/models/boston-rf/batches', { data: [row, row] }, `00-${batchTrace}-00f067aa0ba902b8-01`);
    const id = ((await batch.json()) as { id: string }).id;
    await until(async () => ((await (await fetch(`${base}/api/batches/${id}?redirect=false`, { headers: { 'x-functions-key': key } })).json()) as { state: string }).state === 'succeeded', 60_000, 'the batch');

    // Stopping the app flushes what it has not sent yet (metrics are sent once a minute otherwise).
    host.kill('SIGTERM');
    await host;
    // Everything this test looks for, in whatever order and however many posts it came in.
    const rScore = (trace: string) => dependencies().some((d) => d.data?.baseData?.name === 'R score' && d.tags?.['ai.operation.id'] === trace);
    const metricNames = () => new Set(envelopes.filter((e) => e.data?.baseType === 'MetricData').flatMap((e) => e.data?.baseData?.metrics?.map((m) => m.name) ?? []));
    const expectedMetrics = ['Rows scored', 'Micro-batch size', 'R latency (ms)', 'Wait before dispatch (ms)', 'Batch chunk duration (ms)'];
    const eventNamed = (name: string) => envelopes.some((e) => e.data?.baseType === 'EventData' && e.data?.baseData?.name === name && e.tags?.['ai.operation.id'] === batchTrace);
    const missing = () => [
      ...[scoreTrace, failTrace, batchTrace].filter((t) => !rScore(t)).map((t) => `the R score dependency of ${t}`),
      ...expectedMetrics.filter((m) => !metricNames().has(m)).map((m) => `metric ${m}`),
      ...['Batch submitted', 'Batch chunk scored'].filter((n) => !eventNamed(n)).map((n) => `event ${n}`),
    ];
    await waitFor(() => missing().length === 0, { what: 'the telemetry the app sent on stopping', last: () => `missing: ${missing().join(', ')}` });

    const rCall = dependencies().find((d) => d.data?.baseData?.name === 'R score' && d.tags?.['ai.operation.id'] === scoreTrace);
    expect(rCall?.data?.baseData?.properties).toMatchObject({ model: 'boston-rf', version: '1', rows: '1', outcome: 'ok' });

    // R's failure is the failed dependency's reason, under the request's operation.
    const failedCall = dependencies().find((d) => d.data?.baseData?.name === 'R score' && d.tags?.['ai.operation.id'] === failTrace);
    expect(failedCall?.data?.baseData?.success).toBe(false);
    expect(failedCall?.data?.baseData?.properties).toMatchObject({ model: 'fragile', outcome: 'error', error: 'cannot score a car of negative weight' });

    const events = envelopes.filter((e) => e.data?.baseType === 'EventData');
    expect(events.find((e) => e.data?.baseData?.name === 'Batch submitted')?.tags?.['ai.operation.id']).toBe(batchTrace);
    expect(events.some((e) => e.data?.baseData?.name === 'Batch chunk scored' && e.tags?.['ai.operation.id'] === batchTrace)).toBe(true);

    const metrics = envelopes.filter((e) => e.data?.baseType === 'MetricData').flatMap((e) => e.data?.baseData?.metrics?.map((m) => m.name) ?? []);
    expect(metrics).toEqual(expect.arrayContaining(['Rows scored', 'Micro-batch size', 'R latency (ms)', 'Wait before dispatch (ms)', 'Batch chunk duration (ms)']));

    // Blob and queue calls are tracked as dependencies too (the Azure SDK's own spans).
    expect(dependencies().some((d) => String(d.data?.baseData?.type).includes('Microsoft.Storage'))).toBe(true);

    // Sent with the managed identity's token, as Application Insights with local auth off requires.
    expect(tokenRequests.length).toBeGreaterThan(0);
    expect(tokenRequests[0]?.searchParams.get('client_id')).toBe('telemetry-identity');
    expect(tokenRequests[0]?.searchParams.get('resource')).toMatch(/monitor\.azure\.com/);
    expect(authorizations.length).toBeGreaterThan(0);
    expect(authorizations.every((a) => a === 'Bearer token-for-telemetry')).toBe(true);

    // Never a payload: neither the row's values nor the prediction appear anywhere.
    const all = raw.join('\n');
    expect(all).not.toContain('396.9');
    expect(all).not.toContain(String(prediction));
  }, 150_000);
});
