import type { HttpRequest } from '@azure/functions';
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

/** The body's text, refusing (413) as soon as it passes `maxBytes`. */
export async function readText(request: HttpRequest, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = request.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
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
