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
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, developmentStorage, hasStorage, readStorage, type StorageAccess } from '../functions/config.js';
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
  .option('--connection <string>', 'a storage connection string (Azurite: UseDevelopmentStorage=true); default: MODEL_STORAGE or AzureWebJobsStorage settings')
  .option('--container <name>', 'models container (default: MODELS_CONTAINER or "models")')
  .version('1.0.0', '--cli-version');

program.parse();
const opts = program.opts<Omit<PublishOptions, 'model' | 'aliases' | 'rscript' | 'types'> & { alias?: string[]; types?: string; connection?: string; container?: string }>();

/** Where the account came from, for the user: a flag, the environment, or a file. */
interface Target {
  access: StorageAccess;
  setting: string;
  source: string;
  settings: NodeJS.ProcessEnv;
}

const NO_STORAGE = `no storage account to publish to. Set one of:
  AzureWebJobsStorage__accountName=<account>      a deployed account (shared keys are off there: sign in first
                                                  with \`az login\` as an identity with Storage Blob Data Contributor)
  AzureWebJobsStorage=UseDevelopmentStorage=true  the local emulator, Azurite (\`npm start\` runs it)
(MODEL_STORAGE__accountName or MODEL_STORAGE if the app keeps its models in an account of their own),
or pass --connection <connection string>.`;

/** The directory the user ran the command in: npm runs scripts in the package's root, and says where it was run in INIT_CWD. */
const callerDir = process.env.npm_lifecycle_event === 'publish-model' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
const path = (file: string | undefined): string | undefined => (file === undefined ? undefined : resolve(callerDir, file));

/** The model store's account in `settings` (MODEL_STORAGE, else AzureWebJobsStorage), as the app reads it. */
function storageIn(settings: NodeJS.ProcessEnv, source: string): Target | undefined {
  for (const prefix of ['MODEL_STORAGE', 'AzureWebJobsStorage']) {
    if (!hasStorage(settings, prefix)) continue;
    const problems: string[] = [];
    const access = readStorage(settings, prefix, problems);
    if (problems.length > 0) throw new ConfigError(problems);
    const setting = access.kind === 'connectionString' ? prefix : settings[`${prefix}__accountName`]?.trim() ? `${prefix}__accountName` : `${prefix}__blobServiceUri`;
    return { access, setting, source, settings };
  }
  return undefined;
}

/** The `Values` of local.settings.json in `dir`, if it has one. */
function localSettings(dir: string): { file: string; values: NodeJS.ProcessEnv } | undefined {
  const file = join(dir, 'local.settings.json');
  if (!existsSync(file)) return undefined;
  let json: { IsEncrypted?: boolean; Values?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (json.IsEncrypted) throw new Error(`${file} is encrypted: run \`func settings decrypt\`, or set the storage setting in the environment`);
  const values = Object.entries(json.Values ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
  return { file, values: Object.fromEntries(values) };
}

function target(): Target {
  if (opts.connection) {
    const connection = opts.connection.trim();
    return {
      access: { kind: 'connectionString', connectionString: connection === 'UseDevelopmentStorage=true' ? developmentStorage : connection },
      setting: '--connection',
      source: 'the command line',
      settings: process.env,
    };
  }
  const fromEnv = storageIn(process.env, 'the environment');
  if (fromEnv) return fromEnv;
  for (const dir of new Set([callerDir, process.cwd()])) {
    const local = localSettings(dir);
    // As `func start` does: the environment's own settings win over the file's.
    const found = local && storageIn({ ...local.values, ...process.env }, local.file);
    if (found) {
      console.error(`publish-model: no storage setting in the environment; using ${found.setting} from ${found.source}`);
      return found;
    }
  }
  throw new Error(NO_STORAGE);
}

/** The container's address, never a key or a SAS. */
const address = (store: ModelStore): string => {
  const url = new URL(store.container.url);
  return `${url.origin}${url.pathname}`;
};

let where = '';
try {
  const to = target();
  const store = ModelStore.connect(to.access, opts.container ?? (to.settings.MODELS_CONTAINER?.trim() || 'models'));
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
    rscript: to.settings.R_SCRIPT?.trim() || 'Rscript',
  });
  console.log(`published ${opts.name} ${opts.version}; aliases: ${JSON.stringify(aliases)}`);
} catch (err) {
  const e = err as Error;
  const hint = /CredentialUnavailable|AuthenticationError/.test(e.name) ? '\nSign in with `az login` and try again.' : '';
  console.error(`publish-model: ${where ? `publishing to ${where} failed: ` : ''}${e.message}${hint}`);
  process.exit(1);
}
