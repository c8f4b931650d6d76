import { Validator } from '@seriousme/openapi-schema-validator';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../../scripts/publish.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { until } from '../helpers/traffic.js';

/**
 * A model on Date, POSIXct and difftime inputs, trained in R here as a user trains one
 * (`lm(sales ~ day + store + promo + at + wait)`, `at` stored in America/New_York, `wait`
 * in days), published with its .rds prototype and scored over HTTP: JSON records with the
 * date-times in every accepted form (UTC, an offset either way, R's own local text without
 * an offset), one row alone, and a CSV batch as write.csv writes it; each prediction equal
 * to R's predict() on the same rows, double for double. Bad values are refused with 422.
 */

interface Expected {
  /** The rows as JSON records, by the form their date-times are written in. */
  records: Record<'utc' | 'offset' | 'colon' | 'local', Record<string, unknown>[]>;
  predictions: number[];
  /** One row whose time has half a second. */
  fraction: { record: Record<string, unknown>; prediction: number };
}

interface Problem {
  status: number;
  code: string;
  errors: { field: string; row?: number; pointer: string; message: string }[];
}

const dir = await mkdtemp(join(tmpdir(), 'date-inputs-'));
const name = 'sales-dates';

const trainScript = `
  dir <- commandArgs(TRUE)[1]
  set.seed(20)
  n <- 120
  start <- as.POSIXct("2024-01-01 08:00:00", tz = "America/New_York")
  train <- data.frame(
    day = as.Date("2024-01-01") + sample(0:180, n, TRUE),
    store = factor(sample(c("north", "south", "east"), n, TRUE)),
    promo = sample(c(TRUE, FALSE), n, TRUE),
    at = start + sample(0:(180 * 24), n, TRUE) * 3600 + sample(0:59, n, TRUE) * 60 + sample(0:59, n, TRUE),
    wait = as.difftime(round(runif(n, 0.5, 4), 3), units = "days")
  )
  train$sales <- 200 + 0.8 * as.numeric(train$day - as.Date("2024-01-01")) + 15 * (train$store == "south") +
    30 * train$promo + 2e-5 * as.numeric(difftime(train$at, start, units = "secs")) - 6 * as.numeric(train$wait) + rnorm(n, sd = 5)
  fit <- lm(sales ~ day + store + promo + at + wait, data = train)
  saveRDS(fit, file.path(dir, "model.rds"))
  saveRDS(train, file.path(dir, "prototype.rds"))

  # Rows of the training data, and new ones: summer time (EDT), the day clocks go forward,
  # a leap day; the times as stored, in New York.
  extra <- data.frame(
    day = as.Date(c("2024-07-04", "2024-03-10", "2024-11-03", "2024-02-29")),
    store = factor(c("east", "north", "south", "north"), levels = levels(train$store)),
    promo = c(TRUE, FALSE, TRUE, FALSE),
    at = as.POSIXct(c("2024-07-04 12:00:00", "2024-03-10 03:30:00", "2024-11-03 12:30:00", "2024-02-29 23:59:59"), tz = "America/New_York"),
    wait = as.difftime(c(1, 2.5, 0.75, 3), units = "days")
  )
  newdata <- rbind(train[c(3, 17, 42, 99), names(extra)], extra)
  rownames(newdata) <- NULL
  write.csv(newdata, file.path(dir, "rows.csv"), row.names = FALSE)

  num <- function(x) sprintf("%.17g", x)
  records <- function(rows, at) {
    out <- data.frame(day = format(rows$day), store = as.character(rows$store), promo = rows$promo, at = at, stringsAsFactors = FALSE)
    out$wait <- structure(num(as.numeric(rows$wait)), class = "json")
    jsonlite::toJSON(out, dataframe = "rows", json_verbatim = TRUE)
  }
  offset <- format(newdata$at, "%Y-%m-%dT%H:%M:%S%z")
  fraction <- newdata[1, ]
  fraction$at <- fraction$at + 0.5
  cat(file = file.path(dir, "expected.json"), "{",
    '"records": {',
    '"utc":', records(newdata, format(newdata$at, "%Y-%m-%dT%H:%M:%SZ", tz = "UTC")), ",",
    '"offset":', records(newdata, offset), ",",
    '"colon":', records(newdata, sub("(..)$", ":\\\\1", offset)), ",",
    '"local":', records(newdata, format(newdata$at, "%Y-%m-%d %H:%M:%S")),
    "},",
    '"predictions": [', paste(num(predict(fit, newdata)), collapse = ","), "],",
    '"fraction": {"record":', sub("^\\\\[(.*)\\\\]$", "\\\\1", records(fraction, paste0(format(fraction$at, "%Y-%m-%dT%H:%M:%S", tz = "UTC"), ".5Z"))),
    ', "prediction":', num(predict(fit, fraction)), "}}")
`;

let stack: Stack;
let published: Promise<unknown>;
let expected: Expected;

