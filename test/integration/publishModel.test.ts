import { execa } from 'execa';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
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

/** A library holding test/fixtures/toypkg, installed once for the file. */
let toyLibrary: Promise<string> | undefined;
const toyLib = () =>
  (toyLibrary ??= (async () => {
    const lib = await mkdtemp(join(tmpdir(), 'rlib-'));
    await execa('R', ['CMD', 'INSTALL', `--library=${lib}`, join(appRoot, 'test/fixtures/toypkg')]);
    return lib;
  })());

/** The command with R_LIBS set, so that R finds the packages of that library first. */
const cliLib = (lib: string, ...args: string[]) =>
  execa('node', [join(appRoot, 'dist', 'scripts', 'publishModel.js'), ...args], {
    reject: false,
    env: { AzureWebJobsStorage: azurite.connectionString, R_LIBS: lib },
  });

/** The R worker's answer to one /score body, for a published version (its files from the store, model.rds from `rds`). */
async function scoreWithWorker(name: string, version: string, rds: string, body: unknown, env: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'worker-'));
  await copyFile(rds, join(dir, 'model.rds'));
  for (const file of (await store.getVersion(name, version))?.files ?? []) {
    if (file !== 'model.rds') await writeFile(join(dir, file), await store.readText(name, version, file));
  }
  const res = await execa('Rscript', [join(appRoot, 'r-handler', 'worker.R'), '--model', dir], { input: `${JSON.stringify(body)}\n`, env, reject: false });
  const answers = res.stdout.split('\n').filter((l) => l.startsWith('\x1e')).map((l) => l.slice(1));
  expect(answers[0], res.stderr).toBe('READY');
  return answers[1] ?? '';
}

