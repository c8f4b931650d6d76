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
    // "Catch-all parameters can also match the empty string" (dotnet/AspNetCore.Docs
    // aspnetcore/fundamentals/routing.md): docs/{*file} serves /api/docs and /api/docs/ too.
    ['docs/{*file}', 'docs', { file: '' }],
    ['docs/{*file}', 'docs/', { file: '' }],
    ['docs/{*file}', 'Docs/main-CCP7V4VM.js', { file: 'main-CCP7V4VM.js' }],
    ['docs/{*file}', 'docs/..%2Fhost.json', { file: '../host.json' }],
  ])('%s matches %s', (template, path, params) => {
    expect(matchRoute(template, path)?.params).toEqual(params);
  });

  it.each([
    ['models/{name}', 'models/a/score'],
    ['models/{name}/score', 'models/a'],
    ['score', 'scores'],
    ['docs/{*file}', 'docsx/main.js'],
    ['docs/{*file}', 'console/main.js'],
  ])('%s does not match %s', (template, path) => {
    expect(matchRoute(template, path)).toBeUndefined();
  });

  it('ranks literal segments above parameters', () => {
    expect(routeSpecificity('models/{name}/score')).toBeGreaterThan(routeSpecificity('models/{name}/{other}'));
  });
});
