import type { ErrorType } from './classify-error';

/**
 * A DeliveryError is a failed attempt to hand a request to a target. Its subclasses say
 * what happened in terms the classifier can read (a status, a system error code, a
 * timeout) and their messages never contain the target's URL or credentials.
 */
export class DeliveryError extends Error {
  override readonly name: string = 'DeliveryError';
}

/**
 * The target answered with a failure: a non-2xx status, or a 2xx whose body its service
 * uses to report an error (then `classifiedAs` says what the service meant).
 */
export class HttpStatusError extends DeliveryError {
  override readonly name = 'HttpStatusError';
  constructor(
    readonly status: number,
    /** From a `Retry-After` header, when the target sent one. */
    readonly retryAfterMs: number | null,
    /** The start of the answer's body. */
    readonly body: string,
    readonly classifiedAs?: ErrorType,
  ) {
    super(`target answered HTTP ${status}${body ? `: ${body}` : ''}`);
  }
}

/** No answer within the target's `timeoutMs`. */
export class DeliveryTimeoutError extends DeliveryError {
  override readonly name = 'DeliveryTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** The connection failed: refused, reset, unresolvable host, TLS and the like. */
export class TransportError extends DeliveryError {
  override readonly name = 'TransportError';
  constructor(
    /** The system or undici error code, e.g. ECONNREFUSED, ECONNRESET, ENOTFOUND, UND_ERR_SOCKET. */
    readonly code: string,
  ) {
    super(`connection failed (${code})`);
  }
}
