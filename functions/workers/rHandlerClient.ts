import { request } from 'undici';
import { FRAME_CONTENT_TYPE } from '../batch/columnFrame.js';

/** What the R handler answered: its status, content type and raw JSON text. */
export interface RHandlerReply {
  status: number;
  contentType: string;
  body: string;
}

/**
 * One HTTP exchange with an R handler on 127.0.0.1 (a string body is JSON, a Buffer a column
 * frame). Every request opens a new connection (`reset: true` sends `Connection: close`):
 * httpuv stalls ~40 ms per request on a kept-alive connection, while a fresh loopback
 * connection costs well under a millisecond.
 */
export async function callRHandler(
  port: number,
  method: 'GET' | 'POST',
  path: string,
  body?: string | Buffer,
  signal?: AbortSignal,
): Promise<RHandlerReply> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method,
    body,
    headers: body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'application/json' : FRAME_CONTENT_TYPE },
    reset: true,
    signal,
  });
  const text = await res.body.text();
  const type = res.headers['content-type'];
  return { status: res.statusCode, contentType: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''), body: text };
}
