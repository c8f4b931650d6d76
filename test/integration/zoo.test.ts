import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../functions/paths.js';
import { publishModel } from '../../scripts/publish.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * The model zoo (test/zoo/zoo.R) through the HTTP API: each model is published as a user
 * publishes it (the describe step on its prototype, a CSV written by write.csv or an .rds),
 * offers exactly the prediction types it should, and scores every one of them equal to the
 * plain R call, double for double: several rows at once, and one row alone.
 */

interface ZooModel {
  name: string;
  package: string;
  types: string[];
  default: string;
  prototype: string;
  score: boolean;
  response: string | null;
}

const zooDir = await mkdtemp(join(tmpdir(), 'zoo-'));
await execa('Rscript', [join(appRoot, 'test/zoo/train.R'), zooDir]);
const zoo = JSON.parse(readFileSync(join(zooDir, 'zoo.json'), 'utf8')) as ZooModel[];

let stack: Stack;
const published = new Map<string, Promise<void>>();

/** Publishes every model, two describe steps at a time (each is an R process). */
function publishAll(): void {
  const chain: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  zoo.forEach((m, i) => {
    const dir = join(zooDir, m.name);
    const slot = i % 2;
    const done = (chain[slot] as Promise<void>).then(async () => {
      await publishModel(stack.store, {
        model: join(dir, 'model.rds'),
        prototype: join(dir, m.prototype),
        score: m.score ? join(dir, 'score.R') : undefined,
        response: m.response ?? undefined,
        name: m.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-'),
        version: '1',
      });
    });
    chain[slot] = done.catch(() => undefined);
    published.set(m.name, done);
  });
}

beforeAll(async () => {
  stack = await startStack({ R_WORKERS: '1' });
  publishAll();
});

afterAll(async () => {
  await stack?.close();
});

interface Version {
  features: { name: string }[];
  predictionTypes: Record<string, unknown>;
  defaultType: string;
}

describe('the model zoo through the HTTP API', () => {
  it('has at least 60 model families from at least 30 packages', () => {
    expect(zoo.length).toBeGreaterThanOrEqual(60);
    expect(new Set(zoo.map((m) => m.package).filter((p) => p !== 'stats')).size).toBeGreaterThanOrEqual(30);
  });

  it.each(zoo.map((m) => [m.name, m] as const))('%s: offers its types, each scoring equal to R', async (_name, m) => {
    await published.get(m.name);
    const name = m.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
    const version = (await (await stack.call(`/api/models/${name}/versions/1`)).json()) as Version;
    expect(Object.keys(version.predictionTypes).sort()).toEqual([...m.types].sort());
    expect(version.defaultType).toBe(m.default);
    const features = version.features.map((f) => f.name);
    const all = JSON.parse(readFileSync(join(zooDir, m.name, 'rows.json'), 'utf8')) as Record<string, unknown>[];
    const rows = all.map((r) => Object.fromEntries(features.map((f) => [f, r[f] ?? null])));
    const expected = JSON.parse(readFileSync(join(zooDir, m.name, 'expected.json'), 'utf8')) as Record<string, unknown[]>;
    for (const type of m.types) {
      const many = await stack.post(`/api/models/${name}/score`, { data: rows, type });
      const body = (await many.json()) as { predictions: unknown[] };
      expect(many.status, `${type}: ${JSON.stringify(body)}`).toBe(200);
      expect(body.predictions, type).toEqual(expected[type]);
      const one = await stack.post(`/api/models/${name}/score`, { data: rows[0], type });
      expect(((await one.json()) as { predictions: unknown[] }).predictions, `${type}, one row`).toEqual([expected[type]?.[0]]);
    }
  });

  it('wrote a prototype CSV with row names, as write.csv does, for some models', () => {
    const csv = zoo.filter((m) => m.prototype.endsWith('.csv'));
    expect(csv.length).toBeGreaterThan(0);
    for (const m of csv) expect(readFileSync(join(zooDir, m.name, m.prototype), 'utf8').startsWith('"",')).toBe(true);
    expect(existsSync(join(zooDir, 'zoo.json'))).toBe(true);
  });
});
