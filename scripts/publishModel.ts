/**
 * npm run publish-model -- <model.rds> --name <n> --version <v> [--prototype data.csv]
 *   [--score score.R] [--schema model.json] [--response col] [--types a,b] [--alias production] [--force]
 */
import { Command } from 'commander';
import { readConfig } from '../functions/config.js';
import { ModelStore } from '../functions/storage/modelStore.js';
import { publishModel, type PublishOptions } from './publish.js';

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
  .option('--connection <string>', 'storage connection string (default: AzureWebJobsStorage or MODEL_STORAGE)')
  .option('--container <name>', 'models container (default: MODELS_CONTAINER or "models")')
  .version('1.0.0', '--cli-version');

program.parse();
const opts = program.opts<Omit<PublishOptions, 'model' | 'aliases' | 'rscript' | 'types'> & { alias?: string[]; types?: string; connection?: string; container?: string }>();

const env: NodeJS.ProcessEnv = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...process.env };
if (opts.connection) env.MODEL_STORAGE = opts.connection;
if (opts.container) env.MODELS_CONTAINER = opts.container;

try {
  const config = readConfig(env);
  const store = ModelStore.connect(config.modelStorage, config.modelsContainer);
  const { aliases } = await publishModel(store, {
    model: program.args[0] as string,
    name: opts.name,
    version: opts.version,
    prototype: opts.prototype,
    score: opts.score,
    schema: opts.schema,
    response: opts.response,
    types: opts.types?.split(',').map((t) => t.trim()).filter(Boolean),
    aliases: opts.alias,
    force: opts.force,
    microBatch: opts.microBatch,
    rscript: config.rscript,
  });
  console.log(`published ${opts.name} ${opts.version}; aliases: ${JSON.stringify(aliases)}`);
} catch (err) {
  console.error(`publish-model: ${(err as Error).message}`);
  process.exit(1);
}
