import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { config } from '../config.js';
import { ensureAppError, problemResponse } from '../errors.js';

/**
 * The problem+json answer for an error, carrying the request id (the invocation's id) that
 * its log lines carry too. Server-side failures are logged with R's own message when R
 * failed (never payloads); the answer shows R's message only with SHOW_R_ERRORS.
 */
export function answerError(
  err: unknown,
  request: HttpRequest,
  context: InvocationContext,
  model?: { name: string; version: string },
): HttpResponseInit {
  const appError = ensureAppError(err);
  const path = new URL(request.url).pathname;
  if (appError.status >= 500) {
    const why = appError.rMessage !== undefined ? `: R: ${appError.rMessage}` : appError.cause instanceof Error ? `: ${appError.cause.message}` : '';
    context.error(`${appError.code} ${request.method} ${path} request ${context.invocationId}${why}`);
  }
  return problemResponse(appError, { instance: path, requestId: context.invocationId, model, showRMessage: config().showRErrors });
}
