import { BlobServiceClient } from '@azure/storage-blob';
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { rPredict } from '../helpers/r.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { until } from '../helpers/traffic.js';

/**
 * Large inputs go straight to Blob Storage through a short-lived upload URL, and finished
 * results come back through a short-lived read link: nothing large passes through the
 * function. The guide's commands are run here as written.
 */
let stack: Stack;
let dir: string;
const ROWS = 20_000;
const rows = `proto[rep(seq_len(nrow(proto)), length.out = ${ROWS}), setdiff(names(proto), "medv")]`;

beforeAll(async () => {
  // A body limit below the input's size: the input must go through an upload URL.
  stack = await startStack({ R_WORKERS: '2', BATCH_MAX_BODY_BYTES: '200000', PARTIAL_RESULTS_MAX_ROWS: '1000' });
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures/fragile-score.R'), name: 'fragile', version: '1' });
  dir = await mkdtemp(join(tmpdir(), 'uploads-'));
  await execa('Rscript', ['-e', `proto <- readRDS("${join(sampleModelsDir, 'boston-rf', 'prototype.rds')}"); write.csv(${rows}, "${join(dir, 'boston.csv')}", row.names = FALSE)`]);
  // A second input with a bad value in row 15000 (0-based 14999): "heavy" for a number.
  await execa('bash', ['-c', `awk -F, 'NR==15001{OFS=","; $2="heavy"} {print}' boston.csv > bad.csv`], { cwd: dir });
});

afterAll(async () => {
  await stack?.close();
});

