/**
 * npm run bench: the app against the plumber service it replaces, in one run on this
 * machine. Starts Azurite, the app through the test host (its own process, with its R
 * pool) and the baseline (one plumber process, as the replaced documents deploy it), then
 * measures sync throughput and latency, R's in-process floor, a 100,000-row batch, memory,
 * cold start, the cost of a traffic split and of the prediction log, and a soak. Writes bench/results/latest.json and latest.md, and the README's
 * table. BENCH_SECONDS (10) sets each load run; BENCH_SOAK_SECONDS (600) the soak.
 */
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../functions/paths.js';
import { ModelStore } from '../functions/storage/modelStore.js';
import { startAzurite } from '../scripts/azurite.js';
import { publishSamples, sampleModelsDir } from '../scripts/samples.js';
import { measureBatches } from './batchRun.js';
import { measureRolloutCost } from './rolloutCost.js';
import { ensureWrk, load, type LoadResult } from './load.js';
import { childPids, memory, slope } from './procStats.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const soakSeconds = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const batchRows = Number(process.env.BENCH_BATCH_ROWS ?? 100_000);
const log = (msg: string) => console.log(`[bench] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(url: string, init: RequestInit, ok: (res: Response) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (ok(await fetch(url, init))) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await sleep(20);
  }
}

/** R's own predict() on 1, 100 and 10,000 Boston rows: median milliseconds. */
async function floor(): Promise<{ rows1_ms: number; rows100_ms: number; rows10000_ms: number; rows_per_s: number }> {
  const { stdout } = await execa('Rscript', ['-e', `
    suppressMessages(library(randomForest))
    m <- readRDS("${join(sampleModelsDir, 'boston-rf', 'model.rds')}")
    p <- readRDS("${join(sampleModelsDir, 'boston-rf', 'prototype.rds')}")
    p <- p[, setdiff(names(p), "medv")]
    time <- function(n, reps) { d <- p[rep(seq_len(nrow(p)), length.out = n), ]; invisible(predict(m, d)); median(replicate(reps, system.time(predict(m, d))[["elapsed"]])) * 1000 }
    t1 <- median(replicate(5, { s <- proc.time()[["elapsed"]]; for (i in 1:200) predict(m, p[1, ]); (proc.time()[["elapsed"]] - s) / 200 * 1000 }))
    cat(t1, time(100, 50), time(10000, 15), time(${batchRows}, 3))`]);
  const [r1, r100, r10k, rBatch] = stdout.trim().split(/\s+/).map(Number) as [number, number, number, number];
  return { rows1_ms: round(r1, 3), rows100_ms: round(r100, 2), rows10000_ms: round(r10k, 1), rows_per_s: Math.round(batchRows / (rBatch / 1000)) };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const bostonRow = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };

async function main(): Promise<void> {
  await ensureWrk(log);
  const azurite = await startAzurite();
  const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  const masterKey = `bench-master-${process.pid}`;
  const children: ResultPromise[] = [];
  try {
    // The app: the test host in its own process, cold-started and timed to ready.
    const appPort = await getPort({ host: '127.0.0.1' });
    const started = performance.now();
    const host = execa('node', [join(appRoot, 'dist/test/host/cli.js'), '--port', String(appPort), '--use-storage', azurite.connectionString, '--default-model', 'boston-rf', '--master-key', masterKey], {
      reject: false,
      env: { PRELOAD_MODELS: 'boston-rf' },
    });
    children.push(host);
    let key = '';
    host.stdout?.on('data', (d: Buffer) => {
      key ||= /function key: ([^)]+)\)/.exec(d.toString())?.[1] ?? '';
    });
    const appUrl = `http://127.0.0.1:${appPort}`;
    await waitFor(`${appUrl}/api/health/ready`, {}, (r) => r.status === 200, 120_000);
    const coldStart = (performance.now() - started) / 1000;
    log(`app ready in ${coldStart.toFixed(2)} s`);
    const hostPid = host.pid as number;

    // The baseline: plumber as the replaced documents deploy it.
    const basePort = await getPort({ host: '127.0.0.1' });
    const baseline = execa('Rscript', [join(appRoot, 'bench/baseline/serve.R'), String(basePort)], {
      reject: false,
      env: { BASELINE_MODEL: join(sampleModelsDir, 'boston-rf', 'model.rds') },
    });
    children.push(baseline);
    const baseUrl = `http://127.0.0.1:${basePort}/score`;
    const baseBody = (rows: number) => JSON.stringify({ df: Array.from({ length: rows }, () => bostonRow) });
    await waitFor(baseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: baseBody(1) }, (r) => r.status === 200, 60_000);

    let workersPeak = 0;
    const sampleMemory = async () => {
      const pids = await childPids(hostPid);
      const rss = await Promise.all(pids.map(async (p) => (await memory(p)).rssMb));
      workersPeak = Math.max(workersPeak, rss.reduce((a, b) => a + b, 0));
    };
    const sampler = setInterval(() => void sampleMemory(), 500);

    log('R floor');
    const floorResult = await floor();

    const appBody = (rows: number) => JSON.stringify({ data: Array.from({ length: rows }, () => bostonRow) });
    const headers = { 'x-functions-key': key };
    const runs: Record<string, LoadResult> = {};
    await load({ url: baseUrl, body: baseBody(1), connections: 4, seconds: 2, noKeepAlive: true });
    await load({ url: `${appUrl}/api/score`, body: appBody(1), headers, connections: 16, seconds: 2 });
    for (const rows of [1, 100]) {
      for (const c of [1, 64]) {
        log(`sync ${rows} row(s), ${c} client(s)`);
        runs[`baseline_r${rows}_c${c}`] = await load({ url: baseUrl, body: baseBody(rows), connections: c, seconds, noKeepAlive: true });
        runs[`app_r${rows}_c${c}`] = await load({ url: `${appUrl}/api/score`, body: appBody(rows), headers, connections: c, seconds });
      }
    }

    log(`batch of ${batchRows} rows`);
    const batch = await measureBatches(appUrl, key, batchRows);

    // After the batch: the models it publishes keep R workers (and the log its writes) busy a while.
    log('rollout cost: a 90/10 split and the prediction log against neither');
    const rollout = await measureRolloutCost(appUrl, key, masterKey, store, seconds, Number(process.env.BENCH_ROLLOUT_ROUNDS ?? 6));

    log(`soak for ${soakSeconds} s`);
    const points: [number, number][] = [];
    const workerPoints: [number, number][] = [];
    let soakRequests = 0;
    const soakStart = performance.now();
    while ((performance.now() - soakStart) / 1000 < soakSeconds) {
      const step = Math.min(30, soakSeconds - (performance.now() - soakStart) / 1000);
      if (step < 1) break;
      const r = await load({ url: `${appUrl}/api/score`, body: appBody(1), headers, connections: 16, seconds: Math.round(step) });
      soakRequests += r.requests;
      const minutes = (performance.now() - soakStart) / 60_000;
      points.push([minutes, (await memory(hostPid)).rssMb]);
      const pids = await childPids(hostPid);
      workerPoints.push([minutes, (await Promise.all(pids.map(async (p) => (await memory(p)).rssMb))).reduce((a, b) => a + b, 0)]);
    }
    clearInterval(sampler);
    await sampleMemory();
    const appMemory = await memory(hostPid);
    const soakMinutes = (performance.now() - soakStart) / 60_000;

    const c64 = (who: string, rows = 1) => runs[`${who}_r${rows}_c64`] as LoadResult;
    const c1 = (who: string, rows = 1) => runs[`${who}_r${rows}_c1`] as LoadResult;
    const result = {
      date: new Date().toISOString(),
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version },
      cores: availableParallelism(),
      sync: {
        c64: {
          baseline_rps: c64('baseline').rps,
          app_rps: c64('app').rps,
          ratio: round(c64('app').rps / c64('baseline').rps, 1),
          baseline_p50_ms: c64('baseline').p50_ms,
          baseline_p99_ms: c64('baseline').p99_ms,
          app_p50_ms: c64('app').p50_ms,
          app_p99_ms: c64('app').p99_ms,
        },
        c1: {
          baseline_rps: c1('baseline').rps,
          app_rps: c1('app').rps,
          baseline_p50_ms: c1('baseline').p50_ms,
          baseline_p99_ms: c1('baseline').p99_ms,
          app_p50_ms: c1('app').p50_ms,
          app_p99_ms: c1('app').p99_ms,
        },
        rows100: {
          c1: { baseline_rps: c1('baseline', 100).rps, app_rps: c1('app', 100).rps, baseline_p50_ms: c1('baseline', 100).p50_ms, app_p50_ms: c1('app', 100).p50_ms },
          c64: { baseline_rps: c64('baseline', 100).rps, app_rps: c64('app', 100).rps, baseline_p50_ms: c64('baseline', 100).p50_ms, app_p50_ms: c64('app', 100).p50_ms },
        },
        runs,
      },
      floor: floorResult,
      rollout,
      batch: { rows: batchRows, seconds: round(batch.seconds, 2), runs_s: batch.runs, state: batch.state, rows_per_s: Math.round(batchRows / batch.seconds), r_predict_rows_per_s: floorResult.rows_per_s, ratio: round(batchRows / batch.seconds / floorResult.rows_per_s, 3) },
      memory: {
        app_peak_rss_mb: Math.round(appMemory.peakMb),
        workers_peak_rss_mb: Math.round(workersPeak),
        soak_minutes: round(soakMinutes, 1),
        soak_requests: soakRequests,
        app_rss_slope_mb_per_min: round(slope(points), 3),
        workers_rss_slope_mb_per_min: round(slope(workerPoints), 3),
        app_rss_slope_mb_per_1000_requests: soakRequests ? round((slope(points) * soakMinutes) / (soakRequests / 1000), 4) : 0,
      },
      cold_start_s: round(coldStart, 2),
      targets: {
        c64_ratio_at_least_10: c64('app').rps >= 10 * c64('baseline').rps,
        c1_p50_within_floor_plus_1ms: c1('app').p50_ms <= floorResult.rows1_ms + 1,
        c1_p50_below_baseline: c1('app').p50_ms < c1('baseline').p50_ms,
        batch_at_least_30_percent_of_r: batchRows / batch.seconds >= 0.3 * floorResult.rows_per_s,
      },
    };
    await mkdir(join(appRoot, 'bench/results'), { recursive: true });
    await writeFile(join(appRoot, 'bench/results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    const md = markdown(result);
    await writeFile(join(appRoot, 'bench/results/latest.md'), md);
    await updateReadme(md);
    console.log(md);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.allSettled(children);
    await azurite.stop();
  }
}

