import { describe, expect, it } from 'vitest';
import { blockId, blockList, chunkOfBlock, csvHead, csvPiece, jsonHead, jsonPiece, JSON_TAIL } from '../../functions/batch/batchResults.js';
import { deriveStatus, submissionStatus, type BatchManifest, type Submission } from '../../functions/batch/batchState.js';

const shape = { named: false };

describe('results pieces', () => {
  it('join into one valid JSON document, chunk by chunk, in row order', () => {
    const chunks = [
      { offset: 0, predictions: [1.5, null] },
      { offset: 2, predictions: [{ a: 0.25, b: 0.75 }] },
      { offset: 3, predictions: ['x'] },
    ];
    const text = jsonHead({ id: 'b1', state: 'succeeded', complete: true, type: 'response' }) + chunks.map((c, i) => jsonPiece(c, shape, i === 0)).join('') + JSON_TAIL;
    expect(JSON.parse(text)).toEqual({
      id: 'b1',
      state: 'succeeded',
      complete: true,
      type: 'response',
      results: [
        { row: 0, prediction: 1.5 },
        { row: 1, prediction: null },
        { row: 2, prediction: { a: 0.25, b: 0.75 } },
        { row: 3, prediction: 'x' },
      ],
    });
  });

  it('carry row names when the batch has them (null for a row without one)', () => {
    const piece = jsonPiece({ offset: 0, predictions: [1, 2], rowNames: ['Mazda RX4', null] }, { named: true }, true);
    expect(JSON.parse(`[${piece}]`)).toEqual([
      { row: 0, rowName: 'Mazda RX4', prediction: 1 },
      { row: 1, rowName: null, prediction: 2 },
    ]);
  });

  it('write CSV with RFC 4180 quoting, a column per class, and the exact doubles', () => {
    expect(csvHead({ columns: ['Adelie', 'Gentoo'], named: true })).toBe('row,rowName,Adelie,Gentoo\n');
    expect(csvPiece({ offset: 10, predictions: [{ Adelie: 0.1, Gentoo: 0.9 }], rowNames: ['a,"b"'] }, { columns: ['Adelie', 'Gentoo'], named: true })).toBe('10,"a,""b""",0.1,0.9\n');
    expect(csvPiece({ offset: 0, predictions: [0.1 + 0.2, null, 'x\ny'] }, shape)).toBe('0,0.30000000000000004\n1,\n2,"x\ny"\n');
  });

  it('name blocks with ids of one length, and find a chunk from its id', () => {
    const ids = blockList(3, true);
    expect(ids).toHaveLength(5);
    expect(new Set(ids.map((id) => id.length)).size).toBe(1);
    expect(ids.map(chunkOfBlock)).toEqual([undefined, 0, 1, 2, undefined]);
    expect(blockList(2, false)).toEqual([blockId('head'), blockId('chunk', 0), blockId('chunk', 1)]);
    expect(chunkOfBlock(blockId('chunk', 123456))).toBe(123456);
  });
});

describe('batch states around uploads and assembly', () => {
  const manifest: BatchManifest = { id: 'b', model: { name: 'm', version: '1' }, type: 'response', output: 'json', rows: 4, chunkRows: 2, chunks: 2, columns: ['x'], createdAt: '2026-11-22T00:00:00.000Z' };
  const done = (chunk: number) => ({ chunk, rows: 2, startedAt: '2026-11-22T00:00:01.000Z', finishedAt: '2026-11-22T00:00:02.000Z' });

  it('is running, not succeeded, until every chunk is done and the results are assembled', () => {
    expect(deriveStatus(manifest, [done(0), done(1)], [], undefined, false)).toMatchObject({ state: 'running', finishedAt: null, chunks: { done: 2 } });
    expect(deriveStatus(manifest, [done(0), done(1)], [], undefined, true)).toMatchObject({ state: 'succeeded', finishedAt: '2026-11-22T00:00:02.000Z' });
  });

  const sub: Submission = { id: 'b', model: manifest.model, type: 'response', options: { type: undefined, chunkRows: 2, output: 'json' }, blob: 'uploads/x.csv', createdAt: manifest.createdAt };

  it('shows an uploaded input as validating, with no totals yet; cancelled; or failed with its problem', () => {
    expect(submissionStatus(sub, undefined)).toMatchObject({ state: 'validating', rows: { total: null }, chunks: { total: null, pending: null }, finishedAt: null });
    expect(submissionStatus(sub, undefined, true).state).toBe('cancelled');
    const problem = { type: 'urn:r-scoring:error:invalid_input', title: 'Invalid input', status: 422, code: 'invalid_input' as const, detail: '1 row', errors: [{ field: 'x', row: 3, message: 'is not a number', pointer: '/rows/3/x' }] };
    expect(submissionStatus(sub, { at: '2026-11-22T00:00:05.000Z', problem })).toMatchObject({ state: 'failed', problem, durationMs: 5000 });
  });
});
