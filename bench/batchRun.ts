import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleModelsDir } from '../scripts/samples.js';

/** The Boston prototype's rows (without medv) as CSV lines, and its header. */
export function bostonCsv(): { header: string; lines: string[] } {
  const text = readFileSync(join(sampleModelsDir, 'boston-rf', 'prototype.csv'), 'utf8').trim().split('\n');
  const header = (text[0] as string).split(',');
  const keep = header.map((h, i) => [h.replace(/"/g, ''), i] as const).filter(([h]) => h !== 'medv');
  return {
    header: keep.map(([h]) => h).join(','),
    lines: text.slice(1).map((l) => {
      const cells = l.split(',');
      return keep.map(([, i]) => cells[i]).join(',');
    }),
  };
}

/** A CSV body of `rows` Boston rows (the prototype repeated), generated as it is sent. */
export function bostonCsvStream(rows: number): ReadableStream<Uint8Array> {
  const { header, lines } = bostonCsv();
  async function* gen() {
    yield `${header}\n`;
    for (let i = 0; i < rows; i += 1000) {
      const block: string[] = [];
      for (let j = i; j < Math.min(rows, i + 1000); j++) block.push(lines[j % lines.length] as string);
      yield `${block.join('\n')}\n`;
    }
  }
  const encoder = new TextEncoder();
  const pieces = gen();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await pieces.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      },
    },
    { highWaterMark: 0 },
  );
}

export interface BatchRun {
  /** From sending the first byte of the CSV to the batch's last chunk finishing. */
  seconds: number;
  state: string;
}

/**
 * Submits a CSV batch of `rows` Boston rows (chunk size: the app's default unless given)
 * and polls until it finishes. The time ends at the batch's own finishedAt (same machine,
 * same clock), so the client's polling interval does not blur it.
 */
export async function runBatch(baseUrl: string, key: string, rows: number, chunkSize?: number, onPoll?: () => void): Promise<BatchRun> {
  const startedAt = Date.now();
  const res = await fetch(`${baseUrl}/api/batches${chunkSize ? `?chunkSize=${chunkSize}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'x-functions-key': key },
    body: bostonCsvStream(rows),
    duplex: 'half',
  } as RequestInit);
  const submitted = (await res.json()) as { id: string };
  if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(submitted)}`);
  for (;;) {
    onPoll?.();
    const status = (await (await fetch(`${baseUrl}/api/batches/${submitted.id}?redirect=false`, { headers: { 'x-functions-key': key } })).json()) as { state: string; finishedAt: string | null };
    if (['succeeded', 'failed', 'cancelled'].includes(status.state)) {
      const finishedAt = status.finishedAt ? Date.parse(status.finishedAt) : Date.now();
      return { seconds: (finishedAt - startedAt) / 1000, state: status.state };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A 10,000-row warm-up batch, then `runs` measured batches of `rows` rows: the median run
 * and every run's seconds.
 */
export async function measureBatches(baseUrl: string, key: string, rows: number, runs = 3, onPoll?: () => void): Promise<BatchRun & { runs: number[] }> {
  await runBatch(baseUrl, key, 10_000, undefined, onPoll);
  const measured: BatchRun[] = [];
  for (let i = 0; i < runs; i++) measured.push(await runBatch(baseUrl, key, rows, undefined, onPoll));
  const sorted = [...measured].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor(sorted.length / 2)] as BatchRun;
  const failed = measured.find((r) => r.state !== 'succeeded');
  return { seconds: median.seconds, state: failed?.state ?? median.state, runs: measured.map((r) => Math.round(r.seconds * 1000) / 1000) };
}
