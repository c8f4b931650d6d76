import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { ModelStore } from '../../functions/storage/modelStore.js';
import { publishModel } from '../../scripts/publish.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { startAzurite, type Azurite } from '../../scripts/azurite.js';

let azurite: Azurite;
let store: ModelStore;

beforeAll(async () => {
  azurite = await startAzurite();
  store = ModelStore.fromConnectionString(azurite.connectionString, 'models');
});

afterAll(async () => {
  await azurite?.stop();
});

const penguins = join(sampleModelsDir, 'penguins-rf');

/** The publish-model command as a user runs it (after `npm run build`). */
const cli = (...args: string[]) =>
  execa('node', [join(appRoot, 'dist', 'scripts', 'publishModel.js'), ...args], {
    reject: false,
    env: { AzureWebJobsStorage: azurite.connectionString },
  });

describe('publish-model', () => {
  it('derives model.json with the describe step and uploads every file', async () => {
    const res = await cli(join(penguins, 'model.rds'), '--name', 'penguins', '--version', '1.0.0', '--prototype', join(penguins, 'prototype.csv'), '--score', join(penguins, 'score.R'), '--response', 'species', '--alias', 'production');
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
    const stored = await store.getVersion('penguins', '1.0.0');
    expect(stored?.files.sort()).toEqual(['model.json', 'model.rds', 'score.R']);
    const schema = JSON.parse(await store.readText('penguins', '1.0.0', 'model.json')) as { features: { name: string }[]; output: { defaultType: string } };
    expect(schema.features.map((f) => f.name)).toEqual(['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex']);
    expect(schema.output.defaultType).toBe('class');
    expect((await store.getIndex('penguins'))?.aliases).toEqual({ latest: '1.0.0', production: '1.0.0' });
  });

  it('refuses to publish an existing version again unless --force', async () => {
    const args = [join(penguins, 'model.rds'), '--name', 'penguins', '--version', '1.0.0', '--schema', join(penguins, 'model.json')];
    const refused = await cli(...args);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/already published.*--force/);
    const before = await store.getVersion('penguins', '1.0.0');
    const forced = await cli(...args, '--force');
    expect(forced.exitCode).toBe(0);
    const after = await store.getVersion('penguins', '1.0.0');
    expect(after?.tag).not.toBe(before?.tag);
    expect(after?.files.sort()).toEqual(['model.json', 'model.rds']);
  });

  it('marks a model whose requests must not be merged', async () => {
    const res = await cli(join(penguins, 'model.rds'), '--name', 'solo', '--version', '1', '--schema', join(penguins, 'model.json'), '--no-micro-batch');
    expect(res.exitCode).toBe(0);
    expect(JSON.parse(await store.readText('solo', '1', 'model.json')).microBatch).toBe(false);
  });

  it('moves an alias to a new version and keeps the others', async () => {
    await publishModel(store, { model: join(penguins, 'model.rds'), schema: join(penguins, 'model.json'), name: 'penguins', version: '1.1.0', aliases: ['staging'] });
    expect((await store.getIndex('penguins'))?.aliases).toEqual({ latest: '1.1.0', production: '1.0.0', staging: '1.1.0' });
  });

  it('refuses unsafe names and a model R cannot describe', async () => {
    await expect(publishModel(store, { model: join(penguins, 'model.rds'), name: '../x', version: '1' })).rejects.toThrow(/name/);
    const res = await cli(join(penguins, 'prototype.csv'), '--name', 'broken', '--version', '1');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/describ/);
    expect(await store.getVersion('broken', '1')).toBeUndefined();
  });
});