const lat = (l: { p50: number; p99: number } | undefined) => (l ? `${l.p50} / ${l.p99}` : '');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function markdown(r: any): string {
  const s = r.sync;
  return `Benchmark of ${r.date.slice(0, 10)} on ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memory_gb} GiB, Node ${r.machine.node}. Baseline: one plumber process as the replaced documents deploy it, clients without keep-alive; app: \`POST /api/score\` through the test host with its R pool; load by wrk, ${s.runs.app_r1_c1.seconds} s a run.

| | baseline | app | app / baseline |
| --- | --- | --- | --- |
| 1-row requests, 64 clients: requests/s | ${s.c64.baseline_rps} | ${s.c64.app_rps} | ${s.c64.ratio}x |
| 1-row requests, 64 clients: p50 / p99 ms | ${s.c64.baseline_p50_ms} / ${s.c64.baseline_p99_ms} | ${s.c64.app_p50_ms} / ${s.c64.app_p99_ms} | |
| 1-row requests, 1 client: requests/s | ${s.c1.baseline_rps} | ${s.c1.app_rps} | ${round(s.c1.app_rps / s.c1.baseline_rps, 1)}x |
| 1-row requests, 1 client: p50 / p99 ms | ${s.c1.baseline_p50_ms} / ${s.c1.baseline_p99_ms} | ${s.c1.app_p50_ms} / ${s.c1.app_p99_ms} | |
| 100-row requests, 1 client: requests/s | ${s.rows100.c1.baseline_rps} | ${s.rows100.c1.app_rps} | ${round(s.rows100.c1.app_rps / s.rows100.c1.baseline_rps, 1)}x |
| 100-row requests, 64 clients: requests/s | ${s.rows100.c64.baseline_rps} | ${s.rows100.c64.app_rps} | ${round(s.rows100.c64.app_rps / s.rows100.c64.baseline_rps, 1)}x |

| R floor (in-process \`predict()\`) | |
| --- | --- |
| 1 row | ${r.floor.rows1_ms} ms |
| 100 rows | ${r.floor.rows100_ms} ms |
| 10,000 rows | ${r.floor.rows10000_ms} ms |

| Other | |
| --- | --- |
| ${r.batch.rows.toLocaleString('en')}-row batch, submit to succeeded (median of 3 after a warm-up) | ${r.batch.seconds} s, ${r.batch.rows_per_s} rows/s (R in-process: ${r.batch.r_predict_rows_per_s} rows/s, ratio ${r.batch.ratio}) |
| Peak RSS: app / R workers | ${r.memory.app_peak_rss_mb} MB / ${r.memory.workers_peak_rss_mb} MB |
| Soak (${r.memory.soak_minutes} min, 16 clients, ${r.memory.soak_requests} requests): RSS slope app / workers | ${r.memory.app_rss_slope_mb_per_min} / ${r.memory.workers_rss_slope_mb_per_min} MB/min |
| Cold start to ready | ${r.cold_start_s} s |

| Rollout features, 64 clients, 1-row requests (${r.rollout.runs.plain?.length} alternating rounds) | requests/s | against neither | p50 / p99 ms |
| --- | --- | --- | --- |
| Neither (alias to one version, log off) | ${r.rollout.plain_rps} | 1 | ${lat(r.rollout.latency_ms.plain)} |
| Alias split 90/10 over two versions | ${r.rollout.split_rps} | ${r.rollout.split_ratio} | ${lat(r.rollout.latency_ms.split)} |
| Prediction log, every request | ${r.rollout.logged_rps} | ${r.rollout.logged_ratio} | ${lat(r.rollout.latency_ms.logged)} |
| Prediction log, 10% of requests | ${r.rollout.sampled_rps} | ${r.rollout.sampled_ratio} | ${lat(r.rollout.latency_ms.sampled)} |

Targets: 64 clients at least 10x the baseline: ${r.targets.c64_ratio_at_least_10 ? 'met' : 'missed'}; 1-client p50 within the 1-row floor + 1 ms: ${r.targets.c1_p50_within_floor_plus_1ms ? 'met' : 'missed'}; below the baseline's p50: ${r.targets.c1_p50_below_baseline ? 'met' : 'missed'}; batch at least 30% of R's rows/s: ${r.targets.batch_at_least_30_percent_of_r ? 'met' : 'missed'}.
`;
}

async function updateReadme(md: string): Promise<void> {
  const path = join(appRoot, 'README.md');
  const text = await readFile(path, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (!text.includes(start) || !text.includes(end)) return;
  await writeFile(path, `${text.slice(0, text.indexOf(start) + start.length)}\n${md}${text.slice(text.indexOf(end))}`);
}

await main();
