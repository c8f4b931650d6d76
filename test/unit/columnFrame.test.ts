import { describe, expect, it } from 'vitest';
import { ColumnFrame, decodeFrame, frameHeader } from '../../functions/batch/columnFrame.js';
import type { Feature } from '../../functions/scoring/modelSchema.js';
import { decodeDoubles, splitPredictions } from '../../functions/workers/scoreCall.js';

const features: Feature[] = [
  { name: 'x', type: 'numeric', nullable: true },
  { name: 'n', type: 'integer', nullable: true },
  { name: 'g', type: 'factor', levels: ['a', 'b'], nullable: true },
  { name: 'ok', type: 'logical', nullable: true },
  { name: 's', type: 'character', nullable: true },
];

/** The header and the binary part of an encoded frame. */
function split(frame: Buffer): { header: Record<string, unknown>; body: Buffer } {
  const nl = frame.indexOf(10);
  return { header: JSON.parse(frame.subarray(0, nl).toString()) as Record<string, unknown>, body: frame.subarray(nl + 1) };
}

describe('ColumnFrame', () => {
  it('writes a header line, then each column little-endian, with R\'s NA patterns', () => {
    const frame = new ColumnFrame(features, 'response', 4);
    expect(frame.push([0.1, 7, 'b', true, 'hé'])).toBe(-1);
    expect(frame.push([null, null, null, null, null])).toBe(-1);
    expect(frame.push([-1e-300, -2147483647, 'a', false, ''])).toBe(-1);
    expect(frame.rows).toBe(3);
    const encoded = frame.encode();
    const { header, body } = split(encoded);
    expect(header).toEqual({
      type: 'response',
      rows: 3,
      columns: [
        { name: 'x', kind: 'double' },
        { name: 'n', kind: 'integer' },
        { name: 'g', kind: 'factor', levels: ['a', 'b'] },
        { name: 'ok', kind: 'logical' },
        { name: 's', kind: 'string', values: ['hé', null, ''] },
      ],
    });
    expect(body.length).toBe(3 * 8 + 3 * 4 * 3);
    expect(body.readDoubleLE(0)).toBe(0.1);
    // NA_real_: a NaN whose low word is 1954.
    expect(body.readUInt32LE(8)).toBe(1954);
    expect(body.readUInt32LE(12)).toBe(0x7ff00000);
    expect(body.readDoubleLE(16)).toBe(-1e-300);
    const ints = (offset: number) => [0, 1, 2].map((i) => body.readInt32LE(offset + 4 * i));
    expect(ints(24)).toEqual([7, -2147483648, -2147483647]);
    expect(ints(36)).toEqual([2, -2147483648, 1]);
    expect(ints(48)).toEqual([1, -2147483648, 0]);
    expect(frameHeader(encoded).rows).toBe(3);
  });

  it.each([
    ['a string for a number', ['1', 1, 'a', true, 's'], 0],
    ['an infinite number', [Infinity, 1, 'a', true, 's'], 0],
    ['a fraction for an integer', [1, 1.5, 'a', true, 's'], 1],
    ['an integer past 32 bits', [1, 2 ** 31, 'a', true, 's'], 1],
    ['a level not seen in training', [1, 1, 'c', true, 's'], 2],
    ['a number for a level', [1, 1, 1, true, 's'], 2],
    ['a string for a logical', [1, 1, 'a', 'TRUE', 's'], 3],
    ['a number for a string', [1, 1, 'a', true, 5], 4],
    ['a string past 10,000 characters', [1, 1, 'a', true, 'x'.repeat(10_001)], 4],
  ])('refuses %s, naming the feature', (_label, values, index) => {
    const frame = new ColumnFrame(features, 'response', 2);
    expect(frame.push(values)).toBe(index);
    expect(frame.rows).toBe(0);
  });

  it('carries row names in its header once a row has one, and none otherwise', () => {
    const frame = new ColumnFrame([{ name: 'x', type: 'numeric' }], 'response', 3);
    frame.push([1]);
    frame.push([2], 'Mazda RX4');
    expect(frameHeader(frame.encode())).toEqual({ rows: 2, rowNames: [null, 'Mazda RX4'] });
    const plain = new ColumnFrame([{ name: 'x', type: 'numeric' }], 'response', 3);
    plain.push([1], null);
    expect(frameHeader(plain.encode())).toEqual({ rows: 1 });
  });

  it('counts string length in characters, as the row schema does', () => {
    const frame = new ColumnFrame(features, 'response', 1);
    expect(frame.push([1, 1, 'a', true, '😀'.repeat(10_000)])).toBe(-1);
  });

  it('refuses null where a feature is not nullable, and a misfit leaves no trace in the next row', () => {
    const strict = features.map((f) => ({ ...f, nullable: false }));
    const frame = new ColumnFrame(strict, 'response', 2);
    strict.forEach((_, i) => {
      const values: unknown[] = [1, 1, 'a', true, 's'];
      values[i] = null;
      expect(frame.push(values)).toBe(i);
    });
    expect(frame.push([2.5, 3, 'b', false, 't'])).toBe(-1);
    const { header, body } = split(frame.encode());
    expect(header.rows).toBe(1);
    expect(body.readDoubleLE(0)).toBe(2.5);
    expect(frame.misfit([2.5, 3, 'b', false, 't'])).toBe(-1);
    expect(frame.rows).toBe(1);
  });
});

