import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ensureAppError, problemResponse } from '../errors.js';

/** The problem+json answer for an error; server-side failures are logged (never payloads). */
export function answerError(err: unknown, request: HttpRequest, context: InvocationContext): HttpResponseInit {
  const appError = ensureAppError(err);
  if (appError.status >= 500) {
    const cause = appError.cause instanceof Error ? `: ${appError.cause.message}` : '';
    context.error(`${appError.code} ${request.method} ${new URL(request.url).pathname}${cause}`);
  }
  return problemResponse(appError, new URL(request.url).pathname);
}
