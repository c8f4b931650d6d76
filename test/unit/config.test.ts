import { describe, expect, it } from 'vitest';
import { availableParallelism, totalmem } from 'node:os';
import { ConfigError, defaultMaxProcesses, developmentStorage, readConfig } from '../../functions/config.js';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

describe('readConfig', () => {
  it('fills every setting with its default', () => {
    const c = readConfig(base);
    expect(c).toMatchObject({ rscript: 'Rscript', modelsContainer: 'models', defaultModel: '', preloadModels: [], maxRows: 10_000, microBatchMaxRows: 1000, showRErrors: false });
    expect(c.workersPerModel).toBeGreaterThanOrEqual(1);
  });

  it('expands UseDevelopmentStorage=true to the Azurite account', () => {
    expect(readConfig(base).hostStorage).toEqual({ kind: 'connectionString', connectionString: developmentStorage });
    expect(readConfig(base).modelStorage).toEqual(readConfig(base).hostStorage);
  });

  it('keeps models on MODEL_STORAGE but batches and their queue on AzureWebJobsStorage, the account the queue trigger polls', () => {
    const c = readConfig({ ...base, MODEL_STORAGE: 'AccountName=x' });
    expect(c.modelStorage).toEqual({ kind: 'connectionString', connectionString: 'AccountName=x' });
    expect(c.hostStorage).toEqual({ kind: 'connectionString', connectionString: developmentStorage });
  });

  it('lets identity-based settings win over a connection string of the same name', () => {
    const c = readConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', AzureWebJobsStorage__accountName: 'acct' });
    expect(c.hostStorage).toMatchObject({ kind: 'identity', blobServiceUri: 'https://acct.blob.core.windows.net' });
  });

  it('reaches storage with a managed identity from the host\'s identity-based settings', () => {
    expect(readConfig({ AzureWebJobsStorage__accountName: 'acct', AzureWebJobsStorage__clientId: 'id-1', AzureWebJobsStorage__credential: 'managedidentity' }).hostStorage).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://acct.blob.core.windows.net',
      queueServiceUri: 'https://acct.queue.core.windows.net',
      clientId: 'id-1',
    });
    expect(readConfig({ ...base, MODEL_STORAGE__blobServiceUri: 'https://b', MODEL_STORAGE__queueServiceUri: 'https://q' }).modelStorage).toMatchObject({ kind: 'identity', blobServiceUri: 'https://b' });
  });

  it('preloads the default model unless told otherwise', () => {
    expect(readConfig({ ...base, DEFAULT_MODEL: 'boston' }).preloadModels).toEqual(['boston']);
    expect(readConfig({ ...base, DEFAULT_MODEL: 'boston', PRELOAD_MODELS: 'a, b' }).preloadModels).toEqual(['a', 'b']);
  });

  it('reports every bad setting at once', () => {
    let error: unknown;
    try {
      readConfig({ R_WORKERS: '0', MAX_ROWS: 'many', MODELS_CONTAINER: 'Bad_Name', SHOW_R_ERRORS: 'yes' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['AzureWebJobsStorage', 'R_WORKERS', 'MAX_ROWS', 'MODELS_CONTAINER', 'SHOW_R_ERRORS']) expect(problems).toContain(key);
  });

  it("shows R's error messages in answers only when SHOW_R_ERRORS is true", () => {
    expect(readConfig({ ...base, SHOW_R_ERRORS: 'true' }).showRErrors).toBe(true);
    expect(readConfig({ ...base, SHOW_R_ERRORS: '0' }).showRErrors).toBe(false);
  });

  it('caps R processes per instance by its cores and memory unless R_MAX_PROCESSES says', () => {
    const fallback = readConfig(base).maxProcesses;
    expect(fallback).toBe(defaultMaxProcesses());
    expect(fallback).toBeGreaterThanOrEqual(1);
    expect(fallback).toBeLessThanOrEqual(4 * availableParallelism());
    expect(fallback).toBeLessThanOrEqual(Math.max(1, Math.floor(totalmem() / 2 ** 28)));
    expect(readConfig({ ...base, R_MAX_PROCESSES: '3' }).maxProcesses).toBe(3);
    expect(() => readConfig({ ...base, R_MAX_PROCESSES: '0' })).toThrow(/R_MAX_PROCESSES must be a whole number from 1/);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(readConfig(base))).toBe(true);
  });
});
