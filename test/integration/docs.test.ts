/**
 * The API reference at /api/docs/, in headless Chromium against the real app (test host,
 * Azurite, R workers): Swagger UI under the pages' Content-Security-Policy, every route of
 * the OpenAPI document, and "Try it out" with a key the user pastes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CSP } from '../../functions/http/pageFile.js';
import { pagesDir } from '../../functions/paths.js';
import { launchBrowser, openPage, withScreenshot } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(join(pagesDir, 'docs', 'index.html'))) throw new Error('dist/pages/docs/ is not built: run `npm run build` first');
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The local files index.html names (src and href). */
const linksOf = (html: string) => [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string).filter((l) => !l.startsWith('data:'));

/** Every operation of the OpenAPI document, as [method, path]. */
async function operations(): Promise<[string, string][]> {
  const doc = (await (await stack.call('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m): [string, string] => [m, path]));
}

/** Opens Swagger UI's Authorize dialog, gives `key` as the function key, and closes it. */
async function authorize(page: Page, key: string): Promise<void> {
  await page.locator('.scheme-container .btn.authorize').click();
  const scheme = page.locator('.modal-ux .auth-container').filter({ hasText: 'functionKey' });
  await scheme.locator('input').fill(key);
  await scheme.getByRole('button', { name: 'Apply credentials' }).click();
  await scheme.getByRole('button', { name: 'Close' }).click();
}

/** Logs the function key out in the Authorize dialog. */
async function logout(page: Page): Promise<void> {
  await page.locator('.scheme-container .btn.authorize').click();
  const scheme = page.locator('.modal-ux .auth-container').filter({ hasText: 'functionKey' });
  await scheme.getByRole('button', { name: 'Remove authorization' }).click();
  await scheme.getByRole('button', { name: 'Close' }).click();
}

describe('the API reference page', () => {
  it('redirects /api/docs to /api/docs/, where the page and its assets carry the CSP, need no key and hold none', async () => {
    const bare = await stack.call('/api/docs', { key: null, redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(new URL(bare.headers.get('location') as string, `${stack.host.url}/api/docs`).pathname).toBe('/api/docs/');

    const index = await stack.call('/api/docs/', { key: null });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    for (const key of [stack.host.functionKey, stack.host.masterKey, ...stack.host.hostKeys]) expect(html).not.toContain(key);

    const links = linksOf(html);
    expect(links.some((l) => l.endsWith('.js')) && links.some((l) => l.endsWith('.css'))).toBe(true);
    for (const res of [bare, index, ...(await Promise.all(links.map((l) => stack.call(`/api/docs/${l}`, { key: null }))))]) {
      expect(res.headers.get('content-security-policy'), res.url).toBe(PAGE_CSP);
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), res.url).toBe('no-referrer');
    }
    for (const link of links) {
      const res = await stack.call(`/api/docs/${link}`, { key: null });
      expect(res.status, link).toBe(200);
      expect(res.headers.get('content-type'), link).toBe(link.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(res.headers.get('cache-control'), link).toBe('public, max-age=31536000, immutable');
      expect(await res.text()).not.toMatch(/https?:\/\/(?:cdn|unpkg|jsdelivr)/);
    }
  });

  it.each(['nothing.js', '..%2F..%2Fhost.json', '%2E%2E%2F%2E%2E%2Fpackage.json', '..%5C..%5Chost.json', '.hidden', 'index.html%00.js', 'a/b.js'])(
    'answers 404 problem+json, with the CSP, for /api/docs/%s',
    async (file) => {
      const res = await stack.call(`/api/docs/${file}`, { key: null });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
      expect(((await res.json()) as { code: string }).code).toBe('file_not_found');
    },
  );

  it('renders every route once a key is pasted, scores with it, keeps it out of storage, and shows 401 without it', async () => {
    const { page, problems } = await openPage(browser);
    const pageResponses: { url: string; csp: string | undefined }[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/docs')) pageResponses.push({ url: r.url(), csp: r.headers()['content-security-policy'] });
    });
    try {
      await withScreenshot(page, 'docs-open', async () => {
        await page.goto(`${stack.host.url}/api/docs`);
        expect(new URL(page.url()).pathname).toBe('/api/docs/');
        await page.locator('.scheme-container .btn.authorize').waitFor();
        expect(await page.locator('.opblock').count()).toBe(0);
        // The page itself says why it lists nothing yet, and what to do.
        await page.getByText('Nothing is listed until you give a key').waitFor();
        expect(await page.locator('.info .description').textContent()).toMatch(/click Authorize and give a function key/);
      });
      expect(pageResponses.length).toBeGreaterThanOrEqual(3);
      for (const r of pageResponses) expect(r.csp, r.url).toBe(PAGE_CSP);

      const ops = await operations();
      expect(ops.length).toBeGreaterThan(15);
      await withScreenshot(page, 'docs-authorize', async () => {
        await authorize(page, stack.host.functionKey);
        await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBe(ops.length);
        for (const [method, path] of ops) {
          expect(await page.locator(`.opblock-${method} .opblock-summary-path[data-path="${path}"]`).count(), `${method} ${path}`).toBe(1);
        }
      });

      const op = page.locator('.opblock-post').filter({ has: page.locator('.opblock-summary-path[data-path="/models/boston-rf/score"]') });
      await withScreenshot(page, 'docs-try-it', async () => {
        await op.locator('.opblock-summary-control').click();
        // Deep linking: the open operation is in the address.
        await expect.poll(() => new URL(page.url()).hash, { timeout: 15_000 }).toMatch(/^#\/[^/]+\/score_boston_rf$/);
        await op.getByRole('button', { name: 'Try it out' }).click();
        // The example body comes from the model's typed row schema.
        const body = await op.locator('textarea.body-param__text').inputValue();
        for (const input of ['crim', 'rm', 'lstat']) expect(body).toContain(`"${input}"`);
        await op.getByRole('button', { name: 'Execute' }).click();
        await expect.poll(() => op.locator('.live-responses-table .response .response-col_status').first().textContent(), { timeout: 30_000 }).toBe('200');
        const answer = JSON.parse((await op.locator('.live-responses-table .response-col_description pre').first().textContent()) ?? '') as { model: { name: string }; predictions: unknown[] };
        expect(answer.model.name).toBe('boston-rf');
        expect(answer.predictions).toHaveLength(1);
        expect(typeof answer.predictions[0]).toBe('number');
      });
      // The key lives in the page's memory only.
      const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
      expect(stored).not.toContain(stack.host.functionKey);
      expect(problems).toEqual([]);

      await withScreenshot(page, 'docs-no-key', async () => {
        await logout(page);
        await op.getByRole('button', { name: 'Execute' }).click();
        await expect.poll(() => op.locator('.live-responses-table .response .response-col_status').first().textContent(), { timeout: 30_000 }).toBe('401');
      });
      // The one complaint: the browser logs the 401 it was answered.
      expect(problems.every((p) => /status of 401/.test(p)), problems.join('\n')).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('loads nothing with a wrong key, and the document once the right key is given, opening a deep link then', async () => {
    const doc = (await (await stack.call('/api/openapi.json')).json()) as { paths: Record<string, { post: { operationId: string; tags?: string[] } }> };
    const score = doc.paths['/models/boston-rf/score']?.post;
    const { page } = await openPage(browser);
    try {
      await withScreenshot(page, 'docs-wrong-key', async () => {
        await page.goto(`${stack.host.url}/api/docs/#/${score?.tags?.[0] ?? 'default'}/${score?.operationId}`);
        await authorize(page, 'not-the-key');
        await page.getByText('That key was refused (401).').waitFor();
        expect(await page.locator('.opblock').count()).toBe(0);
        // Logged out again, with the dialog still there for the right key.
        await authorize(page, stack.host.functionKey);
        await expect.poll(() => page.locator('.opblock').count(), { timeout: 15_000 }).toBe((await operations()).length);
        await expect.poll(() => page.locator('.opblock.is-open .opblock-summary-path').getAttribute('data-path'), { timeout: 15_000 }).toBe('/models/boston-rf/score');
      });
    } finally {
      await page.close();
    }
  });
});
