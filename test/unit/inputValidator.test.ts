import { describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/errors.js';
import { InputValidator, rowJsonSchema } from '../../functions/scoring/inputValidator.js';
import { parseModelSchema, type ModelSchema } from '../../functions/scoring/modelSchema.js';
import { readRows } from '../../functions/scoring/requestBody.js';

const schema: ModelSchema = parseModelSchema(
  JSON.stringify({
    schemaVersion: 1,
    features: [
      { name: 'x', type: 'numeric', nullable: false },
      { name: 'n', type: 'integer', nullable: false },
      { name: 'g', type: 'factor', levels: ['a', 'b'], nullable: true },
      { name: 'flag', type: 'logical', nullable: false },
      { name: 'note', type: 'character', nullable: true },
    ],
    output: { defaultType: 'response', types: { response: { kind: 'numeric' }, prob: { kind: 'probabilities', classes: ['a', 'b'] } } },
  }),
);
const validator = new InputValidator(schema);
const good = { x: 1.5, n: 2, g: 'a', flag: true, note: 'hi' };

function errorsOf(rows: unknown[]): AppError {
  try {
    validator.validate(readRows({ data: rows }, 100));
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a 422');
}

describe('InputValidator', () => {
  it('lays valid rows out by column, with null for absent nullable fields', () => {
    const batch = validator.validate(readRows({ data: [good, { x: 2, n: 3, flag: false }] }, 10));
    expect(batch).toEqual({
      rows: 2,
      type: 'response',
      columns: { x: [1.5, 2], n: [2, 3], g: ['a', null], flag: [true, false], note: ['hi', null] },
    });
  });

  it.each([
    ['a string for a number', { x: 'high' }, 'x', 'must be a number'],
    ['a fraction for an integer', { n: 2.5 }, 'n', 'must be an integer'],
    ['an integer beyond 32 bits', { n: 2 ** 53 + 2 }, 'n', 'must be a 32-bit integer'],
    ['a level unseen in training', { g: 'c' }, 'g', 'is not one of the levels seen in training: a, b'],
    ['a number for a logical', { flag: 1 }, 'flag', 'must be true or false'],
    ['null where the model cannot take it (jsonlite writes NA so)', { x: null }, 'x', 'is missing or NA; this model cannot score without it'],
    ['a missing required field (jsonlite drops NA fields)', { x: undefined }, 'x', 'is missing or NA; this model cannot score without it'],
    ['a field the model does not know', { extra: 1 }, 'extra', 'is not an input of this model'],
    ['an object for a number', { x: { nested: 1 } }, 'x', 'must be a number'],
  ])('refuses %s, naming the field, row and pointer', (_label, change, field, message) => {
    const err = errorsOf([good, { ...good, ...change }]);
    expect(err.code).toBe('invalid_input');
    expect(err.status).toBe(422);
    expect(err.errors).toContainEqual({ field, row: 1, message, pointer: `/data/1/${field}` });
  });

  it('reports every bad field of every row', () => {
    const err = errorsOf([{ ...good, x: 'a' }, good, { ...good, n: 0.5, g: 'z' }]);
    expect(err.errors.map((e) => `${e.row}:${e.field}`)).toEqual(['0:x', '2:n', '2:g']);
  });

  it('refuses a __proto__ key as an unknown field', () => {
    const err = errorsOf(JSON.parse('[{"x": 1, "n": 1, "flag": true, "__proto__": {"x": "polluted"}}]'));
    expect(err.errors).toContainEqual(expect.objectContaining({ field: '__proto__', message: 'is not an input of this model' }));
  });

  it.each(['valueOf', 'constructor', '__proto__', 'toString'])('refuses the prediction type %s, which every object inherits', (type) => {
    expect(() => validator.validate(readRows({ data: good, type }, 10))).toThrow(/offers the prediction types/);
  });

  it('refuses a prediction type the model does not offer, and takes one it does', () => {
    expect(() => validator.validate(readRows({ data: good, type: 'link' }, 10))).toThrow(/response, prob/);
    expect(validator.validate(readRows({ data: good, type: 'prob' }, 10)).type).toBe('prob');
  });

  it("takes jsonlite's \"_row\" as each row's name, and gives the names back", () => {
    const batch = validator.validate(readRows({ data: [{ _row: 'Mazda RX4', ...good }, good, { ...good, _row: 7 }] }, 10));
    expect(batch.rowNames).toEqual(['Mazda RX4', null, '7']);
    expect(Object.keys(batch.columns)).not.toContain('_row');
    expect(validator.validate(readRows({ data: [good] }, 10)).rowNames).toBeUndefined();
  });

  it('refuses a "_row" that is not a name, with the row\'s other errors', () => {
    const err = errorsOf([{ ...good, _row: { a: 1 }, x: 'high' }]);
    expect(err.errors).toEqual([
      { field: '_row', row: 0, message: 'must be a string (the row name)', pointer: '/data/0/_row' },
      { field: 'x', row: 0, message: 'must be a number', pointer: '/data/0/x' },
    ]);
  });

  it('treats "_row" as an input when the model has one of that name', () => {
    const own = new InputValidator(parseModelSchema(JSON.stringify({ features: [{ name: '_row', type: 'numeric' }] })));
    expect(own.validate(readRows({ data: [{ _row: 3 }] }, 10))).toMatchObject({ columns: { _row: [3] } });
    expect(own.validate(readRows({ data: [{ _row: 3 }] }, 10)).rowNames).toBeUndefined();
  });

  it('gives the JSON Schema of a row', () => {
    expect(rowJsonSchema(schema)).toMatchObject({
      required: ['x', 'n', 'flag'],
      additionalProperties: false,
      properties: { g: { type: ['string', 'null'], enum: ['a', 'b', null] }, x: { type: 'number' } },
    });
  });
});

describe('date, date-time and difftime inputs', () => {
  const timeSchema = parseModelSchema(
    JSON.stringify({
      features: [
        { name: 'day', type: 'date', min: '2024-01-01', max: '2024-03-31' },
        { name: 'at', type: 'datetime', timezone: 'America/New_York', min: '2024-01-01T05:00:00Z', max: '2024-03-31T04:00:00Z' },
        { name: 'wait', type: 'difftime', units: 'days', min: 0.5, max: 3 },
        { name: 'seen', type: 'date', nullable: true },
      ],
      output: { defaultType: 'response', types: { response: { kind: 'numeric' } } },
    }),
  );
  const times = new InputValidator(timeSchema);
  const row = { day: '2024-02-15', at: '2024-02-15T10:30:00Z', wait: 1.5, seen: '2023-12-31' };
  const refusal = (change: Record<string, unknown>): AppError => {
    try {
      times.validate(readRows({ data: [row, { ...row, ...change }] }, 10));
    } catch (err) {
      return err as AppError;
    }
    throw new Error('expected a 422');
  };

  it('takes ISO text for dates and date-times and a number for a difftime, and passes them on as sent', () => {
    const rows = [row, { day: '2024-02-29', at: '2024-02-15 10:30', wait: 2, seen: null }, { day: '2024-03-01', at: '2024-02-15T10:30:00.5-0500', wait: 0 }];
    expect(times.validate(readRows({ data: rows }, 10)).columns).toEqual({
      day: ['2024-02-15', '2024-02-29', '2024-03-01'],
      at: ['2024-02-15T10:30:00Z', '2024-02-15 10:30', '2024-02-15T10:30:00.5-0500'],
      wait: [1.5, 2, 0],
      seen: ['2023-12-31', null, null],
    });
  });

  it.each([
    ['a day that is not in the calendar', { day: '2024-02-30' }, 'day', 'must be a date (YYYY-MM-DD)'],
    ['a date in another form', { day: '15/02/2024' }, 'day', 'must be a date (YYYY-MM-DD)'],
    ['a number for a date', { day: 19768 }, 'day', 'must be a date (YYYY-MM-DD)'],
    ['a number for a nullable date', { seen: 19768 }, 'seen', 'must be a date (YYYY-MM-DD)'],
    ['a date for a date-time', { at: '2024-02-15' }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
    ['an hour past 23', { at: '2024-02-15T25:00:00Z' }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
    ['a boolean for a date-time', { at: true }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
    ["a time New York's clocks skip", { at: '2024-03-10 02:30' }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
    ['text for a difftime', { wait: '1.5 days' }, 'wait', 'must be a number (of days)'],
    ['null for a date the model needs', { day: null }, 'day', 'is missing or NA; this model cannot score without it'],
    ['null for a difftime the model needs', { wait: null }, 'wait', 'is missing or NA; this model cannot score without it'],
  ])('refuses %s with 422, naming the field, row and pointer', (_label, change, field, message) => {
    const err = refusal(change);
    expect(err.status).toBe(422);
    expect(err.errors).toEqual([{ field, row: 1, message, pointer: `/data/1/${field}` }]);
  });

  it('describes them in the row schema: formats, the time zone, the units', () => {
    const { properties } = rowJsonSchema(timeSchema) as { properties: Record<string, Record<string, unknown>> };
    expect(properties.day).toMatchObject({ type: 'string', format: 'date' });
    expect(properties.at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(properties.at?.description).toContain('America/New_York');
    expect(properties.wait).toMatchObject({ type: 'number' });
    expect(properties.wait?.description).toContain('days');
    expect(properties.seen).toMatchObject({ type: ['string', 'null'], format: 'date' });
  });

  it('keeps the time zone (UTC when R stored none), the units and the ranges from model.json', () => {
    const s = parseModelSchema(
      '{"features":[{"name":"at","type":"datetime","timezone":"","min":"2024-01-01T00:00:00Z","max":"2024-02-01T00:00:00Z"},{"name":"w","type":"difftime","units":["hours"],"min":1,"max":2},{"name":"d","type":"date","min":"2024-01-01","max":"2024-02-01"}]}',
    );
    expect(s.features).toEqual([
      { name: 'at', type: 'datetime', nullable: false, timezone: 'UTC', min: '2024-01-01T00:00:00Z', max: '2024-02-01T00:00:00Z' },
      { name: 'w', type: 'difftime', nullable: false, units: 'hours', min: 1, max: 2 },
      { name: 'd', type: 'date', nullable: false, min: '2024-01-01', max: '2024-02-01' },
    ]);
  });
});

describe('a character input with training values', () => {
  const v = new InputValidator(parseModelSchema('{"features":[{"name":"sex","type":"character","levels":["F","M"]},{"name":"note","type":"character","nullable":true}]}'));

  it('takes them and refuses others as unseen levels', () => {
    expect(v.validate(readRows({ data: [{ sex: 'M', note: 'any' }] }, 10)).columns).toEqual({ sex: ['M'], note: ['any'] });
    try {
      v.validate(readRows({ data: [{ sex: 'X' }] }, 10));
      throw new Error('expected a 422');
    } catch (err) {
      expect((err as AppError).errors).toEqual([{ field: 'sex', row: 0, message: 'is not one of the levels seen in training: F, M', pointer: '/data/0/sex' }]);
    }
  });
});

describe('parseModelSchema', () => {
  it('reads what R unboxed: one level, one class, one package', () => {
    const s = parseModelSchema('{"features":[{"name":"g","type":"factor","levels":"only"}],"packages":"randomForest","output":{"defaultType":"prob","types":{"prob":{"kind":"probabilities","classes":"yes"}}}}');
    expect(s.features[0]?.levels).toEqual(['only']);
    expect(s.packages).toEqual(['randomForest']);
    expect(s.output.types.prob?.classes).toEqual(['yes']);
  });

  it("keeps each type's R call and a values output's names", () => {
    const s = parseModelSchema(
      '{"features":[{"name":"x","type":"numeric"}],"output":{"defaultType":"class","types":{"class":{"kind":"class","call":{"type":null,"field":"class"}},"terms":{"kind":"values","columns":["a","b"],"call":{"type":"terms"}}}}}',
    );
    expect(s.output.types.class?.call).toEqual({ type: null, field: 'class' });
    expect(s.output.types.terms).toEqual({ kind: 'values', columns: ['a', 'b'], call: { type: 'terms' } });
  });

  it.each([
    ['no features', '{"features": []}'],
    ['an unknown type', '{"features": [{"name": "a", "type": "complex"}]}'],
    ['a difftime without units', '{"features": [{"name": "a", "type": "difftime"}]}'],
    ['a difftime of other units', '{"features": [{"name": "a", "type": "difftime", "units": "months"}]}'],
    ['a factor without levels', '{"features": [{"name": "a", "type": "factor"}]}'],
  ])('refuses a schema with %s', (_label, text) => {
    expect(() => parseModelSchema(text)).toThrow(/model.json/);
  });
  it('gives one message for a factor sent as a number, not a type and a level error', () => {
    const err = errorsOf([{ ...good, g: 1 }]);
    expect(err.errors).toEqual([{ field: 'g', row: 0, message: 'must be a string or null', pointer: '/data/0/g' }]);
  });
});
