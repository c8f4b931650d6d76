/**
 * npm run publish-model -- <model.rds> --name <n> --version <v> [--prototype data.csv]
 *   [--score score.R] [--schema model.json] [--response col] [--types a,b] [--alias production] [--force]
 *
 * The storage account it publishes to, first found of: `--connection`; MODEL_STORAGE, else
 * AzureWebJobsStorage, in the environment, where identity-based settings
 * (`AzureWebJobsStorage__accountName=<account>`, signed in with `az login`) win over a
 * connection string, as in the app; the `Values` of local.settings.json (as `func start` reads
 * them) in the caller's directory or the project's. With none of them it publishes nowhere.
 * Relative paths are the caller's: under `npm run`, relative to the directory npm was run in.
 */
import { Command } from 'commander';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { publishModel, type PublishOptions } from './publish.js';
import { address, callerDir, signInHint, storageTarget, storeOf } from './storageTarget.js';

const program = new Command()
  .name('publish-model')
  .description('Publish an R model (model.rds) to the model store')
  .argument('<model>', 'the model .rds file')
  .requiredOption('--name <name>', 'model name')
  .requiredOption('--version <version>', 'model version')
  .option('--prototype <file>', 'training data or a sample of it (.csv or .rds), to derive the input schema')
  .option('--score <file>', 'score.R defining score(model, newdata, ...)')
  .option('--schema <file>', 'a model.json to publish as it is')
  .option('--response <column>', "the prototype's response column, left out of the inputs")
  .option('--types <types>', "prediction types to offer beyond those found, comma-separated (with --score: instead of score_types); each must work on the prototype")
  .option('--alias <alias...>', 'aliases to point at this version (latest always is)')
  .option('--force', 'replace an existing version', false)
  .option('--no-micro-batch', "never score this model's requests together with other requests' rows")
  .option('--log-sample <share>', 'log this share of requests (0 to 1) to the prediction log', Number)
  .option('--log-batches', 'log batch rows too, at the same share')
  .option('--sensitive <inputs>', 'inputs never written to the prediction log, comma-separated')
  .option('--connection <string>', 'a storage connection string (Azurite: UseDevelopmentStorage=true); default: MODEL_STORAGE or AzureWebJobsStorage settings')
  .option('--container <name>', 'models container (default: MODELS_CONTAINER or "models")')
  .version('1.0.0', '--cli-version');

program.parse();
const opts = program.opts<Omit<PublishOptions, 'model' | 'aliases' | 'rscript' | 'types' | 'sensitive'> & { alias?: string[]; types?: string; sensitive?: string; connection?: string; container?: string }>();

const dir = callerDir('publish-model');
const path = (file: string | undefined): string | undefined => (file === undefined ? undefined : resolve(dir, file));

let where = '';
try {
  const to = storageTarget(opts.connection, dir, 'publish-model');
  const store = storeOf(to, opts.container);
  where = address(store);
  const signIn = to.access.kind === 'identity' ? `; Microsoft Entra ID: ${to.access.clientId ? `managed identity ${to.access.clientId}` : 'your sign-in (az login)'}` : '';
  console.log(`publishing to storage account ${store.container.accountName}, ${where} (${to.setting} from ${to.source}${signIn})`);
  const { aliases } = await publishModel(store, {
    model: path(program.args[0]) as string,
    name: opts.name,
    version: opts.version,
    prototype: path(opts.prototype),
    score: path(opts.score),
    schema: path(opts.schema),
    response: opts.response,
    types: opts.types?.split(',').map((t) => t.trim()).filter(Boolean),
    aliases: opts.alias,
    force: opts.force,
    microBatch: opts.microBatch,
    logSample: opts.logSample,
    logBatches: opts.logBatches,
    sensitive: opts.sensitive?.split(',').map((t) => t.trim()).filter(Boolean),
    rscript: to.settings.R_SCRIPT?.trim() || 'Rscript',
    by: `publish-model (${userInfo().username})`,
  });
  console.log(`published ${opts.name} ${opts.version}; aliases: ${JSON.stringify(aliases)}`);
} catch (err) {
  const e = err as Error;
  console.error(`publish-model: ${where ? `publishing to ${where} failed: ` : ''}${e.message}${signInHint(e)}`);
  process.exit(1);
}
