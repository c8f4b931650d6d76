import { execa } from 'execa';
import getPort from 'get-port';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rHandlerDir } from '../../functions/paths.js';
import { callRHandler } from '../../functions/workers/rHandlerClient.js';
import { startRProcess, type RProcess } from '../../functions/workers/rProcess.js';
import { sampleModelsDir } from '../../scripts/samples.js';
import { rPredict } from '../helpers/r.js';

async function rowsJson(model: string, rowsExpr: string): Promise<string> {
  const script = `
    dir <- "${join(sampleModelsDir, model)}"
    proto <- readRDS(file.path(dir, "prototype.rds")); rows <- ${rowsExpr}
    cat(jsonlite::toJSON(list(columns = rows), dataframe = "columns", digits = I(17), na = "null"))`;
  const { stdout } = await execa('Rscript', ['-e', script]);
  return stdout;
}

describe('R handler over HTTP from Node', () => {
  let boston: RProcess;
  let penguins: RProcess;

  beforeAll(async () => {
    const start = (model: string, port: number) =>
      startRProcess({ rscript: 'Rscript', handlerDir: rHandlerDir, modelDir: join(sampleModelsDir, model), port, readyTimeoutMs: 60_000 });
    boston = start('boston-rf', await getPort());
    penguins = start('penguins-rf', await getPort());
    await Promise.all([boston.ready(), penguins.ready()]);
  });

  afterAll(() => {
    boston?.kill();
    penguins?.kill();
  });

  it('returns Boston predictions that are the same doubles as predict()', async () => {
    const rows = 'proto[1:50, setdiff(names(proto), "medv")]';
    const [body, expected] = await Promise.all([rowsJson('boston-rf', rows), rPredict('boston-rf', rows)]);
    const res = await callRHandler(boston.port, 'POST', '/score', body);
    expect(res.status).toBe(200);
    const got = JSON.parse(res.body) as { predictions: number[] };
    expect(got.predictions).toHaveLength(50);
    got.predictions.forEach((value, i) => expect(Object.is(value, (expected as number[])[i])).toBe(true));
  });

  it('returns one named probability per class', async () => {
    const rows = 'na.omit(proto)[1:20, ]';
    const [body, expected] = await Promise.all([rowsJson('penguins-rf', rows), rPredict('penguins-rf', rows, 'prob')]);
    const withType = JSON.stringify({ ...JSON.parse(body), type: 'prob' });
    const res = await callRHandler(penguins.port, 'POST', '/score', withType);
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { predictions: unknown[] }).predictions).toEqual(expected);
  });

  it('answers malformed JSON with a 400 problem, not plumber\'s 500', async () => {
    const res = await callRHandler(boston.port, 'POST', '/score', '{"columns": {"crim": [1,');
    expect(res.status).toBe(400);
    expect(res.contentType).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'malformed_json' });
  });

  it('answers an unseen factor level with a 422 naming the field and row', async () => {
    const body = JSON.stringify({
      data: [
        { island: 'Dream', bill_length_mm: 40, bill_depth_mm: 18, flipper_length_mm: 190, body_mass_g: 3800, sex: 'male' },
        { island: 'Atlantis', bill_length_mm: 40, bill_depth_mm: 18, flipper_length_mm: 190, body_mass_g: 3800, sex: 'male' },
      ],
    });
    const res = await callRHandler(penguins.port, 'POST', '/score', body);
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body).errors).toEqual([
      expect.objectContaining({ field: 'island', row: 1, pointer: '/data/1/island' }),
    ]);
  });
});
