import { BlobServiceClient } from '@azure/storage-blob';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Papa from 'papaparse';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { publishDir, sampleModelsDir } from '../../scripts/samples.js';
import { heldModel, type Held } from '../helpers/held.js';
import { startHostProcess } from '../helpers/hostProcess.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { until } from '../helpers/traffic.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * Safe rollouts against real Azurite and R: an alias split by weight, sticky subjects, shadow
 * versions that hang or fail, the prediction log through a storage outage, input drift, and
 * two instances' counts merged.
 */
let stack: Stack;
/** Version 3 of cars scores only when the test lets it (test/fixtures/held-score.R). */
let held: Held;
const lm = join(sampleModelsDir, 'mtcars-lm');
const penguins = join(sampleModelsDir, 'penguins-rf');
const car = { wt: 2.62, hp: 110, cyl: 6 };

type Report = {
  versions: {
    version: string;
    requests: number;
    rows: number;
    errors: Record<string, number>;
    latencyMs: { p50: number | null };
    features: { name: string; psi: number | null; drift: boolean | null; unseenLevelAttempts: number; bins: { label: string; live: number }[] }[];
    drifted: string[];
    shadow: { version: string; requests: number; agreement: number | null; meanAbsDiff: number | null; failed: number; dropped: number }[];
    predictionLog: { rows: number; dropped: number };
  }[];
  traffic: Record<string, unknown>;
};

const admin = (path: string, body: unknown) =>
  stack.call(path, { method: 'PUT', key: stack.host.masterKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * Moves cars' production alias and waits until this instance routes by it: a move is
 * served once the versions it names are warm (until then, the previous route).
 */
async function route(body: { version?: string; versions?: Record<string, number>; shadow?: { version: string; percent: number } }) {
  const res = await admin('/api/models/cars/aliases/production', body);
  expect(res.status).toBe(200);
  const expected = body.versions ?? { [body.version as string]: 1 };
  await until(async () => {
    const model = (await (await stack.call('/api/models/cars')).json()) as { traffic: Record<string, { versions: unknown; shadow?: unknown }>; aliases: Record<string, string> };
    const now = model.traffic.production ?? { versions: { [model.aliases.production as string]: 1 } };
    return JSON.stringify(now.versions) === JSON.stringify(expected) && JSON.stringify(now.shadow) === JSON.stringify(body.shadow);
  }, 30_000, 'the alias move');
}
const monitoring = async (path: string): Promise<Report> => {
  const res = await stack.call(path);
  expect(res.status).toBe(200);
  return (await res.json()) as Report;
};
const versionOf = (report: Report, v: string) => {
  const found = report.versions.find((x) => x.version === v);
  expect(found, `version ${v} in the report`).toBeDefined();
  return found as Report['versions'][number];
};

/** Sends `n` requests, `concurrency` at a time, returning each answer's status, version header and body. */
async function send(n: number, concurrency: number, request: (i: number) => Promise<Response>) {
  const answers: { status: number; header: string | null; body: { model?: { version: string }; predictions?: unknown[] } }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const res = await request(i);
        answers[i] = { status: res.status, header: res.headers.get('x-model-version'), body: (await res.json()) as never };
      }
    }),
  );
  return answers;
}

/** The penguins prototype's rows (NA as null), without the response. */
async function penguinRows(): Promise<Record<string, unknown>[]> {
  const parsed = Papa.parse<Record<string, unknown>>(await readFile(join(penguins, 'prototype.csv'), 'utf8'), { header: true, dynamicTyping: true, skipEmptyLines: true });
  return parsed.data.map(({ species: _, ...row }) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === 'NA' ? null : v])));
}

beforeAll(async () => {
  held = await heldModel();
  stack = await startStack({ MONITORING_FLUSH_MS: '300', PREDICTION_LOG_FLUSH_MS: '200', PREDICTION_LOG_BUFFER_BYTES: '30000', DRIFT_MIN_ROWS: '50', R_WORKERS: '1', MODEL_REFRESH_MS: '300', ...held.env });
  for (const v of ['1', '2']) await publishDir(stack.store, lm, 'cars', v);
  const fixture = (f: string) => join(appRoot, 'test/fixtures', f);
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: held.fixture, name: 'cars', version: '3' });
  await publishModel(stack.store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: fixture('failing-score.R'), name: 'cars', version: '4' });
  // The guide's rollout moves boston-rf's production between versions 3, 4 and 5.
  for (const v of ['3', '4', '5']) await publishDir(stack.store, join(sampleModelsDir, 'boston-rf'), 'boston-rf', v);
  for (const v of ['1', '2', '3']) {
    await publishModel(stack.store, { model: join(penguins, 'model.rds'), schema: join(penguins, 'model.json'), score: join(penguins, 'score.R'), name: 'penguins', version: v, logSample: 1, sensitive: ['sex'] });
  }
}, 180_000);

