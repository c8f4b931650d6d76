import { app, type HttpHandler } from '@azure/functions';
import { join } from 'node:path';
import { pagesDir } from '../paths.js';
import { pageFileResponse } from './pageFile.js';

/**
 * The browser pages, each built into dist/pages/<page>/ by scripts/buildPages.ts: the API
 * reference (Swagger UI) and the console. They are static files and need no key; what they
 * show comes from the API, which needs the key the user gives the page.
 */
export const pages = ['docs', 'console'] as const;

/** GET /api/<page> and GET /api/<page>/{*file}: the page's index.html and its assets. */
export function pageHandler(page: string, dir = join(pagesDir, page)): HttpHandler {
  return (request, context) => pageFileResponse(dir, page, request, context);
}

for (const page of pages) {
  const handler = pageHandler(page);
  app.http(`${page}Page`, { route: page, methods: ['GET'], authLevel: 'anonymous', handler });
  app.http(`${page}Asset`, { route: `${page}/{*file}`, methods: ['GET'], authLevel: 'anonymous', handler });
}
