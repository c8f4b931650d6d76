import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rHandlerDir } from '../functions/paths.js';
import type { ModelStore } from '../functions/storage/modelStore.js';
import { publishModel } from './publish.js';

export const sampleModelsDir = join(rHandlerDir, 'examples', 'models');

/** The sample models the service ships, by their model directory names. */
export const sampleModels = ['boston-rf', 'mtcars-ridge', 'penguins-rf'] as const;

/** A hash of what the sample models are made by: the R handler's describe step and the training script. */
function sourcesHash(): string {
  const files = [join(rHandlerDir, 'describe.R'), join(rHandlerDir, 'examples', 'train.R')];
  for (const dir of [join(rHandlerDir, 'R'), join(rHandlerDir, 'examples')]) {
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.R')) files.push(join(dir, f));
  }
  const hash = createHash('sha256');
  for (const f of [...new Set(files)]) hash.update(f).update(readFileSync(f));
  return hash.digest('hex');
}

/**
 * Trains the sample models (deterministic) unless they are there already, made by the
 * R code of this checkout: models described by an older describe step are made again.
 */
export async function trainSamples(rscript = 'Rscript'): Promise<void> {
  const stamp = join(sampleModelsDir, '.sources');
  const hash = sourcesHash();
  if (existsSync(join(sampleModelsDir, 'penguins-rf', 'model.json')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  rmSync(sampleModelsDir, { recursive: true, force: true });
  await execa(rscript, [join(rHandlerDir, 'examples', 'train.R'), sampleModelsDir], { stdio: 'inherit' });
  writeFileSync(stamp, hash);
}

/** Publishes a trained model directory as `name` `version`, unless that version exists. */
export async function publishDir(store: ModelStore, dir: string, name: string, version: string, aliases: string[] = []): Promise<boolean> {
  if (await store.getVersion(name, version)) return false;
  const score = join(dir, 'score.R');
  await publishModel(store, {
    model: join(dir, 'model.rds'),
    schema: join(dir, 'model.json'),
    score: existsSync(score) ? score : undefined,
    name,
    version,
    aliases,
  });
  return true;
}

/** Publishes each sample model as version 1 (alias production) if absent. */
export async function publishSamples(store: ModelStore): Promise<string[]> {
  await trainSamples();
  const published: string[] = [];
  for (const name of sampleModels) {
    if (await publishDir(store, join(sampleModelsDir, name), name, '1', ['production'])) published.push(name);
  }
  return published;
}
