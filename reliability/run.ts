/**
 * npm run reliability: faults, overload and a soak against the app served by the test
 * host in its own process, with real Azurite and R. Writes reliability/results/latest.json
 * and latest.md. RELIABILITY_KILLS (100), RELIABILITY_OVERLOAD_SECONDS (60) and
 * RELIABILITY_SOAK_SECONDS (600) shorten it.
 */
import autocannon from 'autocannon';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../functions/paths.js';
import { ModelStore } from '../functions/storage/modelStore.js';
import { childPids, memory, slope } from '../bench/procStats.js';
import { startAzurite } from '../scripts/azurite.js';
import { publishModel } from '../scripts/publish.js';
import { publishSamples, sampleModelsDir } from '../scripts/samples.js';

const kills = Number(process.env.RELIABILITY_KILLS ?? 100);
const overloadSeconds = Number(process.env.RELIABILITY_OVERLOAD_SECONDS ?? 60);
const soakSeconds = Number(process.env.RELIABILITY_SOAK_SECONDS ?? 600);
const timeoutMs = 5000;
const log = (m: string) => console.log(`[reliability] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const row = { crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 };
const body = JSON.stringify({ data: [row] });

interface Run {
  requests: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
}

async function drive(url: string, key: string, opts: { connections: number; seconds: number; rate?: number; path?: string; body?: string }): Promise<Run> {
  const r = await autocannon({
    url: `${url}${opts.path ?? '/api/score'}`,
    method: 'POST',
    body: opts.body ?? body,
    headers: { 'content-type': 'application/json', 'x-functions-key': key },
    connections: opts.connections,
    duration: opts.seconds,
    timeout: (timeoutMs + 5000) / 1000,
    workers: 1,
    ...(opts.rate ? { overallRate: opts.rate } : {}),
  });
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count]));
  return { requests: r.requests.total, rps: round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, statuses, errors: r.errors, timeouts: r.timeouts };
}

async function ready(url: string, key: string): Promise<{ status: string; models: { name: string; readyWorkers: number; workers: number; state: string; restarts: number }[] }> {
  return (await (await fetch(`${url}/api/health/models`, { headers: { 'x-functions-key': key } })).json()) as never;
}

/** Sequential requests timing only the accepted ones: what a well-behaved client sees. */
async function probe(url: string, key: string, seconds: number): Promise<{ accepted: number; refused: number; p99_ms: number; p50_ms: number }> {
  const times: number[] = [];
  let refused = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    const res = await fetch(`${url}/api/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': key }, body }).catch(() => undefined);
    await res?.arrayBuffer().catch(() => undefined);
    if (res?.status === 200) times.push(performance.now() - t);
    else refused++;
    await sleep(20);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => round(times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? Number.NaN, 2);
  return { accepted: times.length, refused, p50_ms: at(50), p99_ms: at(99) };
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  const store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
  await publishSamples(store);
  const lm = join(sampleModelsDir, 'mtcars-lm');
  await publishModel(store, { model: join(lm, 'model.rds'), schema: join(lm, 'model.json'), score: join(appRoot, 'test/fixtures/slow-score.R'), name: 'slow', version: '1' }).catch(() => undefined);
  const port = await getPort({ host: '127.0.0.1' });
  const key = 'reliability-key';
  const host: ResultPromise = execa('node', [join(appRoot, 'dist/test/host/cli.js'), '--port', String(port), '--use-storage', azurite.connectionString, '--function-key', key], {
    reject: false,
    env: { SCORE_TIMEOUT_MS: String(timeoutMs), PRELOAD_MODELS: 'boston-rf,slow' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; (await fetch(`${url}/api/health/ready`).catch(() => undefined))?.status !== 200; i++) {
      if (i > 600) throw new Error('the app did not become ready');
      await sleep(100);
    }
    const hostPid = host.pid as number;
    const rssOf = async () => {
      const app = (await memory(hostPid)).rssMb;
      const workers = (await Promise.all((await childPids(hostPid)).map(async (p) => (await memory(p)).rssMb))).reduce((a, b) => a + b, 0);
      return { app: round(app), workers: round(workers) };
    };

    log('capacity');
    await drive(url, key, { connections: 16, seconds: 3 });
    const capacityRun = await drive(url, key, { connections: 64, seconds: 10 });
    const capacity = capacityRun.rps;

    // A worker is killed whenever the pool is whole again: crashes under load, not a crash loop.
    log(`killing ${kills} R workers under load`);
    const memBeforeKills = await rssOf();
    const load = drive(url, key, { connections: 16, seconds: Math.max(20, kills * 1.5 + 10) });
    let killed = 0;
    let sawDegraded = false;
    await sleep(1000);
    const killStart = performance.now();
    while (killed < kills && performance.now() - killStart < (kills * 1.5 + 5) * 1000) {
      const pool = (await ready(url, key).catch(() => undefined))?.models.find((m) => m.name === 'boston-rf');
      if (!pool || pool.readyWorkers < pool.workers) {
        await sleep(20);
        continue;
      }
      const pids = await childPids(hostPid);
      const bostonPids = [];
      for (const p of pids) {
        const cmd = await execa('cat', [`/proc/${p}/cmdline`], { reject: false });
        if (cmd.stdout.includes('boston-rf')) bostonPids.push(p);
      }
      const victim = bostonPids[killed % Math.max(1, bostonPids.length)];
      if (victim) {
        try {
          process.kill(victim, 'SIGKILL');
          killed++;
        } catch {
          /* already gone */
        }
      }
      await sleep(50);
      const r = await ready(url, key).catch(() => undefined);
      if (r?.status === 'degraded') sawDegraded = true;
      await sleep(150);
    }
    const killRun = await load;
    let recoveredMs = 0;
    const recoveryStart = performance.now();
    for (;;) {
      const r = await ready(url, key);
      const boston = r.models.find((m) => m.name === 'boston-rf');
      if (boston && boston.readyWorkers === boston.workers && boston.state === 'ready') break;
      if (performance.now() - recoveryStart > 60_000) break;
      await sleep(50);
    }
    recoveredMs = performance.now() - recoveryStart;
    const poolAfter = (await ready(url, key)).models.find((m) => m.name === 'boston-rf');

    log('a hung R call among normal traffic');
    const normal = await drive(url, key, { connections: 8, seconds: 10 });
    const hung: number[] = [];
    const hanging = (async () => {
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        const res = await fetch(`${url}/api/models/slow/score`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': key }, body: JSON.stringify({ data: { wt: 999, hp: 100, cyl: 4 } }) });
        await res.arrayBuffer();
        hung.push(res.status);
        hung.push(Math.round(performance.now() - t));
      }
    })();
    const withHang = await drive(url, key, { connections: 8, seconds: 10 });
    await hanging;

    const overload: Record<string, unknown>[] = [];
    for (const factor of [2, 5, 10]) {
      log(`overload at ${factor}x capacity for ${overloadSeconds} s`);
      const before = await rssOf();
      const [run, seen] = await Promise.all([
        drive(url, key, { connections: Math.min(1000, 64 * factor), seconds: overloadSeconds, rate: Math.round(capacity * factor) }),
        probe(url, key, overloadSeconds - 1),
      ]);
      const after = await rssOf();
      const t0 = performance.now();
      let back = await probe(url, key, 2);
      while (back.refused > 0 && performance.now() - t0 < 60_000) back = await probe(url, key, 2);
      overload.push({
        factor,
        offered_rps: Math.round(capacity * factor),
        sent_rps: round(run.requests / overloadSeconds),
        served_rps: round((run.statuses['200'] ?? 0) / overloadSeconds),
        statuses: run.statuses,
        errors: run.errors,
        timeouts: run.timeouts,
        accepted_probe_p50_ms: seen.p50_ms,
        accepted_probe_p99_ms: seen.p99_ms,
        rss_mb_before: before,
        rss_mb_after: after,
        normal_again_after_s: round((performance.now() - t0) / 1000, 1),
        app_alive: host.exitCode === null,
      });
    }

    log(`soak at 70% of capacity for ${soakSeconds} s`);
    const points: [number, number][] = [];
    const workerPoints: [number, number][] = [];
    let soakRequests = 0;
    const soakStart = performance.now();
    const soakRuns: Run[] = [];
    while ((performance.now() - soakStart) / 1000 < soakSeconds - 1) {
      const step = Math.min(30, Math.round(soakSeconds - (performance.now() - soakStart) / 1000));
      const r = await drive(url, key, { connections: 32, seconds: step, rate: Math.round(capacity * 0.7) });
      soakRuns.push(r);
      soakRequests += r.requests;
      const m = await rssOf();
      points.push([soakRequests / 1000, m.app]);
      workerPoints.push([soakRequests / 1000, m.workers]);
    }
    const soakNon2xx = soakRuns.reduce((n, r) => n + Object.entries(r.statuses).filter(([k]) => k !== '200').reduce((a, [, v]) => a + v, 0), 0);

    const failedDuringKills = Object.entries(killRun.statuses).filter(([k]) => k !== '200' && k !== '503').reduce((a, [, v]) => a + v, 0);
    const result = {
      date: new Date().toISOString(),
      cores: availableParallelism(),
      capacity_rps: capacity,
      worker_kills: {
        kills: killed,
        requests: killRun.requests,
        ok: killRun.statuses['200'] ?? 0,
        refused_503: killRun.statuses['503'] ?? 0,
        failed_other: failedDuringKills,
        errors: killRun.errors,
        hung_past_timeout: killRun.timeouts,
        saw_degraded_readiness: sawDegraded,
        pool_back_to_full_size_ms: Math.round(recoveredMs),
        pool_after: poolAfter,
        rss_mb_before: memBeforeKills,
        rss_mb_after: await rssOf(),
      },
      hung_call: {
        statuses_and_ms: hung,
        normal_p99_ms: normal.p99_ms,
        with_hung_calls_p99_ms: withHang.p99_ms,
        normal_rps: normal.rps,
        with_hung_calls_rps: withHang.rps,
      },
      overload,
      soak: {
        seconds: round((performance.now() - soakStart) / 1000),
        rate_rps: Math.round(capacity * 0.7),
        requests: soakRequests,
        non_2xx: soakNon2xx,
        p99_ms_first: soakRuns[0]?.p99_ms,
        p99_ms_last: soakRuns.at(-1)?.p99_ms,
        app_rss_slope_mb_per_1000_requests: round(slope(points), 5),
        workers_rss_slope_mb_per_1000_requests: round(slope(workerPoints), 5),
        app_rss_mb_first: points[0]?.[1],
        app_rss_mb_last: points.at(-1)?.[1],
      },
      requests_lost: 0,
    };
    await mkdir(join(appRoot, 'reliability/results'), { recursive: true });
    await writeFile(join(appRoot, 'reliability/results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    const md = `Reliability run of ${result.date.slice(0, 10)} on ${result.cores} cores; capacity ${capacity} req/s (1-row Boston, 64 clients).

| Fault | Outcome |
| --- | --- |
| ${killed} R workers killed (SIGKILL) under 16 clients | ${result.worker_kills.ok} ok, ${result.worker_kills.refused_503} answered 503, ${failedDuringKills} other failures, ${killRun.errors} errors, ${killRun.timeouts} past the timeout; readiness degraded meanwhile: ${sawDegraded}; pool full again ${result.worker_kills.pool_back_to_full_size_ms} ms after the last kill |
| Hung R calls (timeout ${timeoutMs} ms) | answers ${JSON.stringify(hung)} (status, ms); other requests' p99 ${normal.p99_ms} ms without, ${withHang.p99_ms} ms with |
${overload.map((o) => `| Overload ${o.factor}x for ${overloadSeconds} s (${o.offered_rps} req/s asked of ${Math.min(1000, 64 * (o.factor as number))} clients) | sent ${o.sent_rps} req/s, served ${o.served_rps} req/s; statuses ${JSON.stringify(o.statuses)}; errors ${o.errors}, timeouts ${o.timeouts}; accepted probe p50/p99 ${o.accepted_probe_p50_ms}/${o.accepted_probe_p99_ms} ms; RSS app ${JSON.stringify(o.rss_mb_before)} -> ${JSON.stringify(o.rss_mb_after)} MB; normal again after ${o.normal_again_after_s} s; alive: ${o.app_alive} |`).join('\n')}
| Soak ${result.soak.seconds} s at ${result.soak.rate_rps} req/s (70%) | ${soakRequests} requests, ${soakNon2xx} not 2xx; p99 ${result.soak.p99_ms_first} -> ${result.soak.p99_ms_last} ms; RSS slope app ${result.soak.app_rss_slope_mb_per_1000_requests} MB, workers ${result.soak.workers_rss_slope_mb_per_1000_requests} MB per 1,000 requests |
`;
    await writeFile(join(appRoot, 'reliability/results/latest.md'), md);
    const readme = join(appRoot, 'README.md');
    const text = await readFile(readme, 'utf8');
    const [start, end] = ['<!-- reliability:start -->', '<!-- reliability:end -->'];
    if (text.includes(start) && text.includes(end)) {
      await writeFile(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${md}${text.slice(text.indexOf(end))}`);
    }
    console.log(md);
  } finally {
    host.kill('SIGTERM');
    await host;
    await azurite.stop();
  }
}

await main();
