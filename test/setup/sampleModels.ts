import { trainSamples } from '../../scripts/samples.js';

/** Trains the sample models once (deterministic) before any test uses them. */
export default async function setup(): Promise<void> {
  await trainSamples();
}
