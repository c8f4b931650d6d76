import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { AppError, problemResponse } from '../errors.js';
import { answerError } from './respond.js';

/**
 * What a page may load: its own files and the API on this origin, nothing else. Swagger UI
 * runs under it unrelaxed: it needs no inline script or eval, styles elements through the
 * CSSOM (which style-src does not govern), and its stylesheet's icons are data: URLs.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** On every answer from a page route, the file, a redirect or a 404 alike. */
export const pageHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

/** The content type of a page file, by its extension; undefined for a kind the pages never have. */
export function contentTypeOf(name: string): string | undefined {
  return contentTypes[extname(name).toLowerCase()];
}

/** One plain file name: no folder, no leading dot (so no "." or ".."), no "..", nothing but letters, digits, "_", "-" and ".". */
export function isPlainFileName(name: string): boolean {
  return name.length <= 128 && /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name) && !name.includes('..');
}

/**
 * The build names bundles by their content (`main-7KQ2ZJ4M.js`), so such a file never
 * changes: cached for a year. Anything else (index.html above all, which names the current
 * bundles) is revalidated on every use.
 */
export function cacheControlOf(name: string): string {
  return /-[A-Z0-9]{8}\.[a-z0-9.]+$/.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * GET /api/<page>/<file>: `file` from `dir` (a page's built folder), index.html for none.
 * The bare page address redirects to the page's folder (`/api/docs` to `/api/docs/`), so the
 * page's relative links resolve under it. A name that is not plain, of a kind the pages do
 * not have, or of no file in `dir` is a 404 problem.
 */
export async function pageFileResponse(dir: string, page: string, request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const path = new URL(request.url).pathname;
  const file = request.params.file ?? '';
  if (file === '' && !path.endsWith('/')) {
    // Relative to /api/<page>: resolves to /api/<page>/ whatever the route prefix or proxy.
    return { status: 301, headers: { ...pageHeaders, location: `${page}/`, 'cache-control': 'no-cache' } };
  }
  const name = file === '' ? 'index.html' : file;
  const type = contentTypeOf(name);
  const withPageHeaders = (answer: HttpResponseInit) => ({ ...answer, headers: { ...(answer.headers as Record<string, string>), ...pageHeaders } });
  const notFound = () => withPageHeaders(problemResponse(new AppError('file_not_found', `The ${page} page has no file "${name}".`), { instance: path, requestId: context.invocationId }));
  if (!isPlainFileName(name) || type === undefined) return notFound();
  try {
    const body = await readFile(join(dir, name));
    return { status: 200, headers: { ...pageHeaders, 'content-type': type, 'cache-control': cacheControlOf(name) }, body };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') return notFound();
    return withPageHeaders(answerError(err, request, context));
  }
}
