/**
 * Measures one R handler process from Node: seconds from spawn to /ready, and latency of
 * 1-row Boston requests with a fresh connection per request (what the app does) next to a
 * kept-alive connection (the stall the app avoids).
 *   node dist/bench/handlerLatency.js [requests]
 */
import getPort from 'get-port';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { rHandlerDir } from '../functions/paths.js';
import { callRHandler } from '../functions/workers/rHandlerClient.js';
import { startRProcess } from '../functions/workers/rProcess.js';
import { percentile } from './stats.js';

const requests = Number(process.argv[2] ?? 300);
const modelDir = join(rHandlerDir, 'examples', 'models', 'boston-rf');
const body = JSON.stringify({
  data: [{ crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 }],
});

const port = await getPort();
const started = performance.now();
const proc = startRProcess({ rscript: 'Rscript', handlerDir: rHandlerDir, modelDir, port, readyTimeoutMs: 60_000 });
await proc.ready();
const readySeconds = (performance.now() - started) / 1000;

async function timed(send: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    await send();
    times.push(performance.now() - t0);
  }
  return times;
}

const fresh = await timed(async () => {
  const res = await callRHandler(port, 'POST', '/score', body);
  if (res.status !== 200) throw new Error(res.body);
});
const keepAlive = new Agent({ connections: 1 });
const kept = await timed(async () => {
  const res = await request(`http://127.0.0.1:${port}/score`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: keepAlive });
  await res.body.text();
});
proc.kill();
await keepAlive.close();

const report = {
  ready_s: Number(readySeconds.toFixed(3)),
  fresh_connection: { p50_ms: percentile(fresh, 50), p99_ms: percentile(fresh, 99) },
  keep_alive: { p50_ms: percentile(kept, 50), p99_ms: percentile(kept, 99) },
  requests,
};
console.log(JSON.stringify(report, null, 2));
