import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@herald/core';

export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** An HttpError is an answer the client should get as `{ error: { code, message, details? } }`. */
export class HttpError extends Error {
  /** Sent as `Retry-After` (seconds): when the client should try again. */
  readonly retryAfterSeconds: number | undefined = undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: readonly ErrorDetail[],
  ) {
    super(message);
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, details: readonly ErrorDetail[]) {
    super(400, 'validation_failed', message, details);
  }
}

export class UnauthorizedError extends HttpError {
  constructor() {
    super(401, 'unauthorized', 'a valid "Authorization: Bearer <token>" header is required');
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, 'conflict', message);
  }
}

/**
 * A dependency (Redis, PostgreSQL) cannot be reached. Answered 503 with Retry-After,
 * which makes Alertmanager retry the notification instead of dropping it.
 */
export class ServiceUnavailableError extends HttpError {
  override readonly retryAfterSeconds = 5;
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(503, 'service_unavailable', `${dependency} is unavailable; retry later`);
    this.cause = cause;
  }
}

/** Runs a Redis call, turning its failure into a 503 the client may retry. */
export async function withRedis<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ServiceUnavailableError('redis', error);
  }
}

/** A request over one of Herald's limits; `code` names which. */
export class LimitExceededError extends HttpError {
  constructor(code: string, message: string) {
    super(413, code, message);
  }
}

/**
 * Some alerts were refused because their queue is over its depth limit (the others were
 * queued): a 503, so Alertmanager sends the batch again, and deduplication keeps the
 * queued ones from being queued twice.
 */
export class QueueFullError extends HttpError {
  override readonly retryAfterSeconds = 10;
  constructor(message: string, details: readonly ErrorDetail[]) {
    super(503, 'queue_full', message, details);
  }
}

/**
 * SQLSTATE classes that mean PostgreSQL is unreachable or unwilling right now: connection
 * exceptions (08), insufficient resources (53), operator intervention such as a shutdown
 * (57). Any other SQLSTATE is a bug in a query and stays a 500.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57)/;

/** Runs a PostgreSQL call, turning "cannot reach the database" into a 503 the client may retry. */
export async function withDatabase<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    const code = (error as { code?: unknown }).code;
    const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    if (sqlState && !UNAVAILABLE_SQLSTATE.test(sqlState)) throw error;
    throw new ServiceUnavailableError('postgresql', error);
  }
}

/** Errors body-parser raises, by its `type`, as the answer the client gets. */
const BODY_PARSER_ERRORS: Record<string, (error: { limit?: number }) => HttpError> = {
  'entity.parse.failed': () => new HttpError(400, 'invalid_json', 'the request body is not valid JSON'),
  'entity.too.large': () => new HttpError(413, 'payload_too_large', 'the request body exceeds the 1 MiB limit'),
  'encoding.unsupported': () => new HttpError(400, 'unsupported_encoding', 'the request body encoding is not supported'),
  'charset.unsupported': () => new HttpError(400, 'unsupported_charset', 'the request body must be UTF-8'),
  'request.aborted': () => new HttpError(400, 'request_aborted', 'the request body was cut short'),
  'request.size.invalid': () => new HttpError(400, 'invalid_body_size', 'the request body does not match its Content-Length'),
};

/**
 * The answer to a body that cannot be read, by body-parser's name for the problem: the
 * ingest fast path, which reads bodies itself, answers as Express's routes do.
 */
export function bodyError(type: 'entity.parse.failed' | 'entity.too.large' | 'request.aborted'): HttpError {
  return BODY_PARSER_ERRORS[type]!({});
}

export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && type in BODY_PARSER_ERRORS) return BODY_PARSER_ERRORS[type]!(error as { limit?: number });
  return undefined;
}

/** An error as the client gets it: status, extra headers and the `{ error }` body. */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: Record<string, unknown> };
}

/**
 * The one place errors become answers, for Express's routes and the ingest fast path
 * alike; anything unexpected is logged and answered 500.
 */
export function errorAnswer(error: unknown, logger: Logger, request: { method: string; path: string; requestId: string | undefined }): ErrorAnswer {
  const { requestId } = request;
  const httpError = toHttpError(error);
  if (!httpError) {
    logger.error('request failed', { method: request.method, path: request.path, requestId, error: (error as Error)?.message, stack: (error as Error)?.stack });
    return { status: 500, headers: {}, body: { error: { code: 'internal_error', message: 'internal error', requestId } } };
  }
  if (httpError instanceof ServiceUnavailableError) {
    logger.warn('dependency unavailable', { dependency: httpError.dependency, method: request.method, path: request.path, requestId, cause: (httpError.cause as Error)?.message });
  }
  return {
    status: httpError.status,
    headers: httpError.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(httpError.retryAfterSeconds) },
    body: { error: { code: httpError.code, message: httpError.message, ...(httpError.details ? { details: httpError.details } : {}), requestId } },
  };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const answer = errorAnswer(error, logger, { method: req.method, path: req.path, requestId: res.locals.requestId });
    res.set(answer.headers).status(answer.status).json(answer.body);
  };
}

export const notFoundHandler: RequestHandler = (req) => {
  throw new NotFoundError(`no route for ${req.method} ${req.path}`);
};
