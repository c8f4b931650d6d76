import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * The R client package (clients/r, `rscoring`) against the real app: real Azurite, the
 * sample models published, the app served by the test host. Its testthat suite checks, in
 * R, that predict() on the endpoint equals R's own predict() to the last bit, that batches
 * (direct and through an upload URL) give R's predictions in input order, that results are
 * downloaded without the function key, that errors are R conditions naming field and row,
 * and, where the app has them, the admin routes (publish, promote, roll back, delete).
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.close();
});

describe('the R client package', () => {
  it('passes its testthat suite against the running app', async () => {
    const result = await execa('Rscript', ['-e', 'testthat::test_local("clients/r", reporter = "summary", stop_on_failure = TRUE)'], {
      cwd: appRoot,
      env: {
        RSCORING_URL: stack.host.url,
        RSCORING_KEY: stack.host.functionKey,
        RSCORING_ADMIN_KEY: stack.host.masterKey,
        RSCORING_SAMPLE_MODELS: sampleModelsDir,
      },
      all: true,
      reject: false,
      timeout: 540_000,
    });
    const output = result.all ?? '';
    expect(result.exitCode, `R's output:\n${output}`).toBe(0);
    // The live tests ran: none skipped for want of the app.
    expect(output, `R's output:\n${output}`).not.toContain('RSCORING_URL is not set');
    expect(output).toMatch(/predict: \.+/);
    expect(output).toMatch(/batches: \.+/);
    // The admin tests skip only where the app has no admin routes.
    const history = await stack.call('/api/models/boston-rf/history', { key: stack.host.masterKey });
    if (history.status !== 404) expect(output, `R's output:\n${output}`).not.toContain('the app has no admin routes yet');
  }, 600_000);
});
