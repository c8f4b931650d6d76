/**
 * The console at /api/console/, in headless Chromium against the real app (test host,
 * Azurite, R workers): nothing but the key form until the app takes the key; the models and
 * a score form generated from a version's features, with a 422's field errors beside their
 * fields; a batch's progress up to its results link; an alias moved with the master key
 * after a confirmation; each input's drift chart drawn from the monitoring report; and date,
 * date-time and difftime inputs as a date input, a datetime-local input on the model's
 * wall clock (sent with its offset) and a number with its units.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagesDir } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { publishDir, sampleModelsDir } from '../../scripts/samples.js';
import { launchBrowser, openPage, withScreenshot } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';

interface Feature {
  name: string;
  type: string;
  min?: number;
  max?: number;
}

let stack: Stack;
let browser: Browser;
let boston: Feature[];

beforeAll(async () => {
  if (!existsSync(join(pagesDir, 'console', 'index.html'))) throw new Error('dist/pages/console/ is not built: run `npm run build` first');
  stack = await startStack();
  browser = await launchBrowser();
  // A second version of mtcars-ridge, for the console to move an alias to.
  await publishDir(stack.store, join(sampleModelsDir, 'mtcars-ridge'), 'mtcars-ridge', '2');
  boston = ((await (await stack.call('/api/models/boston-rf/versions/1')).json()) as { features: Feature[] }).features;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * `n` rows of boston-rf spread over each input's training range (whole numbers for integers),
 * unlike the training data's distribution, so that the monitoring report sees drift.
 */
function bostonRows(n: number): Record<string, number>[] {
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(
      boston.map((f, j) => {
        const t = ((i * (2 * j + 3)) % n) / n;
        const x = (f.min as number) + t * ((f.max as number) - (f.min as number));
        return [f.name, f.type === 'integer' ? Math.round(x) : Number(x.toFixed(4))];
      }),
    ),
  );
}

/** The browser logs each error status the app answers (a 401, a 422) as a console error: those, when a step asks for them, are not problems. */
const unexpected = (problems: string[], ...statuses: number[]) =>
  problems.filter((p) => !statuses.some((s) => p.startsWith('console: Failed to load resource: the server responded with a status of ' + s)));

interface Opened {
  page: Page;
  problems: string[];
  /** Every request the page made to the app: its URL and the key header it carried. */
  requests: { method: string; url: string; key: string | undefined }[];
}

/** A new page on the console (no key yet). */
async function openConsole(): Promise<Opened> {
  const { page, problems } = await openPage(browser);
  const requests: Opened['requests'] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) requests.push({ method: r.method(), url: r.url(), key: r.headers()['x-functions-key'] });
  });
  await page.goto(`${stack.host.url}/api/console`);
  return { page, problems, requests };
}

/** Enters the keys in the key form and waits for the console's views. */
async function signIn(page: Page, keys: { master?: boolean } = {}): Promise<void> {
  await page.getByLabel('Function key').fill(stack.host.functionKey);
  if (keys.master) await page.getByLabel(/^Master key/).fill(stack.host.masterKey);
  await page.getByRole('button', { name: 'Open the console' }).click();
  await page.getByRole('navigation', { name: 'Console views' }).waitFor();
}

/** The page with the keys, opened on the console. */
async function signedIn(keys: { master?: boolean } = {}): Promise<Opened> {
  const opened = await openConsole();
  await signIn(opened.page, keys);
  return opened;
}

/** No key ever went into a URL; every API call carried one in the header. */
function expectKeysInHeadersOnly(requests: Opened['requests']): void {
  const keys = [stack.host.functionKey, stack.host.masterKey];
  for (const r of requests) for (const key of keys) expect(decodeURIComponent(r.url), r.url).not.toContain(key);
  const apiCalls = requests.filter((r) => !new URL(r.url).pathname.startsWith('/api/console'));
  expect(apiCalls.length).toBeGreaterThan(0);
  for (const r of apiCalls) expect(r.key, `${r.method} ${r.url}`).toBeDefined();
}

/** The .field element holding the input whose id is `id`. */
const fieldOf = (page: Page, id: string) => page.locator('.field').filter({ has: page.locator(`[id="${id}"]`) });

