import { join } from 'node:path';
import type { ModelStore } from '../functions/storage/modelStore.js';
import { publishModel } from '../scripts/publish.js';
import { sampleModelsDir } from '../scripts/samples.js';
import { load, type LoadResult } from './load.js';

/** Requests/s of 64 clients under each rollout feature, against the same model with none, in one run. */
export interface RolloutCost {
  plain_rps: number;
  split_rps: number;
  logged_rps: number;
  sampled_rps: number;
  /** Each against plain: 1 means no cost. */
  split_ratio: number;
  logged_ratio: number;
  sampled_ratio: number;
  /** Mean over the rounds of each run's latency percentiles, per feature. */
  latency_ms: Record<string, { p50: number; p99: number }>;
  runs: Record<string, LoadResult[]>;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The cost of a traffic split and of the prediction log on the scoring path: boston-rf
 * published as four models served alike, one plain, one behind an alias split 90/10 over
 * two versions, one logging every request, one logging 10%; 64 clients on 1-row requests,
 * the four alternating over `rounds` rounds so the machine's drift falls on all alike.
 */
export async function measureRolloutCost(appUrl: string, key: string, masterKey: string, store: ModelStore, seconds: number, rounds = 2): Promise<RolloutCost> {
  const dir = join(sampleModelsDir, 'boston-rf');
  const publish = (name: string, version: string, extra: { logSample?: number } = {}) =>
    publishModel(store, { model: join(dir, 'model.rds'), schema: join(dir, 'model.json'), name, version, aliases: ['production'], force: true, ...extra });
  await publish('bench-plain', '1');
  await publish('bench-split', '1');
  await publish('bench-split', '2');
  await publish('bench-logged', '1', { logSample: 1 });
  await publish('bench-sampled', '1', { logSample: 0.1 });
  const put = await fetch(`${appUrl}/api/models/bench-split/aliases/production`, {
    method: 'PUT',
    headers: { 'x-functions-key': masterKey, 'content-type': 'application/json' },
    body: JSON.stringify({ versions: { '1': 90, '2': 10 } }),
  });
  if (put.status !== 200) throw new Error(`splitting the alias failed: ${put.status} ${await put.text()}`);
  const body = JSON.stringify({ data: [{ crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 }] });
  const headers = { 'x-functions-key': key };
  const names = ['plain', 'split', 'logged', 'sampled'] as const;
  // Warm every version (both of the split) before measuring.
  for (const n of names) await load({ url: `${appUrl}/api/models/bench-${n}/score`, body, headers, connections: 16, seconds: 2 });
  const runs: Record<string, LoadResult[]> = { plain: [], split: [], logged: [], sampled: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) runs[n]?.push(await load({ url: `${appUrl}/api/models/bench-${n}/score`, body, headers, connections: 64, seconds }));
  }
  const rps = (n: string) => round(mean((runs[n] ?? []).map((x) => x.rps)), 1);
  return {
    plain_rps: rps('plain'),
    split_rps: rps('split'),
    logged_rps: rps('logged'),
    sampled_rps: rps('sampled'),
    split_ratio: round(rps('split') / rps('plain')),
    logged_ratio: round(rps('logged') / rps('plain')),
    sampled_ratio: round(rps('sampled') / rps('plain')),
    latency_ms: Object.fromEntries(names.map((n) => [n, { p50: round(mean((runs[n] ?? []).map((x) => x.p50_ms)), 1), p99: round(mean((runs[n] ?? []).map((x) => x.p99_ms)), 1) }])),
    runs,
  };
}