afterAll(async () => {
  await held?.release();
  await stack?.close();
});

describe('traffic split', () => {
  it('sends 90/10 of 2,000 requests within binomial bounds, and names the version in a header', async () => {
    const moved = await admin('/api/models/cars/aliases/production', { versions: { '1': 90, '2': 10 } });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ alias: 'production', to: '1', traffic: { versions: { '1': 90, '2': 10 } } });
    await route({ versions: { '1': 90, '2': 10 } });
    const answers = await send(2000, 16, () => stack.post('/api/models/cars/score', { data: [car] }));
    expect(answers.every((a) => a.status === 200 && a.header === a.body.model?.version)).toBe(true);
    const second = answers.filter((a) => a.header === '2').length;
    // Binomial(2000, 0.1): mean 200, sd 13.4; 5 sd either side.
    expect(second).toBeGreaterThan(133);
    expect(second).toBeLessThan(267);
    expect(answers.filter((a) => a.header === '1').length).toBe(2000 - second);
    const model = (await (await stack.call('/api/models/cars')).json()) as { aliases: Record<string, string>; traffic: Record<string, unknown> };
    expect(model.aliases.production).toBe('1');
    expect(model.traffic.production).toEqual({ versions: { '1': 90, '2': 10 } });
  });

  it('keeps a subject on one version, spreads subjects by weight, and lets a request pin its version', async () => {
    const subjects = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
    const answers = await send(600, 16, (i) => stack.post('/api/models/cars/score', { data: [car] }, { headers: { 'x-scoring-subject': subjects[i % 200] as string } }));
    const bySubject = new Map<string, Set<string>>();
    answers.forEach((a, i) => bySubject.set(subjects[i % 200] as string, (bySubject.get(subjects[i % 200] as string) ?? new Set()).add(a.header as string)));
    expect([...bySubject.values()].every((s) => s.size === 1)).toBe(true);
    const onSecond = [...bySubject.values()].filter((s) => s.has('2')).length;
    expect(onSecond).toBeGreaterThan(0);
    expect(onSecond).toBeLessThan(60);
    const pinned = await stack.post('/api/models/cars/versions/2/score', { data: [car] });
    expect(pinned.headers.get('x-model-version')).toBe('2');
  });

  it('refuses a split naming a version that does not exist, naming the member', async () => {
    const res = await admin('/api/models/cars/aliases/production', { versions: { '1': 50, '9': 50 } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toEqual(['/versions/9']);
    const bad = await admin('/api/models/cars/aliases/production', { version: '1', shadow: { version: '3', percent: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('shadow', () => {
  it('compares a shadow version with the served one, after answering', async () => {
    await route({ version: '1', shadow: { version: '2', percent: 100 } });
    const answers = await send(40, 4, () => stack.post('/api/models/cars/score', { data: [car, { ...car, wt: 3.1 }] }));
    expect(answers.every((a) => a.status === 200 && a.header === '1')).toBe(true);
    await until(async () => (versionOf(await monitoring('/api/models/cars/monitoring?version=1'), '1').shadow[0]?.requests ?? 0) >= 40, 30_000, 'shadow comparisons');
    const shadow = versionOf(await monitoring('/api/models/cars/monitoring?version=1'), '1').shadow.find((s) => s.version === '2');
    expect(shadow).toMatchObject({ agreement: 1, meanAbsDiff: 0, failed: 0 });
  });

  it('a shadow that hangs or fails never changes the answer or delays it', async () => {
    const pinned = await stack.post('/api/models/cars/versions/1/score', { data: [car] });
    const expected = ((await pinned.json()) as { predictions: unknown[] }).predictions;
    const answers = async () => {
      for (let i = 0; i < 30; i++) {
        const res = await stack.post('/api/models/cars/score', { data: [car] });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { predictions: unknown[] }).predictions).toEqual(expected);
      }
    };
    // Version 3 answers nothing while held: were an answer waiting for its shadow, it would
    // never come (a time cannot tell that on a busy machine; a held shadow can). The move
    // is served once version 3's worker is up, before it is held (its warm-up is a call).
    await route({ version: '1', shadow: { version: '3', percent: 100 } });
    await waitFor(async () => {
      const ready = (await (await stack.call('/api/health/models')).json()) as { models: { name: string; version: string; readyWorkers: number }[] };
      return ready.models.some((m) => m.name === 'cars' && m.version === '3' && m.readyWorkers === 1);
    }, { what: "version 3's worker up" });
    await held.hold();
    try {
      await answers();
    } finally {
      await held.release();
    }
    const shadowOf = async (v: string) => versionOf(await monitoring('/api/models/cars/monitoring?version=1'), '1').shadow.find((s) => s.version === v);
    // Every request was mirrored; past the in-flight bound (SHADOW_MAX_IN_FLIGHT, 8), held
    // shadows were dropped, not queued.
    await until(async () => (await shadowOf('3'))?.requests === 30, 30_000, 'the held shadow calls');
    expect((await shadowOf('3'))?.dropped).toBeGreaterThan(0);
    await route({ version: '1', shadow: { version: '4', percent: 100 } });
    await answers();
    await until(async () => (await shadowOf('4'))?.requests === 30, 30_000, 'the failing shadow calls');
    expect((await shadowOf('4'))?.failed).toBeGreaterThan(0);
    expect((await shadowOf('4'))?.agreement).toBeNull();
    // One move rolls everything back.
    await route({ version: '1' });
  }, 120_000);
});

describe('prediction log', () => {
  it('holds the sampled rows without sensitive inputs, and counts what an outage lost', async () => {
    const rows = (await penguinRows()).slice(0, 5).map((r, i) => ({ _row: `p${i}`, ...r }));
    const before = await send(10, 2, () => stack.post('/api/models/penguins/versions/1/score', { data: rows }));
    expect(before.every((a) => a.status === 200)).toBe(true);
    const container = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('prediction-logs');
    const lines = async () => {
      const out: Record<string, unknown>[] = [];
      if (!(await container.exists())) return out;
      for await (const blob of container.listBlobsFlat({ prefix: 'penguins/1/' })) {
        expect(blob.name).toMatch(/^penguins\/1\/\d{4}-\d{2}-\d{2}\/\d{2}\/.+\.jsonl$/);
        const text = (await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8');
        out.push(...text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
      }
      return out;
    };
    await until(async () => (await lines()).length === 50, 30_000, 'the logged rows');
    const logged = await lines();
    expect(logged[0]).toMatchObject({ model: 'penguins', version: '1', source: 'http', row: 0, rowName: 'p0' });
    expect(Object.keys(logged[0]?.inputs as object).sort()).toEqual(['bill_depth_mm', 'bill_length_mm', 'body_mass_g', 'flipper_length_mm', 'island']);
    expect(JSON.stringify(logged)).not.toContain('"sex"');
    expect(new Set(logged.map((l) => l.requestId)).size).toBe(10);

    // Storage goes away: answers keep coming, the log holds what its buffer bounds, and drops the rest.
    await stack.azurite.stop();
    const during = await send(60, 2, () => stack.post('/api/models/penguins/versions/1/score', { data: rows }));
    expect(during.every((a) => a.status === 200)).toBe(true);
    await stack.azurite.restart();
    await until(async () => {
      const log = versionOf(await monitoring('/api/models/penguins/monitoring?version=1'), '1').predictionLog;
      return log.rows + log.dropped === 350;
    }, 30_000, 'the log written or counted as dropped');
    const log = versionOf(await monitoring('/api/models/penguins/monitoring?version=1'), '1').predictionLog;
    expect(log.dropped).toBeGreaterThan(0);
    expect((await lines()).length).toBe(log.rows);
  });
});

describe('prediction log of batches', () => {
  it('logs batch rows when the version opts in', async () => {
    await publishModel(stack.store, { model: join(penguins, 'model.rds'), schema: join(penguins, 'model.json'), score: join(penguins, 'score.R'), name: 'penguins', version: 'b1', logSample: 1, logBatches: true });
    const rows = (await penguinRows()).slice(0, 12);
    const submitted = await stack.post('/api/models/penguins/versions/b1/batches?chunkSize=5', { data: rows });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await until(async () => (await stack.call(`/api/batches/${id}?redirect=false`).then((r) => r.json() as Promise<{ state: string }>)).state === 'succeeded', 60_000, 'the batch');
    const container = BlobServiceClient.fromConnectionString(stack.azurite.connectionString).getContainerClient('prediction-logs');
    const lines = async () => {
      const out: { source: string; requestId: string; row: number; inputs: Record<string, unknown> }[] = [];
      for await (const blob of container.listBlobsFlat({ prefix: 'penguins/b1/' })) {
        out.push(...(await container.getBlobClient(blob.name).downloadToBuffer()).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
      }
      return out;
    };
    await until(async () => (await lines()).length === 12, 30_000, 'the logged batch rows');
    const logged = await lines();
    expect(new Set(logged.map((l) => l.source))).toEqual(new Set(['batch']));
    expect(logged.every((l) => l.requestId === id)).toBe(true);
    logged.sort((a, b) => a.row - b.row);
    expect(logged.map((l) => l.row)).toEqual(rows.map((_, i) => i));
    expect(logged.map((l) => l.inputs.bill_length_mm)).toEqual(rows.map((r) => r.bill_length_mm));
  });
});

describe('input drift', () => {
  it('raises the PSI and the flag for a drifted stream, not for one like the training data', async () => {
    const rows = (await penguinRows()).filter((r) => Object.values(r).every((v) => v !== null));
    const chunks = (list: Record<string, unknown>[]) => Array.from({ length: Math.ceil(list.length / 20) }, (_, i) => list.slice(i * 20, i * 20 + 20));
    for (const data of chunks(rows)) expect((await stack.post('/api/models/penguins/versions/2/score', { data })).status).toBe(200);
    const drifted = rows.map((r) => ({ ...r, bill_length_mm: (r.bill_length_mm as number) + 8, body_mass_g: Math.round((r.body_mass_g as number) * 1.3), island: 'Biscoe' }));
    for (const data of chunks(drifted)) expect((await stack.post('/api/models/penguins/versions/3/score', { data })).status).toBe(200);
    const unseen = await stack.post('/api/models/penguins/versions/3/score', { data: [{ ...drifted[0], island: 'Atlantis' }, { ...drifted[1], island: 'Atlantis' }] });
    expect(unseen.status).toBe(422);

    const report = await monitoring('/api/models/penguins/monitoring?window=15m');
    const steady = versionOf(report, '2');
    for (const f of steady.features.filter((x) => ['bill_length_mm', 'body_mass_g', 'island'].includes(x.name))) {
      expect(f.psi, f.name).not.toBeNull();
      expect(f.psi as number, f.name).toBeLessThan(0.1);
      expect(f.drift, f.name).toBe(false);
    }
    const moved = versionOf(report, '3');
    expect(moved.drifted).toEqual(expect.arrayContaining(['bill_length_mm', 'body_mass_g', 'island']));
    for (const name of ['bill_length_mm', 'body_mass_g']) expect(moved.features.find((f) => f.name === name)?.psi as number, name).toBeGreaterThan(0.2);
    expect(moved.features.find((f) => f.name === 'island')?.unseenLevelAttempts).toBe(2);
    expect(moved.errors.invalid_input).toBe(1);
    expect(moved.features.find((f) => f.name === 'bill_depth_mm')?.drift).toBe(false);
  });

  it('merges two instances’ counts', async () => {
    const before = versionOf(await monitoring('/api/models/cars/monitoring?version=2'), '2').requests;
    const other = await startHostProcess(stack.azurite.connectionString, { MONITORING_FLUSH_MS: '300', DEFAULT_MODEL: 'cars' });
    try {
      for (let i = 0; i < 7; i++) expect((await other.post('/api/models/cars/versions/2/score', { data: [car] })).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await stack.post('/api/models/cars/versions/2/score', { data: [car] })).status).toBe(200);
      await until(async () => versionOf(await monitoring('/api/models/cars/monitoring?version=2'), '2').requests === before + 12, 30_000, 'both instances counted');
      // Either instance answers the same merged counts (each writes its own before it reads the others').
      let fromOther: Report | undefined;
      await waitFor(async () => {
        fromOther = (await (await other.call('/api/models/cars/monitoring?version=2')).json()) as Report;
        return fromOther.versions.find((x) => x.version === '2')?.requests === before + 12;
      }, { what: 'the other instance to answer the merged counts', last: () => fromOther?.versions.find((x) => x.version === '2')?.requests });
      expect(versionOf(fromOther as Report, '2').requests).toBe(before + 12);
    } finally {
      await other.stop();
    }
  });

  it('names a bad window or version', async () => {
    const res = await stack.call('/api/models/cars/monitoring?window=3d');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('window');
    expect((await stack.call('/api/models/cars/monitoring?version=99')).status).toBe(404);
    expect((await stack.call('/api/models/cars/monitoring?version=constructor')).status).toBe(404);
    expect((await stack.call('/api/models/nope/monitoring')).status).toBe(404);
  });
});

describe('the guide', () => {
  it("runs the rollout commands as written", async () => {
    const guide = await readFile(join(appRoot, 'docs/guide.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## Roll out a new version safely'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1] as string;
    expect(script).toContain('"versions": {"3": 90, "4": 10}');
    const run = await execa('bash', ['-eo', 'pipefail', '-c', script], {
      env: { API: `${stack.host.url}/api`, KEY: stack.host.functionKey, MASTER: stack.host.masterKey },
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    // Version 3 or 4 once the move is served; the moment after a move, the previous route
    // still answers while the new versions' workers start.
    expect(run.stdout).toMatch(/x-model-version: \d+/i);
    expect(run.stdout).toContain('"traffic":{"versions":{"3":90,"4":10},"shadow":{"version":"5","percent":20}}');
    expect(run.stdout).toContain('"p95"');
    expect(run.stdout).toMatch(/"to":"3"/);
  });
});
