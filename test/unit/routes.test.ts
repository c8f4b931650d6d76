import { describe, expect, it } from 'vitest';
import { matchRoute, routeSpecificity } from '../host/routes.js';

describe('test host route matching', () => {
  it.each([
    ['score', 'score', {}],
    ['models/{name}/score', 'models/boston/score', { name: 'boston' }],
    ['models/{name}/versions/{version}/score', 'models/a/versions/production/score', { name: 'a', version: 'production' }],
    ['models/{name}', 'Models/a%20b', { name: 'a b' }],
    ['batches/{id?}', 'batches', {}],
    ['files/{*path}', 'files/a/b/c', { path: 'a/b/c' }],
  ])('%s matches %s', (template, path, params) => {
    expect(matchRoute(template, path)?.params).toEqual(params);
  });

  it.each([
    ['models/{name}', 'models/a/score'],
    ['models/{name}/score', 'models/a'],
    ['score', 'scores'],
  ])('%s does not match %s', (template, path) => {
    expect(matchRoute(template, path)).toBeUndefined();
  });

  it('ranks literal segments above parameters', () => {
    expect(routeSpecificity('models/{name}/score')).toBeGreaterThan(routeSpecificity('models/{name}/{other}'));
  });
});
