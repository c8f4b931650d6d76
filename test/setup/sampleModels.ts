import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rHandlerDir } from '../../functions/paths.js';

export const sampleModelsDir = join(rHandlerDir, 'examples', 'models');

/** Trains the sample models once (deterministic) if they are not there yet. */
export default async function setup(): Promise<void> {
  if (existsSync(join(sampleModelsDir, 'penguins-rf', 'model.json'))) return;
  await execa('Rscript', [join(rHandlerDir, 'examples', 'train.R'), sampleModelsDir], { stdio: 'inherit' });
}
