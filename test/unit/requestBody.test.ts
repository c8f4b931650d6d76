import { describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/errors.js';
import { parseJson, readRows } from '../../functions/scoring/requestBody.js';

const fails = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected an error');
};

describe('readRows', () => {
  it.each([
    ['records', { data: [{ x: 1 }, { x: 2 }] }, 'records', '/data/1/x'],
    ['one record', { data: { x: 1 } }, 'record', '/data/x'],
    ['legacy df', { df: [{ x: 1 }, { x: 2 }] }, 'df', '/df/1/x'],
    ['split', { columns: ['x'], data: [[1], [2]] }, 'split', '/data/1/0'],
  ])('reads %s', (_label, body, form, pointer) => {
    const rows = readRows(body, 10);
    expect(rows.form).toBe(form);
    expect(rows.rows.map((r) => (r as { x: number }).x)).toEqual(form === 'record' ? [1] : [1, 2]);
    expect(rows.pointer(form === 'record' ? 0 : 1, 'x')).toBe(pointer);
  });

  it('keeps the prediction type', () => {
    expect(readRows({ data: { x: 1 }, type: 'prob' }, 10).type).toBe('prob');
  });

  it('escapes field names in pointers', () => {
    expect(readRows({ data: [{}] }, 10).pointer(0, 'a/b~c')).toBe('/data/0/a~1b~0c');
  });

  it.each([
    ['a body that is not an object', [1, 2], 'invalid_request', undefined],
    ['no rows at all', { rows: [] }, 'invalid_request', '/rows'],
    ['an empty row list', { data: [] }, 'invalid_request', undefined],
    ['a type that is not a string', { data: {}, type: 3 }, 'invalid_request', '/type'],
    ['data that is neither rows nor a row', { data: 'x' }, 'invalid_request', '/data'],
    ['split columns that are not names', { columns: [1], data: [] }, 'invalid_request', '/columns'],
    ['a split column named twice', { columns: ['x', 'x'], data: [] }, 'invalid_request', '/columns/1'],
    ['a split row of the wrong length', { columns: ['x', 'y'], data: [[1, 2], [3]] }, 'invalid_request', '/data/1'],
  ])('refuses %s', (_label, body, code, pointer) => {
    const err = fails(() => readRows(body, 10));
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    if (pointer) expect(err.errors[0]?.pointer).toBe(pointer);
  });

  it('refuses more rows than the limit with a 413', () => {
    const err = fails(() => readRows({ data: [{}, {}, {}] }, 2));
    expect([err.code, err.status]).toEqual(['too_many_rows', 413]);
  });

  it('does not let a split column named __proto__ change a row\'s prototype', () => {
    const rows = readRows(JSON.parse('{"columns": ["__proto__"], "data": [[{"polluted": 1}]]}'), 10).rows;
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(Object.keys(rows[0] as object)).toEqual(['__proto__']);
  });
});

describe('parseJson', () => {
  it('answers malformed JSON with malformed_json', () => {
    expect(fails(() => parseJson('{"a": [1,')).code).toBe('malformed_json');
  });

  it('answers an empty body with invalid_request', () => {
    expect(fails(() => parseJson('  ')).code).toBe('invalid_request');
  });
});
