import type { ModelSchema } from '../scoring/modelSchema.js';
import type { BatchStore } from '../storage/batchStore.js';
import { csvHead, csvPiece, jsonHead, jsonPiece, JSON_TAIL, type ChunkPredictions, type ResultShape } from './batchResults.js';
import { allChunksDone, type BatchManifest, type ChunkResult } from './batchState.js';

/** The CSV columns of a prediction type's output with several values per row (class probabilities, named values). */
export function resultColumns(schema: ModelSchema | undefined, type: string): string[] | undefined {
  const output = schema?.output.types[type];
  return output?.classes ?? output?.columns;
}

/**
 * Commits a finished batch's results.csv and results.json from the blocks its chunks
 * staged. A chunk whose blocks are missing (its staging failed after its result was
 * written), or lack the row names the batch has (only some of its input rows were named),
 * is staged again from its stored result first, one chunk at a time.
 */
export async function assembleResults(store: BatchStore, manifest: BatchManifest, results: ChunkResult[], columns: string[] | undefined): Promise<void> {
  const shape: ResultShape = { columns, named: manifest.rowNames === true };
  const staged = await store.stagedChunks(manifest.id);
  for (const r of results) {
    if ((r.named === true) === shape.named && staged.has(r.chunk)) continue;
    const chunk = JSON.parse(await store.readResult(manifest.id, r.chunk)) as ChunkPredictions;
    await store.stageResultPieces(manifest.id, r.chunk, { csv: csvPiece(chunk, shape), json: jsonPiece(chunk, shape, r.chunk === 0) });
  }
  const head = { csv: csvHead(shape), json: jsonHead({ id: manifest.id, state: 'succeeded', complete: true, type: manifest.type }) };
  await store.assembleResults(manifest.id, manifest.chunks, head, { json: JSON_TAIL });
}

/**
 * Assembles a batch's results once its last chunk is done, given what is stored for it:
 * whoever sees that first (the instance scoring the last chunk, or a status request).
 * Whether this call assembled them.
 */
export async function assembleIfDone(store: BatchStore, manifest: BatchManifest, state: { results: ChunkResult[]; assembled: boolean }, columns: () => Promise<string[] | undefined>): Promise<boolean> {
  if (state.assembled || !allChunksDone(manifest, state.results)) return false;
  await assembleResults(store, manifest, state.results, await columns());
  return true;
}
