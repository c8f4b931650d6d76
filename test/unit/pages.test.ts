import { HttpRequest, InvocationContext } from '@azure/functions';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheControlOf, contentTypeOf, isPlainFileName, PAGE_CSP, pageFileResponse } from '../../functions/http/pageFile.js';

describe('page file names', () => {
  it.each(['index.html', 'main-CCP7V4VM.js', 'main-CCP7V4VM.js.map', 'main-LMVU7CJW.css', 'app.css', 'font_1-a.woff2', '_x.js'])('serves the plain name %s', (name) => {
    expect(isPlainFileName(name)).toBe(true);
  });

  it.each(['', '.', '..', '../host.json', '..\\host.json', 'a/b.js', '/etc/passwd', 'C:\\x.js', '.env', '.hidden.js', 'a..b.js', 'main.js\0.html', '%2e%2e', 'main js', 'x'.repeat(129)])(
    'refuses %j',
    (name) => {
      expect(isPlainFileName(name)).toBe(false);
    },
  );
});

describe('page content types and caching', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['main-CCP7V4VM.js', 'text/javascript; charset=utf-8'],
    ['main-LMVU7CJW.css', 'text/css; charset=utf-8'],
    ['main-CCP7V4VM.js.map', 'application/json; charset=utf-8'],
    ['icon.svg', 'image/svg+xml'],
    ['icon.PNG', 'image/png'],
    ['font.woff2', 'font/woff2'],
  ])('types %s as %s', (name, type) => {
    expect(contentTypeOf(name)).toBe(type);
  });

  it.each(['README.md', 'main.ts', 'model.rds', 'noextension', 'x.exe'])('has no type for %s, so it is never served', (name) => {
    expect(contentTypeOf(name)).toBeUndefined();
  });

  it.each([
    ['index.html', 'no-cache'],
    ['app.css', 'no-cache'],
    ['main-ccp7v4vm.js', 'no-cache'],
    ['main-CCP7V4VM.js', 'public, max-age=31536000, immutable'],
    ['main-CCP7V4VM.js.map', 'public, max-age=31536000, immutable'],
    ['main-LMVU7CJW.css', 'public, max-age=31536000, immutable'],
  ])('caches %s with %s', (name, cache) => {
    expect(cacheControlOf(name)).toBe(cache);
  });

  it('allows nothing but the page itself, the API and data: images', () => {
    expect(PAGE_CSP).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });
});

describe('pageFileResponse', () => {
  let root: string;
  let dir: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pages-'));
    dir = join(root, 'docs');
    await mkdir(join(dir, 'folder.js'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>docs</title>');
    await writeFile(join(dir, 'main-CCP7V4VM.js'), 'console.log(1)');
    await writeFile(join(dir, 'notes.md'), '# not served');
    await writeFile(join(root, 'secret.json'), '{"key":"secret"}');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** What the host hands the function for GET `path`, with the catch-all `file` as the router bound it. */
  const get = (path: string, file?: string) =>
    pageFileResponse(dir, 'docs', new HttpRequest({ method: 'GET', url: `http://localhost${path}`, params: file === undefined ? {} : { file } }), new InvocationContext({ invocationId: 'req-1' }));

  const headersOf = (res: { headers?: unknown }) => res.headers as Record<string, string>;

  it('redirects the bare page address to its folder, so relative links resolve under it', async () => {
    for (const res of [await get('/api/docs'), await get('/api/docs', '')]) {
      expect(res.status).toBe(301);
      expect(new URL(headersOf(res).location as string, 'http://localhost/api/docs').pathname).toBe('/api/docs/');
      expect(headersOf(res)['content-security-policy']).toBe(PAGE_CSP);
    }
  });

  it('serves index.html at the folder, with the CSP and no caching', async () => {
    const res = await get('/api/docs/', '');
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body as Uint8Array).toString()).toContain('<title>docs</title>');
    expect(headersOf(res)).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  });

  it('serves a bundle by its name, cached for good', async () => {
    const res = await get('/api/docs/main-CCP7V4VM.js', 'main-CCP7V4VM.js');
    expect(res.status).toBe(200);
    expect(headersOf(res)['content-type']).toBe('text/javascript; charset=utf-8');
    expect(headersOf(res)['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it.each([
    ['no such file', 'nothing.js'],
    ['a path out of the folder', '../secret.json'],
    ['a backslash path out of the folder', '..\\secret.json'],
    ['an absolute path', '/etc/passwd'],
    ['a file in a subfolder', 'folder.js/x.js'],
    ['a folder', 'folder.js'],
    ['a file of a kind pages do not have', 'notes.md'],
    ['a hidden name', '.env'],
  ])('answers 404 problem+json for %s', async (_why, file) => {
    const res = await get(`/api/docs/${encodeURIComponent(file)}`, file);
    expect(res.status).toBe(404);
    expect(headersOf(res)['content-type']).toBe('application/problem+json');
    expect(headersOf(res)['content-security-policy']).toBe(PAGE_CSP);
    const problem = JSON.parse(res.body as string) as { code: string; requestId: string; instance: string };
    expect(problem).toMatchObject({ code: 'file_not_found', requestId: 'req-1' });
    expect(res.body as string).not.toContain('"key"');
  });
});
