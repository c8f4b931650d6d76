import { describe, expect, it } from 'vitest';
import { publishPartsProblem } from '../../functions/http/publishParts.js';

/** A publish form with these parts: a string is a text field, a Blob a file. */
function form(parts: Record<string, string | Blob>): FormData {
  const f = new FormData();
  for (const [name, value] of Object.entries(parts)) {
    if (typeof value === 'string') f.set(name, value);
    else f.set(name, value, `${name}.bin`);
  }
  return f;
}
const file = () => new Blob([Buffer.from('x')]);

describe('the parts of a publish request', () => {
  it('takes the files model and prototype, optionally score, and the known fields', () => {
    expect(publishPartsProblem(form({ model: file(), prototype: file() }))).toBeUndefined();
    expect(publishPartsProblem(form({ model: file(), prototype: file(), score: file(), response: 'medv', types: 'a,b', aliases: 'x', logSample: '0.1', logBatches: 'true', sensitive: 's' }))).toBeUndefined();
  });

  it.each([
    [{ model: file() }, "The file 'prototype' is needed.", ['prototype']],
    [{}, "The files 'model' and 'prototype' are needed.", ['model', 'prototype']],
    [{ model: 'model.rds', prototype: file() }, "The part 'model' must be a file, sent as curl -F model=@path sends one (with the @).", ['model']],
  ] as const)('names what is missing or wrong, singular or plural: %j', (parts, detail, fields) => {
    const problem = publishPartsProblem(form(parts as Record<string, string | Blob>));
    expect(problem?.code).toBe('invalid_request');
    expect(problem?.status).toBe(400);
    expect(problem?.message).toBe(detail);
    expect(problem?.errors.map((e) => e.field)).toEqual(fields);
    expect(problem?.errors.map((e) => e.pointer)).toEqual(fields.map((f) => `/${f}`));
  });

  it('refuses an unknown part by its name, with the parts it takes, and says what else is wrong in the same answer', () => {
    const problem = publishPartsProblem(form({ models: file(), prototype: file() }));
    expect(problem?.message).toBe(
      "The part 'models' is unknown: the parts are the files 'model', 'prototype' and, optionally, 'score', and the fields 'response', 'types', 'aliases', 'logSample', 'logBatches' and 'sensitive'. The file 'model' is needed.",
    );
    expect(problem?.errors).toEqual([
      { field: 'models', message: 'is not a part of a publish request', pointer: '/models' },
      { field: 'model', message: 'is a required file', pointer: '/model' },
    ]);
    expect(publishPartsProblem(form({ model: file(), prototype: file(), alias: 'x', force: 'true' }))?.message).toMatch(/^The parts 'alias' and 'force' are unknown: /);
  });
});
