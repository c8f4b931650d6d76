import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

const lm = join(sampleModelsDir, 'mtcars-lm');

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

  it('offers a type named with --types that discovery leaves out, and refuses one that fails with R\'s message', async () => {
    const ok = await cli(join(lm, 'model.rds'), '--name', 'lm-terms', '--version', '1', '--prototype', join(lm, 'prototype.csv'), '--types', 'terms');
    expect(ok.stderr).toBe('');
    const schema = JSON.parse(await store.readText('lm-terms', '1', 'model.json')) as { output: { defaultType: string; types: Record<string, { kind: string }> } };
    expect(Object.keys(schema.output.types)).toEqual(['response', 'terms']);
    expect(schema.output.types.terms?.kind).toBe('values');
    expect(schema.output.defaultType).toBe('response');
    const refused = await cli(join(lm, 'model.rds'), '--name', 'lm-bad', '--version', '1', '--prototype', join(lm, 'prototype.csv'), '--types', 'response,quantile');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/prediction type 'quantile' failed on the example rows: .*'arg' should be one of/);
    expect(await store.getVersion('lm-bad', '1')).toBeUndefined();
  });

  it('finds the package of a model class it has never seen, and refuses the model, naming the package, where it is not installed', async () => {
    const lib = await mkdtemp(join(tmpdir(), 'rlib-'));
    await execa('R', ['CMD', 'INSTALL', `--library=${lib}`, join(appRoot, 'test/fixtures/toypkg')]);
    const dir = await mkdtemp(join(tmpdir(), 'toy-'));
    await execa('Rscript', ['-e', `saveRDS(toypkg::toy_fit(mtcars$wt, mtcars$mpg), "${dir}/model.rds"); write.csv(data.frame(x = mtcars$wt, y = mtcars$mpg), "${dir}/proto.csv")`], { env: { R_LIBS: lib } });
    const args = [join(dir, 'model.rds'), '--version', '1', '--prototype', join(dir, 'proto.csv'), '--response', 'y'];
    const installed = await execa('node', [join(appRoot, 'dist', 'scripts', 'publishModel.js'), ...args, '--name', 'toy'], {
      reject: false,
      env: { AzureWebJobsStorage: azurite.connectionString, R_LIBS: lib },
    });
    expect(installed.stderr).toBe('');
    const schema = JSON.parse(await store.readText('toy', '1', 'model.json')) as { packages: string[]; features: { name: string }[]; output: { types: Record<string, unknown> } };
    expect(schema.packages).toEqual(['toypkg']);
    expect(schema.features.map((f) => f.name)).toEqual(['x']);
    expect(Object.keys(schema.output.types)).toEqual(['response', 'double']);
    const missing = await cli(...args, '--name', 'toy-elsewhere');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("the model needs the R package 'toypkg', which is not installed");
    expect(await store.getVersion('toy-elsewhere', '1')).toBeUndefined();
  });

  it('refuses unsafe names and a model R cannot describe', async () => {
    await expect(publishModel(store, { model: join(penguins, 'model.rds'), name: '../x', version: '1' })).rejects.toThrow(/name/);
    const res = await cli(join(penguins, 'prototype.csv'), '--name', 'broken', '--version', '1');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/describ/);
    expect(await store.getVersion('broken', '1')).toBeUndefined();
  });
});
