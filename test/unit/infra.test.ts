import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_QUEUE, readConfig } from '../../functions/config.js';
import { appRoot } from '../../functions/paths.js';

const read = (path: string) => readFileSync(join(appRoot, path), 'utf8');
const bicep = read('infra/main.bicep');
const settingsInBicep = new Set([...bicep.matchAll(/\{ name: '([^']+)', value:/g)].map((m) => m[1] as string));

/** Every environment variable functions/ reads, found in its source. */
function settingsTheCodeReads(): string[] {
  const source = ['functions/config.ts', 'functions/telemetry.ts'].map(read).join('\n');
  const keys = [...source.matchAll(/(?:text|int|list|env)\(\s*'([A-Za-z_]+)'/g)].map((m) => m[1] as string);
  return [...new Set(keys)];
}

describe('infra/main.bicep against the code', () => {
  it('sets every app setting the code reads', () => {
    const keys = settingsTheCodeReads();
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !settingsInBicep.has(k))).toEqual([]);
  });

  it('connects to storage by identity, as the code understands it', () => {
    for (const key of ['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__clientId', 'AzureWebJobsStorage__credential']) expect(settingsInBicep).toContain(key);
    const config = readConfig({ AzureWebJobsStorage__accountName: 'st1', AzureWebJobsStorage__clientId: 'c' });
    expect(config.hostStorage).toMatchObject({ kind: 'identity', blobServiceUri: 'https://st1.blob.core.windows.net', clientId: 'c' });
  });

  it('creates the containers and queues the code uses, by the same names', () => {
    const defaults = readConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' });
    const containers = /var containers = \[([^\]]+)\]/.exec(bicep)?.[1];
    const queues = /var queues = \[([^\]]+)\]/.exec(bicep)?.[1];
    for (const name of [defaults.modelsContainer, defaults.batchInputsContainer, defaults.batchesContainer]) expect(containers).toContain(`'${name}'`);
    expect(queues).toContain(`'${BATCH_QUEUE}'`);
    expect(queues).toContain(`'${BATCH_QUEUE}-poison'`);
    for (const [key, value] of [['MODELS_CONTAINER', defaults.modelsContainer], ['BATCH_INPUTS_CONTAINER', defaults.batchInputsContainer], ['BATCHES_CONTAINER', defaults.batchesContainer]]) {
      expect(bicep).toContain(`{ name: '${key}', value: '${value}' }`);
    }
  });

  it('keeps secrets out: no shared keys, no account keys, no connection strings with keys', () => {
    expect(bicep).toContain('allowSharedKeyAccess: false');
    expect(bicep).not.toMatch(/listKeys\(|AccountKey=|SharedAccessKey/);
    expect(bicep).toContain('adminUserEnabled: false');
    expect(bicep).toContain('DisableLocalAuth: true');
  });

  it('expires batches (and nothing else) after the retention period', () => {
    const rule = /prefixMatch: \[([^\]]+)\]/.exec(bicep)?.[1];
    expect(rule).toBe(`'${readConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).batchesContainer}/'`);
    expect(bicep).toContain('daysAfterModificationGreaterThan: batchRetentionDays');
    expect(bicep).toMatch(/param batchRetentionDays int = \d+/);
  });

  it('runs the container on Azure Functions on Container Apps with the least roles', () => {
    expect(bicep).toContain("kind: 'functionapp,linux,container,azurecontainerapps'");
    const roleNames = [...bicep.matchAll(/^\s+(\w+): '[0-9a-f-]{36}'$/gm)].map((m) => m[1]);
    expect(roleNames.sort()).toEqual(['acrPull', 'monitoringMetricsPublisher', 'storageBlobDataOwner', 'storageQueueDataContributor', 'storageTableDataContributor']);
    expect(bicep).not.toMatch(/Contributor'?\s*:\s*'b24988ac|Owner'?\s*:\s*'8e3af657/);
  });

  it('has azure.yaml deploy the top-level Dockerfile with this infra', () => {
    const azure = read('azure.yaml');
    expect(azure).toMatch(/path: infra/);
    expect(azure).toMatch(/path: \.\/Dockerfile/);
  });
});
