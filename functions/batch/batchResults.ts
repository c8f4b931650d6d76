import { csvLines } from './csvCells.js';

/**
 * A batch's results as text, one piece per chunk, so that the pieces of a finished batch
 * join into one CSV and one JSON document in Blob Storage without passing through the app:
 * each chunk stages its pieces as blocks of the results blobs, and the last step commits
 * the block list (head, every chunk in order, tail). The CSV's text cells (row names,
 * classes, text values, class names in its head) are guarded against formula injection
 * (csvCells.ts); JSON carries every value as it is. Pure: no I/O here.
 */

/** One chunk's predictions, as stored: its first row's index, and the row names if any. */
export interface ChunkPredictions {
  offset: number;
  predictions: unknown[];
  rowNames?: (string | null)[];
}

export interface ResultShape {
  /** Class or value names of a multi-column output (one CSV column each). */
  columns?: string[];
  /** The input named its rows: a rowName column / member. */
  named: boolean;
}

export type ResultFormat = 'csv' | 'json';

export function csvHead(shape: ResultShape): string {
  return csvLines([['row', ...(shape.named ? ['rowName'] : []), ...(shape.columns ?? ['prediction'])]]);
}

export function csvPiece(chunk: ChunkPredictions, shape: ResultShape): string {
  const { columns } = shape;
  return csvLines(
    chunk.predictions.map((p, i) => [
      chunk.offset + i,
      ...(shape.named ? [chunk.rowNames?.[i] ?? ''] : []),
      ...(columns && p && typeof p === 'object' ? columns.map((c) => (p as Record<string, unknown>)[c] ?? '') : [p !== null && typeof p === 'object' ? JSON.stringify(p) : (p ?? '')]),
    ]),
  );
}

export function jsonHead(batch: { id: string; state: string; complete: boolean; type: string }): string {
  return `{"id":${JSON.stringify(batch.id)},"state":${JSON.stringify(batch.state)},"complete":${batch.complete},"type":${JSON.stringify(batch.type)},"results":[`;
}

/** A chunk's results entries; every chunk but the first starts with the comma that joins it to the one before. */
export function jsonPiece(chunk: ChunkPredictions, shape: ResultShape, first: boolean): string {
  const parts = chunk.predictions.map(
    (p, i) => `{"row":${chunk.offset + i},${shape.named ? `"rowName":${JSON.stringify(chunk.rowNames?.[i] ?? null)},` : ''}"prediction":${JSON.stringify(p ?? null)}}`,
  );
  return (first ? '' : ',') + parts.join(',');
}

export const JSON_TAIL = ']}';

/** Block ids of a results blob: all the same length, as Blob Storage requires. */
export const blockId = (kind: 'head' | 'chunk' | 'tail', n = 0): string => Buffer.from(`${kind[0]}${String(n).padStart(9, '0')}`).toString('base64');

/** The chunk a block id stands for, if it is a chunk's. */
export function chunkOfBlock(id: string): number | undefined {
  const m = /^c(\d{9})$/.exec(Buffer.from(id, 'base64').toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** The committed order: head, each chunk, and the tail if the format has one. */
export const blockList = (chunks: number, tail: boolean): string[] => [
  blockId('head'),
  ...Array.from({ length: chunks }, (_, i) => blockId('chunk', i)),
  ...(tail ? [blockId('tail')] : []),
];

/** A results blob holds at most 50,000 committed blocks: a batch may have this many chunks. */
export const MAX_CHUNKS = 49_998;
