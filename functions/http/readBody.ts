import type { HttpRequest } from '@azure/functions';
import { config } from '../config.js';
import { AppError } from '../errors.js';

/** A JSON content type: application/json or application/*+json, with any parameters. */
export const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The body's text if it is JSON within `maxBytes`; 415 or 413 otherwise, before reading more. */
export async function readJsonText(request: HttpRequest, maxBytes: number): Promise<string> {
  const type = request.headers.get('content-type') ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new AppError('unsupported_media_type', `Send the body as application/json${type ? `, not ${type.split(';')[0]}` : ''}.`);
  }
  return readText(request, maxBytes);
}

/**
 * The body's text, refusing (413) as soon as it passes `maxBytes`, and (408) when the whole
 * body has not arrived within `timeoutMs` (BODY_READ_TIMEOUT_MS): the app never waits on a
 * body without a limit, whatever the front end in front of it allows.
 */
export async function readText(request: HttpRequest, maxBytes: number, timeoutMs = config().bodyReadTimeoutMs): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = request.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'late') {
        await reader.cancel().catch(() => undefined);
        throw new AppError('body_timeout', `The request body did not arrive within ${timeoutMs / 1000} s.`);
      }
      const { done, value } = next;
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new AppError('malformed_json', 'The request body is not valid UTF-8.');
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
}
