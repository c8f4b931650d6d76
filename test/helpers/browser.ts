import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { appRoot } from '../../functions/paths.js';

/** Debian's chromium (`.ci/run` installs it): Playwright's own browser download cannot work here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where a failing browser test leaves its screenshots (ignored by git). */
export const ARTIFACTS = join(appRoot, 'test', 'artifacts');

/** Headless Chromium, one per test file. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/**
 * A new page that records what the browser refused or failed (console errors, CSP
 * violations, page errors), so a test can assert there were none.
 */
export async function openPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

/** Runs `body`; on failure, writes a screenshot of `page` to test/artifacts/<name>.png first. */
export async function withScreenshot<T>(page: Page, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
    throw err;
  }
}
