/**
 * A Boston batch end to end (submit as CSV to succeeded) next to R's in-process predict()
 * on the same rows, with the app's peak RSS: after a warm-up batch, the median of three.
 *   node dist/bench/batchThroughput.js [rows]
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { ModelStore } from '../functions/storage/modelStore.js';
import { startAzurite } from '../scripts/azurite.js';
import { publishSamples, sampleModelsDir } from '../scripts/samples.js';
import { startTestHost } from '../test/host/testHost.js';
import { measureBatches } from './batchRun.js';

const rows = Number(process.argv[2] ?? 100_000);
const azurite = await startAzurite();
await publishSamples(ModelStore.fromConnectionString(azurite.connectionString, 'models'));
const host = await startTestHost({ settings: { AzureWebJobsStorage: azurite.connectionString, DEFAULT_MODEL: 'boston-rf' } });
let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const timer = setInterval(sample, 50);
const run = await measureBatches(host.url, host.functionKey, rows, 3, sample);
clearInterval(timer);
const r = await execa('Rscript', ['-e', `suppressMessages(library(randomForest)); m <- readRDS("${join(sampleModelsDir, 'boston-rf', 'model.rds')}"); p <- readRDS("${join(sampleModelsDir, 'boston-rf', 'prototype.rds')}"); d <- p[rep(seq_len(nrow(p)), length.out = ${rows}), setdiff(names(p), "medv")]; invisible(predict(m, d[1:100,])); t <- system.time(predict(m, d))[["elapsed"]]; cat(t)`]);
const rSeconds = Number(r.stdout);
console.log(JSON.stringify({ rows, state: run.state, seconds: Number(run.seconds.toFixed(2)), runs: run.runs, rows_per_s: Math.round(rows / run.seconds), r_predict_rows_per_s: Math.round(rows / rSeconds), ratio: Number((rSeconds / run.seconds).toFixed(3)), app_peak_rss_mb: Math.round(peak / 2 ** 20) }, null, 2));
await host.close();
await azurite.stop();
