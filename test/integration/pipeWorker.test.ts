import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appRoot, rHandlerDir } from '../../functions/paths.js';
import { pipeWorkerFactory } from '../../functions/workers/pipeWorker.js';
import { ModelLoadError, type Worker } from '../../functions/workers/worker.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { rPredict } from '../helpers/r.js';

const workers: Worker[] = [];
afterEach(() => {
  for (const w of workers.splice(0)) w.kill('SIGKILL');
});

function start(modelDir: string): Worker {
  const w = pipeWorkerFactory({ rscript: 'Rscript', handlerDir: rHandlerDir, modelDir, readyTimeoutMs: 60_000 })(0);
  workers.push(w);
  return w;
}

const signal = () => new AbortController().signal;
const bostonRow = { crim: [0.00632], zn: [18], indus: [2.31], chas: [0], nox: [0.538], rm: [6.575], age: [65.2], dis: [4.09], rad: [1], tax: [296], ptratio: [15.3], black: [396.9], lstat: [4.98] };

describe('R workers over standard streams', () => {
  it('answers each request line with the handler\'s answer, exact to the double', async () => {
    const w = start(join(sampleModelsDir, 'boston-rf'));
    await w.ready();
    const expected = await rPredict('boston-rf', 'data.frame(crim = 0.00632, zn = 18, indus = 2.31, chas = 0L, nox = 0.538, rm = 6.575, age = 65.2, dis = 4.09, rad = 1L, tax = 296, ptratio = 15.3, black = 396.9, lstat = 4.98)');
    for (let i = 0; i < 3; i++) {
      const reply = await w.score(JSON.stringify({ type: 'response', columns: bostonRow }), signal());
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).predictions).toEqual(expected);
    }
    const bad = await w.score(JSON.stringify({ columns: { ...bostonRow, crim: ['x'] } }), signal());
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.body).errors[0]).toMatchObject({ field: 'crim', row: 0 });
  });

  it('keeps what a score.R prints out of the answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chatty-'));
    for (const f of ['model.rds', 'model.json']) await copyFile(join(sampleModelsDir, 'mtcars-lm', f), join(dir, f));
    await copyFile(join(appRoot, 'test/fixtures/chatty-score.R'), join(dir, 'score.R'));
    const w = start(dir);
    await w.ready();
    const reply = await w.score(JSON.stringify({ columns: { wt: [2.5, 3], hp: [100, 120], cyl: [4, 6] } }), signal());
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).predictions).toHaveLength(2);
  });

  it('reports a model that cannot load as a ModelLoadError with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broken-'));
    await writeFile(join(dir, 'model.rds'), 'not an rds file');
    const w = start(dir);
    const err = await w.ready().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/failed to load/);
  });

  it('rejects the call in flight when the process is killed, and says it exited', async () => {
    const w = start(join(sampleModelsDir, 'boston-rf'));
    await w.ready();
    const exited = new Promise<void>((resolve) => w.onExit(resolve));
    const call = w.score(JSON.stringify({ columns: bostonRow }), signal());
    w.kill('SIGKILL');
    await expect(call).rejects.toThrow(/exited/);
    await exited;
  });
});
