/**
 * 1-row Boston requests through the test host at 1 and 32 clients: p50/p99 and throughput.
 *   node dist/bench/syncLatency.js [seconds]
 */
import { ModelStore } from '../functions/storage/modelStore.js';
import { startAzurite } from '../scripts/azurite.js';
import { publishSamples } from '../scripts/samples.js';
import { startTestHost } from '../test/host/testHost.js';
import { load } from './load.js';

const seconds = Number(process.argv[2] ?? 10);
const azurite = await startAzurite();
await publishSamples(ModelStore.fromConnectionString(azurite.connectionString, 'models'));
const host = await startTestHost({ settings: { AzureWebJobsStorage: azurite.connectionString, DEFAULT_MODEL: 'boston-rf', ...(process.env.R_WORKERS ? { R_WORKERS: process.env.R_WORKERS } : {}), ...(process.env.MICRO_BATCH_MAX_ROWS ? { MICRO_BATCH_MAX_ROWS: process.env.MICRO_BATCH_MAX_ROWS } : {}) } });
const body = JSON.stringify({ data: [{ crim: 0.00632, zn: 18, indus: 2.31, chas: 0, nox: 0.538, rm: 6.575, age: 65.2, dis: 4.09, rad: 1, tax: 296, ptratio: 15.3, black: 396.9, lstat: 4.98 }] });
const url = `${host.url}/api/score`;
const headers = { 'x-functions-key': host.functionKey };
await load({ url, body, headers, connections: 4, seconds: 2 });
const results = [];
for (const connections of [1, 32]) results.push(await load({ url, body, headers, connections, seconds }));
console.log(JSON.stringify(results, null, 2));
await host.close();
await azurite.stop();
