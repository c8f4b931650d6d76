import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, developmentStorage, hasStorage, readStorage, type StorageAccess } from '../functions/config.js';
import { ModelStore } from '../functions/storage/modelStore.js';

/**
 * The model store the command-line tools work on, found as the app finds it: a flag, the
 * environment (MODEL_STORAGE, else AzureWebJobsStorage; identity-based settings win), or
 * the Values of local.settings.json (as `func` reads them). Never the emulator by default.
 */

/** Where the account came from, for the user: a flag, the environment, or a file. */
export interface Target {
  access: StorageAccess;
  setting: string;
  source: string;
  settings: NodeJS.ProcessEnv;
}

const NO_STORAGE = `no storage account to work on. Set one of:
  AzureWebJobsStorage__accountName=<account>      a deployed account (shared keys are off there: sign in first
                                                  with \`az login\` as an identity with Storage Blob Data Contributor)
  AzureWebJobsStorage=UseDevelopmentStorage=true  the local emulator, Azurite (\`npm start\` runs it)
(MODEL_STORAGE__accountName or MODEL_STORAGE if the app keeps its models in an account of their own),
or pass --connection <connection string>.`;

/** The directory the user ran the command in: npm runs scripts in the package's root, and says where it was run in INIT_CWD. */
export function callerDir(script: string): string {
  return process.env.npm_lifecycle_event === script && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
}

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

export function storageTarget(connection: string | undefined, dir: string, tool: string): Target {
  if (connection) {
    const c = connection.trim();
    return {
      access: { kind: 'connectionString', connectionString: c === 'UseDevelopmentStorage=true' ? developmentStorage : c },
      setting: '--connection',
      source: 'the command line',
      settings: process.env,
    };
  }
  const fromEnv = storageIn(process.env, 'the environment');
  if (fromEnv) return fromEnv;
  for (const d of new Set([dir, process.cwd()])) {
    const local = localSettings(d);
    // As `func start` does: the environment's own settings win over the file's.
    const found = local && storageIn({ ...local.values, ...process.env }, local.file);
    if (found) {
      console.error(`${tool}: no storage setting in the environment; using ${found.setting} from ${found.source}`);
      return found;
    }
  }
  throw new Error(NO_STORAGE);
}

/** The model store of a target, in its MODELS_CONTAINER (or `container`). */
export function storeOf(to: Target, container?: string): ModelStore {
  return ModelStore.connect(to.access, container ?? (to.settings.MODELS_CONTAINER?.trim() || 'models'));
}

/** The container's address, never a key or a SAS. */
export function address(store: ModelStore): string {
  const url = new URL(store.container.url);
  return `${url.origin}${url.pathname}`;
}

/** What to tell a user whose sign-in failed. */
export const signInHint = (err: Error): string => (/CredentialUnavailable|AuthenticationError/.test(err.name) ? '\nSign in with `az login` and try again.' : '');