/** The command with only the settings given: nothing inherited from this shell (PATH aside). */
const cliWith = (env: Record<string, string>, cwd: string, ...args: string[]) =>
  execa('node', [join(appRoot, 'dist', 'scripts', 'publishModel.js'), ...args], {
    reject: false,
    cwd,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
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
    const lib = await toyLib();
    const dir = await mkdtemp(join(tmpdir(), 'toy-'));
    await execa('Rscript', ['-e', `saveRDS(toypkg::toy_fit(mtcars$wt, mtcars$mpg), "${dir}/model.rds"); write.csv(data.frame(x = mtcars$wt, y = mtcars$mpg), "${dir}/proto.csv")`], { env: { R_LIBS: lib } });
    const args = [join(dir, 'model.rds'), '--version', '1', '--prototype', join(dir, 'proto.csv'), '--response', 'y'];
    const installed = await cliLib(lib, ...args, '--name', 'toy');
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

  it('publishes and scores a model the same when another installed package registers methods for its class', async () => {
    // toypkg registers methods for lm, MASS's ridgelm (a predict() that MASS has not) and randomForest, and owns none of them.
    const lib = await toyLib();
    const samples = [
      { dir: 'mtcars-ridge', score: true, response: 'mpg', packages: ['MASS'] },
      { dir: 'penguins-rf', score: true, response: 'species', packages: ['randomForest'] },
      { dir: 'mtcars-lm', score: false, response: 'mpg', packages: [] },
    ];
    for (const sample of samples) {
      const dir = join(sampleModelsDir, sample.dir);
      const args = [join(dir, 'model.rds'), '--version', '1', '--prototype', join(dir, 'prototype.csv'), '--response', sample.response];
      if (sample.score) args.push('--score', join(dir, 'score.R'));
      const without = await cli(...args, '--name', `${sample.dir}-alone`);
      expect(without.stderr).toBe('');
      const withToy = await cliLib(lib, ...args, '--name', `${sample.dir}-toy`);
      expect(withToy.stderr).toBe('');
      const schemaText = await store.readText(`${sample.dir}-alone`, '1', 'model.json');
      expect(await store.readText(`${sample.dir}-toy`, '1', 'model.json')).toBe(schemaText);
      const schema = JSON.parse(schemaText) as { packages: string[]; example: Record<string, unknown> };
      expect(schema.packages, sample.dir).toEqual(sample.packages);
      const body = { data: [schema.example] };
      const alone = await scoreWithWorker(`${sample.dir}-alone`, '1', join(dir, 'model.rds'), body);
      expect(alone, sample.dir).toMatch(/^200 /);
      expect(await scoreWithWorker(`${sample.dir}-toy`, '1', join(dir, 'model.rds'), body, { R_LIBS: lib }), sample.dir).toBe(alone);
    }
  });

  it('publishes to the account named by AzureWebJobsStorage__accountName, not to a connection string also set', async () => {
    const started = Date.now();
    const res = await cliWith(
      // No network to Azure here (and no retry loop: the bound is far below what retries would take): limit DefaultAzureCredential to the environment's service principal, which is not set, so it fails at once.
      { AzureWebJobsStorage__accountName: 'someaccount', AzureWebJobsStorage: azurite.connectionString, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' },
      appRoot,
      join(penguins, 'model.rds'), '--name', 'identity-wins', '--version', '1', '--schema', join(penguins, 'model.json'),
    );
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toContain('publishing to storage account someaccount, https://someaccount.blob.core.windows.net/models (AzureWebJobsStorage__accountName');
    expect(res.stderr).toMatch(/publishing to https:\/\/someaccount\.blob\.core\.windows\.net\/models failed: [\s\S]*EnvironmentCredential is unavailable[\s\S]*az login/);
    expect(await store.getIndex('identity-wins')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('publishes nowhere without a storage setting, and says which to set', async () => {
    const res = await cliWith({}, await mkdtemp(join(tmpdir(), 'no-settings-')), join(penguins, 'model.rds'), '--name', 'nowhere', '--version', '1', '--schema', join(penguins, 'model.json'));
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('no storage account to work on');
    for (const setting of ['AzureWebJobsStorage__accountName=<account>', 'az login', 'AzureWebJobsStorage=UseDevelopmentStorage=true', '--connection']) expect(res.stderr).toContain(setting);
  });

  it("takes the account from local.settings.json's Values, as func does, and says so", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'app-'));
    await writeFile(join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: { AzureWebJobsStorage: azurite.connectionString } }));
    const res = await cliWith({}, dir, join(penguins, 'model.rds'), '--name', 'from-file', '--version', '1', '--schema', join(penguins, 'model.json'));
    expect(res.stderr).toBe(`publish-model: no storage setting in the environment; using AzureWebJobsStorage from ${join(dir, 'local.settings.json')}\n`.trimEnd());
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain(`publishing to storage account devstoreaccount1, http://127.0.0.1:${azurite.blobPort}/devstoreaccount1/models`);
    expect(res.stdout).not.toContain('AccountKey');
    expect(await store.getVersion('from-file', '1')).toBeDefined();
  });

  it('under npm run, reads relative paths from the directory npm was run in, not the project root npm runs it in', async () => {
    const res = await execa('npm', ['run', '--silent', 'publish-model', '--', 'model.rds', '--name', 'relative', '--version', '1', '--schema', 'model.json'], {
      reject: false,
      cwd: penguins,
      env: { AzureWebJobsStorage: azurite.connectionString },
    });
    expect(res.exitCode, res.stderr).toBe(0);
    expect((await store.getVersion('relative', '1'))?.files.sort()).toEqual(['model.json', 'model.rds']);
  });

  it("runs the guide's command that publishes versions 2 to 5 of boston-rf, as written", async () => {
    const guide = await readFile(join(appRoot, 'docs/guide.md'), 'utf8');
    const section = guide.slice(guide.indexOf('## Versions and aliases'));
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1] as string;
    expect(script).toContain('for v in 2 3 4 5');
    const run = await execa('bash', ['-eo', 'pipefail', '-c', script], { cwd: appRoot, reject: false, env: { AzureWebJobsStorage: azurite.connectionString } });
    expect(run.exitCode, run.stderr).toBe(0);
    for (const v of ['2', '3', '4', '5']) expect((await store.getVersion('boston-rf', v))?.files).toContain('model.rds');
    expect((await store.getIndex('boston-rf'))?.aliases.latest).toBe('5');
  }, 120_000);

  it('refuses unsafe names and a model R cannot describe', async () => {
    await expect(publishModel(store, { model: join(penguins, 'model.rds'), name: '../x', version: '1' })).rejects.toThrow(/name/);
    const res = await cli(join(penguins, 'prototype.csv'), '--name', 'broken', '--version', '1');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/describ/);
    // Said once, and what is wrong with the file: not R's "unknown input format" alone.
    expect(res.stderr).toMatch(/describing the model failed: the model file \(prototype\.csv\) is not an \.rds file saved with saveRDS\(\)/);
    expect(res.stderr).not.toMatch(/describe failed/);
    expect(await store.getVersion('broken', '1')).toBeUndefined();
  });
});

