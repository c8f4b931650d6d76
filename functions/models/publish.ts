import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isValidName } from './names.js';
import { rHandlerDir } from '../paths.js';
import { parseModelSchema } from '../scoring/modelSchema.js';
import { aliasesOf, type ModelStore } from '../storage/modelStore.js';

export interface PublishOptions {
  model: string;
  name: string;
  version: string;
  prototype?: string;
  score?: string;
  /** An existing model.json to publish as it is, instead of describing the model. */
  schema?: string;
  /** The prototype's response column, left out of the features. */
  response?: string;
  /** Prediction types to offer beyond those found (or instead of score.R's score_types); each must work on the prototype. */
  types?: string[];
  aliases?: string[];
  force?: boolean;
  rscript?: string;
  /** false: never score this model's requests together with others' (model.json "microBatch"). */
  microBatch?: boolean;
  /** Who publishes, for the history of the aliases it moves. */
  by?: string;
  /** Log this share of requests to the prediction log (model.json "predictionLog"); batches too with logBatches. */
  logSample?: number;
  logBatches?: boolean;
  /** Inputs never written to the prediction log (model.json "sensitive"). */
  sensitive?: string[];
}

/** model.json with the publish options that are not the describe step's: micro-batching, the prediction log, sensitive inputs. */
export function withPublishOptions(schemaText: string, options: Pick<PublishOptions, 'microBatch' | 'logSample' | 'logBatches' | 'sensitive'>): string {
  const extra: Record<string, unknown> = {};
  if (options.microBatch === false) extra.microBatch = false;
  if (options.logSample !== undefined) {
    if (!(options.logSample >= 0 && options.logSample <= 1)) throw new PublishError('invalid_option', `the log sample must be a share from 0 to 1 (got ${options.logSample})`);
    extra.predictionLog = { sample: options.logSample, batches: options.logBatches === true };
  } else if (options.logBatches) throw new PublishError('invalid_option', 'logging batches needs a log sample (the share of rows to log)');
  if (options.sensitive?.length) extra.sensitive = options.sensitive;
  if (Object.keys(extra).length === 0) return schemaText;
  const text = JSON.stringify({ ...JSON.parse(schemaText), ...extra }, null, 2);
  try {
    parseModelSchema(text);
  } catch (err) {
    throw new PublishError('invalid_option', (err as Error).message);
  }
  return text;
}

export class PublishError extends Error {
  constructor(
    readonly code: 'invalid_name' | 'version_exists' | 'describe_failed' | 'invalid_option',
    message: string,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * R's reason, from describe.R's standard error: what follows its last "describe failed: ",
 * without what packages print as they attach before it ("randomForest 4.7-1.1", "Type
 * rfNews() to see..."); all of it when R stopped otherwise.
 */
export function describeReason(stderr: string): string {
  const text = stderr.trim();
  const at = text.lastIndexOf('describe failed: ');
  return at < 0 ? text : text.slice(at + 'describe failed: '.length).trim();
}

/** Writes model.json for a model with the R handler's describe step. */
export async function describeModel(options: PublishOptions): Promise<string> {
  if (options.schema) return readFile(options.schema, 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'describe-'));
  const out = join(dir, 'model.json');
  try {
    const args = [join(rHandlerDir, 'describe.R'), '--model', options.model, '--out', out];
    if (options.prototype) args.push('--prototype', options.prototype);
    if (options.score) args.push('--score', options.score);
    if (options.response) args.push('--response', options.response);
    if (options.types?.length) args.push('--types', options.types.join(','));
    const result = await execa(options.rscript ?? 'Rscript', args, { reject: false });
    if (result.exitCode !== 0) throw new PublishError('describe_failed', `describing the model failed: ${describeReason(String(result.stderr))}`);
    return await readFile(out, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Publishes a model version: derives model.json, uploads score.R, model.json and, last,
 * model.rds (so a version is visible only once complete), then points `latest` and the
 * given aliases at it. An existing version is refused unless `force`.
 */
export async function publishModel(store: ModelStore, options: PublishOptions): Promise<{ aliases: Record<string, string> }> {
  for (const [what, value] of [['name', options.name], ['version', options.version], ...(options.aliases ?? []).map((a) => ['alias', a])]) {
    if (!isValidName(value as string)) throw new PublishError('invalid_name', `${what} "${value}" must be 1-64 letters, digits, ".", "_" or "-"`);
  }
  await store.ensureContainer();
  if (!options.force && (await store.getVersion(options.name, options.version))) {
    throw new PublishError('version_exists', `${options.name} version ${options.version} is already published; use --force to replace it`);
  }
  const described = await describeModel(options);
  parseModelSchema(described);
  const schemaText = withPublishOptions(described, options);
  const overwrite = options.force === true;
  const upload = async (file: 'score.R' | 'model.json' | 'model.rds', content: Buffer) => {
    if (!(await store.upload(options.name, options.version, file, content, overwrite))) {
      throw new PublishError('version_exists', `${options.name} version ${options.version} was published meanwhile; use --force to replace it`);
    }
  };
  if (options.score) await upload('score.R', await readFile(options.score));
  else if (overwrite) await store.deleteFile(options.name, options.version, 'score.R');
  await upload('model.json', Buffer.from(schemaText));
  await upload('model.rds', await readFile(options.model));
  // Each alias moved is recorded in the model's history, as any other move.
  for (const alias of new Set(['latest', ...(options.aliases ?? [])])) await store.moveAlias(options.name, alias, options.version, options.by ?? 'publish');
  return { aliases: aliasesOf((await store.readAliases(options.name)).targets).aliases };
}