describe('date, date-time and difftime columns', () => {
  const times: Feature[] = [
    { name: 'day', type: 'date', nullable: true },
    { name: 'at', type: 'datetime', timezone: 'America/New_York', nullable: false },
    { name: 'wait', type: 'difftime', units: 'days', nullable: true },
  ];

  it('go as strings of their ISO text and as doubles, for R to make Date, POSIXct and difftime', () => {
    const frame = new ColumnFrame(times, 'response', 3);
    expect(frame.push(['2024-02-15', '2024-02-15T10:30:00Z', 1.5])).toBe(-1);
    expect(frame.push([null, '2024-02-15 10:30', null])).toBe(-1);
    const encoded = frame.encode();
    expect(split(encoded).header.columns).toEqual([
      { name: 'day', kind: 'string', values: ['2024-02-15', null] },
      { name: 'at', kind: 'string', values: ['2024-02-15T10:30:00Z', '2024-02-15 10:30'] },
      { name: 'wait', kind: 'double' },
    ]);
    expect(decodeFrame(encoded).columns).toEqual({ day: ['2024-02-15', null], at: ['2024-02-15T10:30:00Z', '2024-02-15 10:30'], wait: [1.5, null] });
  });

  it.each([
    ['a day not in the calendar', ['2024-02-30', '2024-02-15T10:30Z', 1], 0],
    ['a number for a date', [19768, '2024-02-15T10:30Z', 1], 0],
    ['a date for a date-time', ['2024-02-15', '2024-02-15', 1], 1],
    ["a time New York's clocks skip", ['2024-03-10', '2024-03-10 02:30', 1], 1],
    ['null for a date-time the model needs', ['2024-02-15', null, 1], 1],
    ['text for a difftime', ['2024-02-15', '2024-02-15T10:30Z', '1 days'], 2],
  ])('refuse %s, as the row schema does', (_label, values, index) => {
    expect(new ColumnFrame(times, 'response', 1).push(values)).toBe(index);
  });

  it("refuse a character input's value outside its training values", () => {
    const frame = new ColumnFrame([{ name: 'sex', type: 'character', levels: ['F', 'M'] }], 'response', 2);
    expect(frame.push(['X'])).toBe(0);
    expect(frame.push(['M'])).toBe(-1);
  });
});

describe('decodeFrame', () => {
  it('gives back every kind of value encoded, NA as null, row names included', () => {
    const rows: [unknown[], string | null][] = [
      [[0.1, 7, 'b', true, 'hé'], 'first'],
      [[null, null, null, null, null], null],
      [[-1e-300, -2147483647, 'a', false, ''], 'third'],
      [[5e-324, 2147483647, 'b', null, '😀'], null],
      [[-0, 0, null, true, null], 'last'],
    ];
    const frame = new ColumnFrame(features, 'response', 8);
    for (const [values, name] of rows) expect(frame.push(values, name)).toBe(-1);
    const decoded = decodeFrame(frame.encode());
    expect(decoded.rows).toBe(5);
    expect(decoded.rowNames).toEqual(['first', null, 'third', null, 'last']);
    expect(Object.keys(decoded.columns)).toEqual(['x', 'n', 'g', 'ok', 's']);
    features.forEach((f, i) => expect(decoded.columns[f.name]).toEqual(rows.map(([values]) => values[i])));
    // Exact doubles, down to the sign of zero and the smallest subnormal.
    expect(Object.is(decoded.columns.x?.[4], -0)).toBe(true);
    expect(decoded.columns.x?.[3]).toBe(5e-324);
  });

  it('reads a frame with no rows, and one without row names', () => {
    expect(decodeFrame(new ColumnFrame(features, 'response', 2).encode())).toEqual({ rows: 0, columns: { x: [], n: [], g: [], ok: [], s: [] } });
    const frame = new ColumnFrame([{ name: 'x', type: 'numeric' }], 'response', 2);
    frame.push([1.5]);
    expect(decodeFrame(frame.encode())).toEqual({ rows: 1, columns: { x: [1.5] } });
  });

  it('refuses bytes that do not hold what the header announces', () => {
    const frame = new ColumnFrame(features, 'response', 2);
    frame.push([1, 2, 'a', true, 's']);
    const encoded = frame.encode();
    expect(() => decodeFrame(encoded.subarray(0, encoded.length - 1))).toThrow(/ends inside column "ok"/);
    expect(() => decodeFrame(Buffer.from('{"rows":1}'))).toThrow(/no header line/);
    expect(() => decodeFrame(Buffer.from('{"rows":1,"columns":[{"name":"z","kind":"complex"}]}\n'))).toThrow(/unknown kind/);
    const badLevel = Buffer.concat([Buffer.from('{"rows":1,"columns":[{"name":"g","kind":"factor","levels":["a"]}]}\n'), Buffer.from(new Int32Array([2]).buffer)]);
    expect(() => decodeFrame(badLevel)).toThrow(/level code 2 of 1/);
  });
});

describe('R replies with base64 doubles', () => {
  it('reads them exactly, and NA, NaN and infinities as null', () => {
    const values = [0.1, -0, 5e-324, 1.7976931348623157e308, NaN, Infinity];
    const buffer = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => buffer.writeDoubleLE(v, i * 8));
    const decoded = decodeDoubles(buffer.toString('base64'));
    expect(decoded.slice(0, 4).every((v, i) => Object.is(v, values[i]))).toBe(true);
    expect(decoded.slice(4)).toEqual([null, null]);
  });

  it('splits predictions64 like a JSON array', () => {
    const buffer = Buffer.alloc(24);
    [1.5, 2.5, 3.5].forEach((v, i) => buffer.writeDoubleLE(v, i * 8));
    const body = JSON.stringify({ type: 'response', rows: 3, predictions64: buffer.toString('base64') });
    expect(splitPredictions(body, [1, 2])).toEqual([
      { type: 'response', predictions: [1.5] },
      { type: 'response', predictions: [2.5, 3.5] },
    ]);
    expect(() => splitPredictions(body, [4])).toThrow(/3 predictions for 4 rows/);
  });
});