beforeAll(async () => {
  await execa('Rscript', ['-e', trainScript, dir]);
  expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Expected;
  stack = await startStack({ R_WORKERS: '1' });
  published = publishModel(stack.store, { model: join(dir, 'model.rds'), prototype: join(dir, 'prototype.rds'), name, version: '1' });
  // Each test says what failed, publishing included.
  published.catch(() => undefined);
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

const score = (body: unknown) => stack.post(`/api/models/${name}/score`, body);

async function predictions(body: unknown): Promise<unknown[]> {
  const res = await score(body);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as { predictions: unknown[] }).predictions;
}

const same = (got: unknown[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((p, i) => expect(Object.is(p, want[i]), `row ${i}: ${String(p)} is not R's ${want[i]}`).toBe(true));
};

describe('Date, POSIXct and difftime inputs end to end', () => {
  it('are described as date, datetime (with its time zone) and difftime (with its units)', async () => {
    await published;
    const version = (await (await stack.call(`/api/models/${name}/versions/1`)).json()) as { features: Record<string, unknown>[] };
    const byName = Object.fromEntries(version.features.map((f) => [f.name, f]));
    expect(byName.day).toMatchObject({ type: 'date', min: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), max: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(byName.at).toMatchObject({ type: 'datetime', timezone: 'America/New_York', min: expect.stringMatching(/Z$/) });
    expect(byName.wait).toMatchObject({ type: 'difftime', units: 'days' });
    expect(byName.store).toMatchObject({ type: 'factor' });
  });

  it.each(['utc', 'offset', 'colon', 'local'] as const)('score JSON records with %s date-times equal to R', async (form) => {
    await published;
    same(await predictions({ data: expected.records[form] }), expected.predictions);
  });

  it('score one row alone, and a time with a fraction of a second, equal to R', async () => {
    await published;
    for (const [i, record] of expected.records.utc.entries()) same(await predictions({ data: record }), [expected.predictions[i] as number]);
    same(await predictions({ data: [expected.fraction.record] }), [expected.fraction.prediction]);
  });

  it("score a CSV batch as write.csv writes it (R's local times without an offset) equal to R", async () => {
    await published;
    const csv = await readFile(join(dir, 'rows.csv'), 'utf8');
    const res = await stack.call(`/api/models/${name}/batches`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    const submitted = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(submitted)).toBe(202);
    let state = '';
    await until(async () => {
      state = ((await (await stack.call(`/api/batches/${submitted.id}?redirect=false`)).json()) as { state: string }).state;
      return ['succeeded', 'failed', 'cancelled'].includes(state);
    }, 120_000, 'the batch to finish');
    expect(state).toBe('succeeded');
    const out = (await (await stack.call(`/api/batches/${submitted.id}/results`, { headers: { accept: 'application/json' } })).json()) as { results: { row: number; prediction: unknown }[] };
    expect(out.results.map((r) => r.row)).toEqual(expected.predictions.map((_, i) => i));
    same(out.results.map((r) => r.prediction), expected.predictions);
  });

  it('refuse bad values with 422, naming the field, row and pointer', async () => {
    await published;
    const good = expected.records.utc[0] as Record<string, unknown>;
    const cases: [Record<string, unknown>, string, string][] = [
      [{ day: '2024-02-30' }, 'day', 'must be a date (YYYY-MM-DD)'],
      [{ day: '02/15/2024' }, 'day', 'must be a date (YYYY-MM-DD)'],
      [{ at: '2024-02-15T25:00:00Z' }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
      [{ at: 1708000000 }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
      // Without an offset, read in New York, whose clocks skip from 02:00 to 03:00 that day.
      [{ at: '2024-03-10 02:30:00' }, 'at', 'must be a date-time (ISO 8601, e.g. 2024-02-15T10:30:00Z)'],
      [{ wait: '2 days' }, 'wait', 'must be a number (of days)'],
    ];
    for (const [change, field, message] of cases) {
      const res = await score({ data: [good, { ...good, ...change }] });
      expect(res.status).toBe(422);
      const body = (await res.json()) as Problem;
      expect(body.code).toBe('invalid_input');
      expect(body.errors).toEqual([{ field, row: 1, message, pointer: `/data/1/${field}` }]);
    }
    // In a CSV batch, refused at submit.
    const csv = 'day,store,promo,at,wait\n2024-02-15,north,TRUE,2024-02-15 10:30:00,1\n2024-02-30,north,TRUE,2024-02-15 10:30:00,1\n';
    const res = await stack.call(`/api/models/${name}/batches`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors).toEqual([{ field: 'day', row: 1, message: 'must be a date (YYYY-MM-DD)', pointer: '/rows/1/day' }]);
  });

  it('are in the OpenAPI document as format date and date-time, and a difftime as a number in its units', async () => {
    await published;
    const doc = (await (await stack.call('/api/openapi.json')).json()) as { components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> } };
    const row = doc.components.schemas[`Row_${name.replace(/[^A-Za-z0-9_]/g, '_')}`];
    expect(row?.properties.day).toMatchObject({ type: 'string', format: 'date' });
    expect(row?.properties.at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(row?.properties.at?.description).toContain('America/New_York');
    expect(row?.properties.wait).toMatchObject({ type: 'number' });
    expect(row?.properties.wait?.description).toContain('days');
    const result = await new Validator().validate(doc as unknown as object);
    expect(result.valid, JSON.stringify(result.errors)).toBe(true);
  });
});
