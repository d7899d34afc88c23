import { FormatError, type AnswerReader } from '../formatters/formatter';
import { DeliveryTimeoutError, HttpStatusError, TransportError } from './delivery-errors';

/**
 * How a failed delivery is handled:
 * - `transient`: the target is slow, overloaded or unreachable; retry with backoff;
 * - `permanent`: the request itself is wrong; retrying cannot help, dead-letter at once;
 * - `unknown`: anything else; retry, more patiently.
 */
export type ErrorType = 'transient' | 'permanent' | 'unknown';

export interface Classification {
  readonly type: ErrorType;
  readonly httpStatus: number | null;
  /** How long the target asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | null;
}

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const PERMANENT_STATUSES = new Set([400, 401, 403, 404, 405, 410, 413, 422]);

/** Connection failures worth retrying: refused, reset, broken, unreachable, unresolvable. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Classifies a delivery failure by its type, status and error code, never by its
 * message. A target's service may read its own answers first (`readAnswer`).
 */
export function classifyError(error: unknown, readAnswer?: AnswerReader): Classification {
  if (error instanceof HttpStatusError) {
    const read = error.classifiedAs ?? readAnswer?.(error.status, error.body);
    const byService = read && read !== 'success' ? read : undefined;
    const type = byService ?? (TRANSIENT_STATUSES.has(error.status) ? 'transient' : PERMANENT_STATUSES.has(error.status) ? 'permanent' : 'unknown');
    return { type, httpStatus: error.status, retryAfterMs: error.retryAfterMs };
  }
  if (error instanceof DeliveryTimeoutError) return { type: 'transient', httpStatus: null, retryAfterMs: null };
  if (error instanceof TransportError) {
    return { type: TRANSIENT_CODES.has(error.code) ? 'transient' : 'unknown', httpStatus: null, retryAfterMs: null };
  }
  if (error instanceof FormatError) return { type: 'permanent', httpStatus: null, retryAfterMs: null };
  return { type: 'unknown', httpStatus: null, retryAfterMs: null };
}