describe('the console', () => {
  it('shows only the key form until the app accepts the function key, then the models; keys stay in session storage', async () => {
    const { page, problems, requests } = await openConsole();
    try {
      await withScreenshot(page, 'console-key-form', async () => {
        expect(new URL(page.url()).pathname).toBe('/api/console/');
        await page.getByLabel('Function key').waitFor();
        expect(await page.getByRole('navigation').count()).toBe(0);
        expect(await page.locator('main').textContent()).not.toMatch(/boston-rf|mtcars-ridge|penguins-rf/);
        // No call to the API before a key is given.
        expect(requests.filter((r) => !new URL(r.url).pathname.startsWith('/api/console'))).toEqual([]);
      });

      await withScreenshot(page, 'console-wrong-key', async () => {
        await page.getByLabel('Function key').fill('not-a-key');
        await page.getByRole('button', { name: 'Open the console' }).click();
        await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/refused.*401/);
        expect(await page.getByRole('navigation').count()).toBe(0);
        expect(await page.locator('main').textContent()).not.toMatch(/boston-rf|mtcars-ridge|penguins-rf/);
        expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      });

      await withScreenshot(page, 'console-models', async () => {
        await signIn(page);
        const names = await page.locator('table.data tbody th[scope="row"]').allTextContents();
        expect(names).toEqual(expect.arrayContaining(['boston-rf', 'mtcars-ridge', 'penguins-rf']));
        // Aliases and the version each serves.
        const row = page.locator('tr').filter({ has: page.locator('th', { hasText: /^penguins-rf$/ }) });
        expect(await row.textContent()).toMatch(/production\s*→\s*1/);
        expect(await row.getByRole('link', { name: 'penguins-rf version 1' }).count()).toBe(1);
      });

      await withScreenshot(page, 'console-session', async () => {
        // Kept for this tab only: not in localStorage, not in a cookie.
        expect(await page.evaluate(() => JSON.stringify([{ ...localStorage }, document.cookie]))).not.toContain(stack.host.functionKey);
        expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(stack.host.functionKey);
        // A reload in the same tab keeps the key; "Forget keys" drops it and shows the form alone again.
        await page.reload();
        await page.getByRole('navigation', { name: 'Console views' }).waitFor();
        await page.getByRole('button', { name: 'Forget keys' }).click();
        await page.getByLabel('Function key').waitFor();
        expect(await page.getByRole('navigation').count()).toBe(0);
        expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      });
      expectKeysInHeadersOnly(requests);
      // The one complaint: the browser logs the 401 the wrong key was answered.
      expect(problems.some((p) => /status of 401/.test(p))).toBe(true);
      expect(unexpected(problems, 401)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("scores a row from the form generated from the version's features, and shows a 422's field errors beside their fields", async () => {
    const { page, problems, requests } = await signedIn();
    try {
      const example = ((await (await stack.call('/api/models/boston-rf/versions/1')).json()) as { exampleRequest: { data: Record<string, unknown>[] } }).exampleRequest;
      const expected = ((await (await stack.post('/api/models/boston-rf/versions/1/score', example)).json()) as { predictions: number[] }).predictions[0] as number;

      await withScreenshot(page, 'console-version', async () => {
        await page.getByRole('link', { name: 'boston-rf version 1' }).click();
        await page.getByRole('heading', { name: 'boston-rf version 1' }).waitFor();
        await page.getByRole('heading', { name: 'Score a row' }).waitFor();
        // The features table and the form: a number input per number, prefilled with the example.
        for (const f of boston) expect(await page.locator('tbody th code', { hasText: new RegExp(`^${f.name}$`) }).count(), f.name).toBe(1);
        const crim = page.getByLabel('crim', { exact: true });
        expect(await crim.getAttribute('type')).toBe('number');
        expect(await crim.inputValue()).toBe('0.00632');
        // chas is an integer column the forest uses as a number: any number, as R takes it.
        expect(await page.getByLabel('chas', { exact: true }).getAttribute('step')).toBe('any');
        expect(await page.getByLabel('Prediction type').inputValue()).toBe('response');
      });

      await withScreenshot(page, 'console-score', async () => {
        await page.getByRole('button', { name: 'Score', exact: true }).click();
        const answer = page.locator('.answer');
        await answer.waitFor({ timeout: 30_000 });
        expect(await answer.textContent()).toContain('from boston-rf version 1');
        expect(await answer.locator('.prediction-value').textContent()).toBe(String(Number(expected.toPrecision(8))));
      });

      await withScreenshot(page, 'console-field-errors', async () => {
        // Two emptied numbers (this model cannot score without them): each message in its own field.
        await page.getByLabel('rm', { exact: true }).fill('');
        await page.getByLabel('chas', { exact: true }).fill('');
        await page.getByRole('button', { name: 'Score', exact: true }).click();
        const rm = page.getByLabel('rm', { exact: true });
        await expect.poll(() => rm.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
        for (const [name, message] of [
          ['rm', 'is missing or NA'],
          ['chas', 'is missing or NA'],
        ] as const) {
          const input = page.getByLabel(name, { exact: true });
          expect(await input.getAttribute('aria-invalid'), name).toBe('true');
          const id = (await input.getAttribute('id')) as string;
          const describedBy = ((await input.getAttribute('aria-describedby')) ?? '').split(' ');
          const error = fieldOf(page, id).locator('.field-error');
          // The message is in the field's own box, and the input names it as its description.
          expect(await error.textContent(), name).toContain(message);
          expect(describedBy, name).toContain(await error.getAttribute('id'));
        }
        // Fields the app did not name stay valid; the first named one has the focus.
        expect(await page.getByLabel('crim', { exact: true }).getAttribute('aria-invalid')).toBeNull();
        expect(await page.evaluate(() => document.activeElement?.id)).toBe(await page.getByLabel('chas', { exact: true }).getAttribute('id'));
        expect(await page.getByRole('alert').textContent()).toMatch(/422/);
        expect(await page.locator('.answer').count()).toBe(0);
      });

      await withScreenshot(page, 'console-factor-form', async () => {
        // A factor is a select of its training levels; a nullable one may be left missing.
        await page.getByRole('link', { name: 'penguins-rf version 1' }).click();
        await page.getByRole('heading', { name: 'penguins-rf version 1' }).waitFor();
        await page.getByRole('heading', { name: 'Score a row' }).waitFor();
        const island = page.getByLabel('island', { exact: true });
        expect(await island.evaluate((e) => e.tagName)).toBe('SELECT');
        expect(await island.locator('option').allTextContents()).toEqual(['(missing)', 'Biscoe', 'Dream', 'Torgersen']);
        expect(await island.inputValue()).toBe('Torgersen');
        await island.selectOption('Dream');
        await page.getByLabel('Prediction type').selectOption('prob');
        await page.getByRole('button', { name: 'Score', exact: true }).click();
        const answer = page.locator('.answer');
        await answer.waitFor({ timeout: 30_000 });
        expect(await answer.locator('tbody th').allTextContents()).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
      });
      expectKeysInHeadersOnly(requests);
      expect(unexpected(problems, 422)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("shows a batch's chunks and rows moving until it succeeded, with its results link; cancels another", async () => {
    const { page, problems, requests } = await signedIn();
    const submit = async (rows: number) => {
      const res = await stack.post('/api/models/boston-rf/batches?chunkSize=50', { data: bostonRows(rows) });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const itemOf = (id: string) => page.locator('li.batch').filter({ has: page.locator('h3', { hasText: id.slice(0, 8) }) });
    const progress = (item: ReturnType<typeof itemOf>, label: string) => item.getByLabel(label).evaluate((e) => (e as HTMLProgressElement).value);
    try {
      // 40 chunks of 50 rows: long enough to watch it move.
      const id = await submit(2000);
      const item = itemOf(id);
      const seen: { state: string; chunks: number }[] = [];
      await withScreenshot(page, 'console-batch-progress', async () => {
        await page.getByRole('link', { name: 'Batches' }).click();
        await item.waitFor();
        const chunks = item.getByLabel('Chunks');
        expect(await chunks.evaluate((e) => e.tagName)).toBe('PROGRESS');
        expect(await chunks.getAttribute('max')).toBe('40');
        expect(await item.getByLabel('Rows').getAttribute('max')).toBe('2000');
        // Watch the list the console reads again every 2 s on its own: the state and chunks done, as shown.
        const deadline = Date.now() + 90_000;
        for (;;) {
          const now = { state: (await item.locator('.state').textContent()) as string, chunks: await progress(item, 'Chunks') };
          const last = seen.at(-1);
          if (last?.state !== now.state || last.chunks !== now.chunks) seen.push(now);
          if (now.state === 'succeeded' || Date.now() > deadline) break;
          await page.waitForTimeout(100);
        }
        const trace = seen.map((s) => `${s.state} ${s.chunks}`).join(' | ');
        expect(seen.at(-1), trace).toEqual({ state: 'succeeded', chunks: 40 });
        // Seen before it finished, and moving on without a click.
        expect(seen[0]?.state, trace).toMatch(/^(queued|running)$/);
        expect(seen[0]?.chunks, trace).toBeLessThan(40);
        for (let i = 1; i < seen.length; i++) expect((seen[i] as { chunks: number }).chunks, trace).toBeGreaterThanOrEqual((seen[i - 1] as { chunks: number }).chunks);
      });
      await withScreenshot(page, 'console-batch-results', async () => {
        const link = item.getByRole('link', { name: `Download results of batch ${id.slice(0, 8)}` });
        const href = (await link.getAttribute('href')) as string;
        const results = (await (await fetch(href)).json()) as { results: { row: number; prediction: number }[] };
        expect(results.results).toHaveLength(2000);
        expect(await progress(item, 'Rows')).toBe(2000);
        expect(await item.getByRole('button', { name: /^Cancel/ }).count()).toBe(0);
      });

      await withScreenshot(page, 'console-batch-cancel', async () => {
        // 200 chunks: cancelled long before the last.
        const other = await submit(10_000);
        await page.getByRole('button', { name: 'Refresh' }).click();
        const running = itemOf(other);
        await running.getByRole('button', { name: `Cancel batch ${other.slice(0, 8)}` }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByRole('button', { name: 'Cancel the batch' }).click();
        await expect.poll(() => running.locator('.state').textContent(), { timeout: 15_000 }).toBe('cancelled');
        expect(await progress(running, 'Chunks')).toBeLessThan(200);
        expect(await running.getByRole('button', { name: /^Cancel/ }).count()).toBe(0);
        expect(await running.getByRole('link').count()).toBe(0);
        const status = (await (await stack.call(`/api/batches/${other}?redirect=false`)).json()) as { state: string };
        expect(status.state).toBe('cancelled');
      });
      expectKeysInHeadersOnly(requests);
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 180_000);

  it('shows an uploaded batch refused while its rows were checked as refused, with its problem and no progress bars', async () => {
    const upload = (await (await stack.post('/api/batches/uploads', {})).json()) as { blob: string; url: string };
    const header = boston.map((f) => f.name).join(',');
    const row = boston.map((f, i) => (i === 1 ? 'heavy' : String(f.min))).join(',');
    expect((await fetch(upload.url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: `${header}\n${row}\n` })).status).toBe(201);
    const submitted = await stack.post('/api/models/boston-rf/batches', { blob: upload.blob });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await expect
      .poll(async () => ((await (await stack.call(`/api/batches/${id}?redirect=false`)).json()) as { state: string }).state, { timeout: 60_000 })
      .toBe('failed');
    const { page, problems, requests } = await signedIn();
    try {
      await withScreenshot(page, 'console-batch-refused', async () => {
        await page.getByRole('link', { name: 'Batches' }).click();
        const item = page.locator('li.batch').filter({ has: page.locator('h3', { hasText: id.slice(0, 8) }) });
        await item.waitFor();
        expect(await item.locator('.state').textContent()).toBe('failed');
        const alert = item.getByRole('alert');
        expect(await alert.textContent()).toContain('The input was refused');
        expect(await alert.textContent()).toContain(boston[1]?.name as string);
        expect(await alert.textContent()).toContain('invalid_input');
        expect(await item.locator('progress').count()).toBe(0);
        expect(await item.textContent()).not.toContain('counting');
        expect(await item.textContent()).toContain('Refused before its rows were stored');
        expect(await item.getByRole('button', { name: /^Cancel/ }).count()).toBe(0);
      });
      expectKeysInHeadersOnly(requests);
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('moves an alias with the master key, only after the confirmation', async () => {
    const { page, problems, requests } = await signedIn({ master: true });
    const production = async () => {
      const models = ((await (await stack.call('/api/models')).json()) as { models: { name: string; aliases: Record<string, string>; traffic: Record<string, unknown> }[] }).models;
      return models.find((m) => m.name === 'mtcars-ridge');
    };
    try {
      expect((await production())?.aliases.production).toBe('1');
      const dialog = page.getByRole('dialog');
      await withScreenshot(page, 'console-traffic-cancel', async () => {
        await page.getByRole('link', { name: 'Traffic' }).click();
        await page.getByLabel('Model').selectOption('mtcars-ridge');
        await page.getByLabel('Alias', { exact: true }).fill('production');
        await page.getByLabel('Alias', { exact: true }).press('Tab');
        expect(await page.locator('#traffic-now').textContent()).toBe('Now: 1');
        await page.getByLabel('one version').check();
        await page.getByLabel('Version', { exact: true }).selectOption('2');
        await page.getByRole('button', { name: 'Move alias…' }).click();
        await dialog.waitFor();
        expect(await dialog.textContent()).toMatch(/production.*mtcars-ridge.*will serve 2 instead of 1/);
        // The dialog takes the keyboard: its safe choice has the focus, and Escape declines.
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
        expect((await production())?.aliases.production).toBe('1');
      });

      await withScreenshot(page, 'console-traffic-move', async () => {
        await page.getByRole('button', { name: 'Move alias…' }).click();
        await dialog.getByRole('button', { name: 'Move it' }).click();
        await expect.poll(() => page.locator('.success').textContent(), { timeout: 15_000 }).toMatch(/Moved production of mtcars-ridge from 1 to 2/);
        // The app serves the move once version 2's R workers are up; the console waits for it.
        await expect.poll(() => page.locator('.route-status').textContent(), { timeout: 60_000 }).toBe('The app now serves production as moved.');
        expect((await production())?.aliases.production).toBe('2');
        expect(await page.locator('#traffic-now').textContent()).toBe('Now: 2');
      });

      await withScreenshot(page, 'console-traffic-split', async () => {
        // Then a rollout: 90/10 by weight.
        await page.getByLabel('versions by weight').check();
        await page.getByLabel('Weight of version 1').fill('90');
        await page.getByLabel('Weight of version 2').fill('10');
        await page.getByRole('button', { name: 'Move alias…' }).click();
        expect(await dialog.textContent()).toMatch(/will serve 1 \(90%\), 2 \(10%\) instead of 2/);
        await dialog.getByRole('button', { name: 'Move it' }).click();
        await expect.poll(() => page.locator('.route-status').textContent(), { timeout: 60_000 }).toBe('The app now serves production as moved.');
        expect((await production())?.traffic.production).toEqual({ versions: { '1': 90, '2': 10 } });
        // The models view shows the split.
        await page.getByRole('link', { name: 'Models' }).click();
        const row = page.locator('tr').filter({ has: page.locator('th', { hasText: /^mtcars-ridge$/ }) });
        expect(await row.textContent()).toMatch(/production\s*→\s*1 \(90%\), 2 \(10%\)/);
      });
      const puts = requests.filter((r) => r.method === 'PUT');
      expect(puts).toHaveLength(2);
      for (const r of puts) expect(r.key).toBe(stack.host.masterKey);
      expectKeysInHeadersOnly(requests);
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("draws each input's live distribution over its training reference, PSI and traffic over time", async () => {
    const scored = await stack.post('/api/models/boston-rf/versions/1/score', { data: bostonRows(300) });
    expect(scored.status).toBe(200);
    const report = (await (await stack.call('/api/models/boston-rf/monitoring?version=1')).json()) as { versions: { drifted: string[]; features: { name: string; bins: unknown[] }[] }[] };
    const v1 = report.versions[0] as (typeof report.versions)[number];
    const { page, problems, requests } = await signedIn();
    try {
      await withScreenshot(page, 'console-monitoring', async () => {
        await page.getByRole('link', { name: 'Monitoring' }).click();
        await page.getByLabel('Model').selectOption('boston-rf');
        await page.getByLabel('Version or alias').selectOption('1');
        const section = page.locator('section.version-monitor').filter({ has: page.getByRole('heading', { name: /^Version 1/ }) });
        await section.waitFor({ timeout: 30_000 });
        expect(await section.locator('.summary').textContent()).toMatch(/\d+ requests, \d+ rows scored/);

        // One bar chart per input, labelled, its canvas drawn.
        const charts = section.locator('figure.feature-chart canvas');
        expect(await charts.count()).toBe(v1.features.filter((f) => f.bins.length > 0).length);
        expect(await charts.count()).toBe(boston.length);
        for (const f of boston) expect(await section.getByRole('img', { name: new RegExp(`^Bar chart of ${f.name},`) }).count(), f.name).toBe(1);
        // Pixels painted on each canvas: the inputs' charts, then PSI, requests and errors, latency.
        const painted = () =>
          section.locator('canvas').evaluateAll((canvases) =>
            canvases.map((c) => {
              const canvas = c as HTMLCanvasElement;
              const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data;
              let n = 0;
              for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
              return n;
            }),
          );
        await expect.poll(async () => (await painted()).filter((n) => n > 1000).length, { timeout: 10_000 }).toBe(boston.length + 3);
        expect(await painted()).toHaveLength(boston.length + 3);
        expect(await section.getByRole('img', { name: /^Line chart of each input's PSI/ }).count()).toBe(1);

        // The drift flags are the report's.
        if (v1.drifted.length > 0) expect(await section.locator('.flag-line').textContent()).toBe(`Drift flagged: ${v1.drifted.join(', ')}`);
        else expect(await section.locator('.flag-line').count()).toBe(0);
        expect(await section.locator('caption', { hasText: 'Inputs against their training reference' }).count()).toBe(1);
      });
      expectKeysInHeadersOnly(requests);
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it("takes a date, a date-time on the model's wall clock (sent with the zone's offset) and a difftime in its units", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'console-dates-'));
    await execa('Rscript', [
      '-e',
      `set.seed(1); n <- 40
       train <- data.frame(day = as.Date("2024-01-01") + 0:(n - 1), at = as.POSIXct("2024-01-01 09:00", tz = "America/New_York") + (0:(n - 1)) * 86400 * 3,
                           wait = as.difftime(seq(0.5, 4, length.out = n), units = "days"))
       train$sales <- 100 + as.numeric(train$day) * 0.01 + as.numeric(train$at) * 1e-6 - 3 * as.numeric(train$wait) + rnorm(n)
       fit <- lm(sales ~ day + at + wait, data = train)
       saveRDS(fit, file.path("${dir}", "model.rds")); saveRDS(train, file.path("${dir}", "prototype.rds"))`,
    ]);
    await publishModel(stack.store, { model: join(dir, 'model.rds'), prototype: join(dir, 'prototype.rds'), name: 'sales-dates', version: '1' });
    const { page, problems, requests } = await signedIn();
    const bodies: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/score')) bodies.push(r.postDataJSON());
    });
    try {
      await withScreenshot(page, 'console-date-form', async () => {
        await page.getByRole('link', { name: 'sales-dates version 1' }).click();
        await page.getByRole('heading', { name: 'Score a row' }).waitFor();
        const day = page.getByLabel('day', { exact: true });
        const at = page.getByLabel('at', { exact: true });
        const wait = page.getByLabel('wait', { exact: true });
        expect(await day.getAttribute('type')).toBe('date');
        expect(await day.inputValue()).toMatch(/^2024-\d{2}-\d{2}$/);
        expect(await at.getAttribute('type')).toBe('datetime-local');
        // The example's time on New York's clock, as the training data shows it.
        expect(await at.inputValue()).toMatch(/^2024-\d{2}-\d{2}T09:00(:00)?$/);
        expect(await wait.getAttribute('type')).toBe('number');
        expect(await fieldOf(page, (await wait.getAttribute('id')) as string).locator('.unit').textContent()).toBe('days');
        expect(await fieldOf(page, (await at.getAttribute('id')) as string).locator('.hint').textContent()).toContain('America/New_York');

        await day.fill('2024-07-04');
        await at.fill('2024-07-04T12:00');
        await wait.fill('1.5');
        await page.getByRole('button', { name: 'Score', exact: true }).click();
        const answer = page.locator('.answer');
        await answer.waitFor({ timeout: 30_000 });
        const row = { day: '2024-07-04', at: '2024-07-04T12:00:00-04:00', wait: 1.5 };
        expect(bodies.at(-1)).toMatchObject({ data: [row] });
        const expected = ((await (await stack.post('/api/models/sales-dates/versions/1/score', { data: [{ ...row, at: '2024-07-04T16:00:00Z' }] })).json()) as { predictions: number[] }).predictions[0] as number;
        expect(await answer.locator('.prediction-value').textContent()).toBe(String(Number(expected.toPrecision(8))));
      });
      expectKeysInHeadersOnly(requests);
      expect(unexpected(problems)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
