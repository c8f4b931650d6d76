/**
 * npm run bench:compare -- <other checkout>: this checkout's app against another built
 * checkout of it (an earlier commit, say), in one run, on the same Azurite and models.
 * Rounds alternate which goes first, so the machine's drift falls on both alike; on a
 * noisy machine that is what tells a change from noise. Measures what the scoring path
 * decides: 1-row requests from 1 client (p50) and from 64 (requests/s). Writes
 * bench/results/compare.json and .md. BENCH_SECONDS (10) a run, BENCH_ROUNDS (3).
 */
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { appRoot } from '../functions/paths.js';
import { ModelStore } from '../functions/storage/modelStore.js';
import { startAzurite } from '../scripts/azurite.js';
import { publishSamples } from '../scripts/samples.js';
import { ensureWrk, load } from './load.js';

const other = process.argv[2] ? resolve(process.argv[2]) : '';
if (!other || !existsSync(join(other, 'dist/test/host/cli.js'))) {
  console.error('usage: npm run bench:compare -- <path of another checkout, built with npm run build>');
  process.exit(2);
}
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
const body = JSON.stringify({ data: [row] });
const headers = { 'x-functions-key': 'compare-key' };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function startApp(root: string, storage: string): Promise<{ url: string; child: ResultPromise }> {
  const port = await getPort({ host: '127.0.0.1' });
  const child = execa('node', [join(root, 'dist/test/host/cli.js'), '--port', String(port), '--use-storage', storage, '--default-model', 'boston-rf', '--function-key', headers['x-functions-key']], {
    cwd: root,
    reject: false,
    env: { PRELOAD_MODELS: 'boston-rf', MODEL_CACHE_DIR: await mkdtemp(join(tmpdir(), 'compare-cache-')) },
  });
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 120_000; ; ) {
    const ready = await fetch(`${base}/api/health/ready`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`the app of ${root} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `${base}/api/score`, child };
}

await ensureWrk((msg) => console.log(`[compare] ${msg}`));
const azurite = await startAzurite();
const apps: Record<'this' | 'other', { url: string; child: ResultPromise }> = {} as never;
try {
  await publishSamples(ModelStore.fromConnectionString(azurite.connectionString, 'models'));
  apps.this = await startApp(appRoot, azurite.connectionString);
  apps.other = await startApp(other, azurite.connectionString);
  const results = { this: { c1_p50_ms: [] as number[], c64_rps: [] as number[] }, other: { c1_p50_ms: [] as number[], c64_rps: [] as number[] } };
  for (const name of ['this', 'other'] as const) await load({ url: apps[name].url, body, headers, connections: 16, seconds: 3 });
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? (['other', 'this'] as const) : (['this', 'other'] as const)) {
      const c1 = await load({ url: apps[name].url, body, headers, connections: 1, seconds });
      const c64 = await load({ url: apps[name].url, body, headers, connections: 64, seconds });
      results[name].c1_p50_ms.push(c1.p50_ms);
      results[name].c64_rps.push(c64.rps);
      console.log(`[compare] round ${round + 1} ${name}: 1 client p50 ${c1.p50_ms} ms, 64 clients ${c64.rps} req/s`);
    }
  }
  const summary = {
    date: new Date().toISOString(),
    other,
    rounds,
    seconds,
    this: { ...results.this, c1_p50_median_ms: median(results.this.c1_p50_ms), c64_median_rps: median(results.this.c64_rps) },
    other_app: { ...results.other, c1_p50_median_ms: median(results.other.c1_p50_ms), c64_median_rps: median(results.other.c64_rps) },
  };
  const md = [
    `Comparison of ${summary.date}: this checkout against ${other}, ${rounds} alternating rounds of ${seconds} s runs (medians).`,
    '',
    '| | other | this | this / other |',
    '| --- | --- | --- | --- |',
    `| 1-row requests, 1 client: p50 ms | ${summary.other_app.c1_p50_median_ms} | ${summary.this.c1_p50_median_ms} | ${(summary.this.c1_p50_median_ms / summary.other_app.c1_p50_median_ms).toFixed(2)} |`,
    `| 1-row requests, 64 clients: requests/s | ${summary.other_app.c64_median_rps} | ${summary.this.c64_median_rps} | ${(summary.this.c64_median_rps / summary.other_app.c64_median_rps).toFixed(2)} |`,
    '',
  ].join('\n');
  await mkdir(join(appRoot, 'bench/results'), { recursive: true });
  await writeFile(join(appRoot, 'bench/results/compare.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(appRoot, 'bench/results/compare.md'), md);
  console.log(md);
} finally {
  for (const app of Object.values(apps)) app?.child.kill();
  await azurite.stop();
}
process.exit(0);
