import * as functions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../functions/errors.js';
import { readText } from '../../functions/http/readBody.js';

// The class is not a named export of the library's CommonJS bundle under Node's ESM loader.
const { HttpRequest } = functions;

/** A request whose body sends `pieces` and then, unless `end`, nothing more: a client gone quiet. */
function requestOf(pieces: string[], end: boolean): InstanceType<typeof HttpRequest> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(new TextEncoder().encode(p));
      if (end) controller.close();
    },
  });
  const url = 'http://127.0.0.1/api/score';
  const nativeRequest = new Request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
  return new HttpRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, nativeRequest } as never);
}

describe('readText', () => {
  it('reads a body that ends', async () => {
    expect(await readText(requestOf(['{"a":', '1}'], true), 1024, 1000)).toBe('{"a":1}');
  });

  it('answers 408 when the whole body has not arrived in time, instead of waiting for ever', async () => {
    const err = (await readText(requestOf(['{"data":'], false), 1024, 200).catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('body_timeout');
    expect(err.status).toBe(408);
    expect(err.message).toBe('The request body did not arrive within 0.2 s.');
  });

  it('still refuses a body past the limit as it arrives', async () => {
    const err = (await readText(requestOf(['x'.repeat(600), 'y'.repeat(600)], false), 1024, 5000).catch((e: unknown) => e)) as AppError;
    expect(err.status).toBe(413);
  });
});