describe('npm run model', () => {
  const model = (...args: string[]) => execa('npm', ['run', '--silent', 'model', '--', ...args], { reject: false, cwd: appRoot, env: { AzureWebJobsStorage: azurite.connectionString } });

  it('moves and removes aliases without uploading anything, records each move, and deletes only an unaliased version', async () => {
    for (const version of ['1', '2']) await publishModel(store, { model: join(penguins, 'model.rds'), schema: join(penguins, 'model.json'), name: 'cli-model', version, aliases: version === '1' ? ['production'] : [] });
    const tagsBefore = (await store.getVersion('cli-model', '2'))?.tag;

    const promote = await model('alias', 'cli-model', 'production', '2');
    expect(promote.exitCode, promote.stderr).toBe(0);
    expect(promote.stdout).toContain('production 1 -> 2');
    expect((await store.getIndex('cli-model'))?.aliases).toMatchObject({ production: '2', latest: '2' });
    expect((await store.getVersion('cli-model', '2'))?.tag).toBe(tagsBefore);

    expect((await model('alias', 'cli-model', 'production', '9')).exitCode).toBe(1);
    const inUse = await model('delete', 'cli-model', '2');
    expect(inUse.exitCode).toBe(1);
    expect(inUse.stderr).toMatch(/production, latest|latest, production/);
    expect((await model('unalias', 'cli-model', 'latest')).exitCode).toBe(1);

    expect((await model('alias', 'cli-model', 'production', '1')).exitCode).toBe(0);
    expect((await model('alias', 'cli-model', 'staging', '2')).exitCode).toBe(0);
    expect((await model('unalias', 'cli-model', 'staging')).exitCode).toBe(0);
    const history = await model('history', 'cli-model');
    const lines = history.stdout.trim().split('\n');
    // Publishing recorded the moves it made too: latest to 1, production to 1, latest to 2.
    expect(lines.filter((l) => l.endsWith('by publish')).map((l) => l.replace(/^\S+\s+/, '').replace(/\s+by .*$/, ''))).toEqual(['latest: - -> 1', 'production: - -> 1', 'latest: 1 -> 2']);
    expect(lines.filter((l) => l.includes('by cli (')).map((l) => l.replace(/^\S+\s+/, '').replace(/\s+by .*$/, ''))).toEqual([
      'production: 1 -> 2',
      'production: 2 -> 1',
      'staging: - -> 2',
      'staging: 2 -> (removed)',
    ]);
    expect(history.stdout).toContain('by cli (');
    expect((await model('delete', 'cli-model', '1')).exitCode).toBe(1);
  });

  it('splits an alias by weight with a shadow, refuses bad weights naming them, and rolls back with one move', async () => {
    await publishModel(store, { model: join(penguins, 'model.rds'), schema: join(penguins, 'model.json'), name: 'cli-model', version: '3' });
    const split = await model('traffic', 'cli-model', 'production', '1=90', '2=10', '--shadow', '3=20');
    expect(split.exitCode, split.stderr).toBe(0);
    expect(split.stdout).toContain('production 1 -> 1=90 2=10 (shadow 3 at 20%)');
    expect((await store.getIndex('cli-model'))?.routes.production).toEqual({ versions: { '1': 90, '2': 10 }, shadow: { version: '3', percent: 20 } });
    const bad = await model('traffic', 'cli-model', 'production', '1=90', '2=lots');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('versions.2: must be a weight');
    // A version a split names cannot be deleted, nor can its shadow.
    expect((await model('delete', 'cli-model', '3')).stderr).toContain('production');
    expect((await model('list', 'cli-model')).stdout).toContain('production -> 1=90 2=10 (shadow 3 at 20%)');
    expect((await model('alias', 'cli-model', 'production', '1')).exitCode).toBe(0);
    expect((await store.getIndex('cli-model'))?.routes.production).toEqual({ versions: { '1': 1 } });
    const history = (await model('history', 'cli-model')).stdout;
    expect(history).toContain('production: 1 -> 1=90 2=10 (shadow 3 at 20%)');
  });
});