/** Runs shell commands as the guide shows them, with API and KEY set as it says. */
const sh = (script: string) =>
  execa('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: { API: `${stack.host.url}/api`, KEY: stack.host.functionKey } });

// The guide's commands (docs/guide.md, "Large batches"), verbatim.
const GUIDE = {
  upload: `curl -s -X POST "$API/batches/uploads?code=$KEY" > upload.json
curl -sf -X PUT -H 'x-ms-blob-type: BlockBlob' -H 'content-type: text/csv' --data-binary @boston.csv "$(jq -r .url upload.json)"`,
  submit: `ID=$(curl -s -X POST "$API/models/boston-rf/batches?code=$KEY" -H 'content-type: application/json' -d "{\\"blob\\": \\"$(jq -r .blob upload.json)\\"}" | jq -r .id)`,
  state: `curl -s "$API/batches/$ID?redirect=false&code=$KEY" | jq -r .state`,
  download: `curl -sL "$API/batches/$ID?code=$KEY" -H 'accept: text/csv' -o results.csv`,
};

describe('upload URLs and result links', () => {
  it('runs the guide: upload through a short-lived URL, submit by name, 202 at once, then download the results', async () => {
    const guide = await readFile(join(appRoot, 'docs/guide.md'), 'utf8');
    for (const command of Object.values(GUIDE)) expect(guide).toContain(command);

    await sh(GUIDE.upload);
    const upload = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as { blob: string; url: string; expiresAt: string; method: string };
    expect(upload.blob).toMatch(/^uploads\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.csv$/);
    const url = new URL(upload.url);
    expect(url.searchParams.get('sp')).toBe('c');
    expect(Date.parse(upload.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
    const stored = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batch-inputs').getBlobClient(upload.blob);
    expect((await stored.getProperties()).contentLength).toBe((await readFile(join(dir, 'boston.csv'))).length);

    // The URL creates that one blob and nothing else: it cannot read it, nor replace it, nor write another.
    expect((await fetch(upload.url)).status).toBe(403);
    expect((await fetch(upload.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'a,b\n' })).status).toBe(403);
    const elsewhere = new URL(upload.url);
    elsewhere.pathname = elsewhere.pathname.replace(/[^/]+$/, 'other.csv');
    expect((await fetch(elsewhere, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'a,b\n' })).status).toBe(403);

    // 202 at once: the answer comes before the 20,000 rows are read, let alone scored (not a
    // time, which a busy machine stretches: the state it shows says so; the submit's own
    // answer, "validating", is checked below).
    const { stdout } = await sh(`${GUIDE.submit}; echo "$ID"; ${GUIDE.state}`);
    const [id, firstState] = stdout.trim().split('\n');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(['validating', 'queued', 'running']).toContain(firstState);

    await until(async () => (await sh(`ID=${id}; ${GUIDE.state}`)).stdout.trim() === 'succeeded', 120_000, 'the batch to succeed');
    await sh(`ID=${id}; ${GUIDE.download}`);
    const lines = (await readFile(join(dir, 'results.csv'), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('row,prediction');
    expect(lines).toHaveLength(ROWS + 1);
    const expected = await rPredict('boston-rf', rows);
    expect(Number(lines[ROWS]?.split(',')[1])).toBe(expected[ROWS - 1]);
    expect(Number(lines[1]?.split(',')[1])).toBe(expected[0]);
  }, 180_000);

  it('gives create-only upload URLs: one Put Blob, never a second, nor blocks; {"blocks": true} adds write for Put Block and Put Block List', async () => {
    const head = (await readFile(join(dir, 'boston.csv'), 'utf8')).split('\n').slice(0, 6).join('\n') + '\n';
    const once = (await (await stack.post('/api/batches/uploads', {})).json()) as { url: string; blob: string; blocks: boolean };
    expect(new URL(once.url).searchParams.get('sp')).toBe('c');
    expect(once.blocks).toBe(false);
    // Put Block needs write: a create-only URL cannot stage one.
    const block = Buffer.from('block-00000000').toString('base64');
    expect((await fetch(`${once.url}&comp=block&blockid=${encodeURIComponent(block)}`, { method: 'PUT', body: head })).status).toBe(403);
    const put = () => fetch(once.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'text/csv' }, body: head });
    expect((await put()).status).toBe(201);
    // The blob exists now: the same URL cannot replace it.
    const again = await put();
    expect([403, 409]).toContain(again.status);
    const inputs = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batch-inputs');
    expect((await inputs.getBlobClient(once.blob).downloadToBuffer()).toString()).toBe(head);

    const blocks = (await (await stack.post('/api/batches/uploads', { blocks: true })).json()) as { url: string; blob: string; blocks: boolean };
    expect(new URL(blocks.url).searchParams.get('sp')).toBe('cw');
    expect(blocks.blocks).toBe(true);
    expect((await fetch(`${blocks.url}&comp=block&blockid=${encodeURIComponent(block)}`, { method: 'PUT', body: head })).status).toBe(201);
    const list = `<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>${block}</Latest></BlockList>`;
    expect((await fetch(`${blocks.url}&comp=blocklist`, { method: 'PUT', headers: { 'x-ms-blob-content-type': 'text/csv' }, body: list })).status).toBe(201);
    expect((await inputs.getBlobClient(blocks.blob).downloadToBuffer()).toString()).toBe(head);
    expect((await stack.post('/api/batches/uploads', { blocks: 'yes' })).status).toBe(400);
  });

  it('reads an uploaded input only as it was when submitted: replaced before its rows are read, the batch fails and nothing is scored', async () => {
    const lines = (await readFile(join(dir, 'boston.csv'), 'utf8')).split('\n');
    const upload = (await (await stack.call('/api/batches/uploads', { method: 'POST' })).json()) as { blob: string; url: string };
    expect((await fetch(upload.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: lines.slice(0, 11).join('\n') })).status).toBe(201);
    // The queued check waits until the blob has been replaced.
    await stack.host.queues.stop();
    let id: string;
    try {
      const submitted = await stack.post('/api/models/boston-rf/batches', { blob: upload.blob });
      expect(submitted.status).toBe(202);
      id = ((await submitted.json()) as { id: string }).id;
      // Replaced by whoever may write there (the account key: the upload URL cannot), with other valid rows.
      const inputs = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batch-inputs');
      const other = lines.slice(0, 4).join('\n');
      await inputs.getBlockBlobClient(upload.blob).upload(other, Buffer.byteLength(other));
    } finally {
      stack.host.queues.start();
    }
    let status: { state: string; rows: { total: number | null }; problem?: { status: number; code: string; detail: string; errors?: { field: string; pointer: string }[] } } = { state: '', rows: { total: null } };
    await until(async () => ['failed', 'succeeded'].includes((status = await (await stack.call(`/api/batches/${id}?redirect=false`)).json()).state), 60_000, 'the batch to finish');
    expect(status.state, JSON.stringify(status)).toBe('failed');
    expect(status.rows.total).toBeNull();
    expect(status.problem).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(status.problem?.detail).toContain('replaced after the batch was submitted');
    expect(status.problem?.errors?.[0]).toMatchObject({ field: 'blob', pointer: '/blob' });
  });

  it('refuses the same input sent as a body over the limit with 413 naming the upload route', async () => {
    const res = await stack.call('/api/models/boston-rf/batches', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: await readFile(join(dir, 'boston.csv')) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('payload_too_large');
    expect(problem.detail).toContain('POST /api/batches/uploads');
  });

  it('shows an uploaded input with a bad row as failed with the first bad rows, and stores none of it', async () => {
    const upload = (await (await stack.call('/api/batches/uploads', { method: 'POST' })).json()) as { blob: string; url: string };
    const put = await fetch(upload.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: await readFile(join(dir, 'bad.csv')) });
    expect(put.status).toBe(201);
    const submitted = await stack.post('/api/models/boston-rf/batches', { blob: upload.blob });
    expect(submitted.status).toBe(202);
    const { id, state } = (await submitted.json()) as { id: string; state: string };
    expect(state).toBe('validating');
    let status: { state: string; problem?: { status: number; code: string; errors: { row: number; field: string; pointer: string }[] } } = { state: '' };
    await until(async () => (status = await (await stack.call(`/api/batches/${id}`)).json()).state === 'failed', 60_000, 'the refusal');
    expect(status.problem).toMatchObject({ status: 422, code: 'invalid_input' });
    expect(status.problem?.errors[0]).toMatchObject({ row: 14999, field: 'zn', pointer: '/rows/14999/zn' });
    const left: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('batches').listBlobsFlat({ prefix: `${id}/` })) left.push(b.name.slice(id.length + 1));
    expect(left.sort(), JSON.stringify(left)).toEqual(['state/cancelled', 'state/refusal.json', 'submission.json']);
  });

  it('answers an unknown blob with 404 at submit, and a bad format with 400', async () => {
    expect((await stack.post('/api/batches', { blob: 'uploads/none.csv' })).status).toBe(404);
    expect((await stack.post('/api/batches/uploads', { format: 'xlsx' })).status).toBe(400);
  });

  it('streams the results of a batch that did not succeed, at most PARTIAL_RESULTS_MAX_ROWS rows', async () => {
    // Three chunks of 600 rows; R refuses the last one (a negative weight).
    const rows = Array.from({ length: 1800 }, (_, i) => ({ wt: i >= 1200 ? -1 : 3, hp: 110, cyl: 6 }));
    const res = await stack.post('/api/models/fragile/batches?chunkSize=600', { data: rows });
    const { id } = (await res.json()) as { id: string };
    await until(async () => ((await (await stack.call(`/api/batches/${id}`)).json()) as { state: string }).state === 'failed', 60_000, 'the batch to fail');
    const partial = await stack.call(`/api/batches/${id}/results`, { headers: { accept: 'application/json' } });
    expect(partial.status).toBe(200);
    expect(partial.headers.get('x-results-truncated')).toBe('true');
    const body = (await partial.json()) as { complete: boolean; truncated: boolean; results: { row: number }[] };
    expect(body).toMatchObject({ complete: false, truncated: true });
    expect(body.results).toHaveLength(600);
  });
});
