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

/** Submits a CSV batch of `rows` Boston rows and polls until it finishes: seconds and state. */
export async function runBatch(baseUrl: string, key: string, rows: number, chunkSize: number, onPoll?: () => void): Promise<{ seconds: number; state: string }> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/api/batches?chunkSize=${chunkSize}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', 'x-functions-key': key },
    body: bostonCsvStream(rows),
    duplex: 'half',
  } as RequestInit);
  const submitted = (await res.json()) as { id: string };
  if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(submitted)}`);
  for (;;) {
    onPoll?.();
    const status = (await (await fetch(`${baseUrl}/api/batches/${submitted.id}?redirect=false`, { headers: { 'x-functions-key': key } })).json()) as { state: string };
    if (['succeeded', 'failed', 'cancelled'].includes(status.state)) return { seconds: (performance.now() - started) / 1000, state: status.state };
    await new Promise((r) => setTimeout(r, 100));
  }
}
