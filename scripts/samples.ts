import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rHandlerDir } from '../functions/paths.js';
import type { ModelStore } from '../functions/storage/modelStore.js';
import { publishModel } from './publish.js';

export const sampleModelsDir = join(rHandlerDir, 'examples', 'models');

/** The sample models the service ships, by their model directory names. */
export const sampleModels = ['boston-rf', 'mtcars-ridge', 'penguins-rf'] as const;

/** Trains the sample models (deterministic) unless they are there already. */
export async function trainSamples(rscript = 'Rscript'): Promise<void> {
  if (existsSync(join(sampleModelsDir, 'penguins-rf', 'model.json'))) return;
  await execa(rscript, [join(rHandlerDir, 'examples', 'train.R'), sampleModelsDir], { stdio: 'inherit' });
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
