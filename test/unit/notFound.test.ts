import { describe, expect, it } from 'vitest';
import { knownVersions, modelNotFound, someNames, versionNotFound } from '../../functions/models/notFound.js';

describe('404s that name what exists', () => {
  it('lists the first names, then how many more', () => {
    expect(someNames([])).toBe('none');
    expect(someNames(['a', 'b'])).toBe('"a", "b"');
    expect(someNames(['a', 'b', 'c', 'd'], 2)).toBe('"a", "b" and 2 more');
  });

  it('names the models there are for an unknown model, and the versions and aliases for an unknown version', () => {
    const model = modelNotFound('bostn-rf', ['boston-rf', 'mtcars-lm']);
    expect(model.code).toBe('model_not_found');
    expect(model.status).toBe(404);
    expect(model.message).toBe('There is no model named "bostn-rf". Models: "boston-rf", "mtcars-lm".');
    const version = versionNotFound('boston-rf', '9', { versions: ['1', '2'], aliases: { latest: '2', production: '1' } });
    expect(version.code).toBe('version_not_found');
    expect(version.message).toBe('Model "boston-rf" has no version or alias "9". Versions: "1", "2". Aliases: "latest", "production".');
    expect(knownVersions({ versions: [], aliases: {} })).toBe('Versions: none. Aliases: none.');
  });
});
