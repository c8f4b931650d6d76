import type { HttpResponseInit } from '@azure/functions';

/** One bad value in a request: where it is (row and JSON pointer into the body) and why. */
export interface FieldError {
  field: string;
  message: string;
  row?: number;
  pointer: string;
}

/** Every error the app answers with: one line each, code -> HTTP status and title. */
export const errorCodes = {
  malformed_json: { status: 400, title: 'Malformed JSON' },
  invalid_request: { status: 400, title: 'Invalid request' },
  model_not_found: { status: 404, title: 'Model not found' },
  version_not_found: { status: 404, title: 'Model version not found' },
  batch_not_found: { status: 404, title: 'Batch not found' },
  input_not_found: { status: 404, title: 'Batch input not found' },
  file_not_found: { status: 404, title: 'File not found' },
  batch_finished: { status: 409, title: 'Batch already finished' },
  alias_not_found: { status: 404, title: 'Alias not found' },
  alias_protected: { status: 409, title: 'Alias cannot be removed' },
  version_in_use: { status: 409, title: 'Version in use' },
  version_exists: { status: 409, title: 'Version already published' },
  describe_failed: { status: 422, title: 'The model could not be described' },
  body_timeout: { status: 408, title: 'Request body too slow' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  too_many_rows: { status: 413, title: 'Too many rows' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  invalid_input: { status: 422, title: 'Invalid input' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused' },
  unsupported_type: { status: 422, title: 'Unsupported prediction type' },
  no_default_model: { status: 404, title: 'No default model' },
  overloaded: { status: 503, title: 'Overloaded' },
  model_unavailable: { status: 503, title: 'Model unavailable' },
  worker_failed: { status: 503, title: 'Worker failed' },
  timeout: { status: 504, title: 'Scoring timed out' },
  prediction_failed: { status: 500, title: 'Prediction failed' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;

export interface AppErrorOptions {
  errors?: FieldError[];
  /** Seconds a client should wait before trying again (503). */
  retryAfter?: number;
  /** R's own error message, when R failed: logged always, answered only when the settings say so. */
  rMessage?: string;
  cause?: unknown;
}

/** The app's one error family: a stable code, its HTTP status, a detail for people. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[];
  readonly retryAfter: number | undefined;
  readonly rMessage: string | undefined;

  constructor(code: ErrorCode, detail: string, options: AppErrorOptions = {}) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.errors = options.errors ?? [];
    this.retryAfter = options.retryAfter;
    this.rMessage = options.rMessage;
  }
}

/** The 400 for a bad query parameter, naming it (pointer `?name`). */
export function badQuery(field: string, message: string): AppError {
  return new AppError('invalid_request', `Query parameter "${field}" ${message}.`, { errors: [{ field, message, pointer: `?${field}` }] });
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof Error && (err as { name?: string }).name === 'AppError' && typeof (err as AppError).code === 'string';
}

/** Any thrown value as an AppError: unknown errors become a 500 with no internals. */
export function ensureAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return new AppError('internal', 'The service failed to handle the request.', { cause: err });
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  /** The id the app logged the request under (the function invocation's id). */
  requestId?: string;
  /** The model version the request was validated against. */
  model?: { name: string; version: string };
  errors?: FieldError[];
}

/** Where an error was answered: members added to its problem body, and what it may reveal. */
export interface ProblemContext {
  instance?: string;
  requestId?: string;
  model?: { name: string; version: string };
  /** Put R's own message in the detail (the SHOW_R_ERRORS setting). */
  showRMessage?: boolean;
}

/** The RFC 9457 body for an error. */
export function problemDetails(err: AppError, ctx: ProblemContext = {}): ProblemDetails {
  const body: ProblemDetails = {
    type: `urn:r-scoring:error:${err.code}`,
    title: errorCodes[err.code].title,
    status: err.status,
    code: err.code,
    detail: ctx.showRMessage && err.rMessage ? `${err.message} R said: ${err.rMessage}` : err.message,
  };
  if (ctx.instance) body.instance = ctx.instance;
  if (ctx.requestId) body.requestId = ctx.requestId;
  if (ctx.model) body.model = ctx.model;
  if (err.errors.length > 0) body.errors = err.errors;
  return body;
}

/** The one place an error becomes an HTTP answer. */
export function problemResponse(err: unknown, ctx: ProblemContext = {}): HttpResponseInit {
  const appError = ensureAppError(err);
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (appError.retryAfter !== undefined) headers['retry-after'] = String(appError.retryAfter);
  return { status: appError.status, headers, body: JSON.stringify(problemDetails(appError, ctx)) };
}
