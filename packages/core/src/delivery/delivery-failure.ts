import type { Classification, ErrorType } from './classify-error';

/**
 * A failed attempt that BullMQ should retry. It carries its classification, so the
 * backoff strategy can wait longer for unknown errors and honour `Retry-After`.
 */
export class RetryableDeliveryError extends Error {
  override readonly name = 'RetryableDeliveryError';
  constructor(
    readonly classification: Classification,
    detail: string,
  ) {
    super(describeFailure(classification.type, classification.httpStatus, detail));
  }
}

/**
 * The failure text stored on a job (BullMQ's `failedReason`): `<type> [HTTP <status>]: <detail>`.
 * It is written only here and read only by `parseFailure`, so a job's last outcome
 * (class and status) survives in Redis without an extra write per attempt.
 */
export function describeFailure(type: ErrorType, httpStatus: number | null, detail: string): string {
  return `${type}${httpStatus ? ` HTTP ${httpStatus}` : ''}: ${detail}`;
}

const FAILURE = /^(transient|permanent|unknown)(?: HTTP (\d{3}))?: ([\s\S]*)$/;

export interface ParsedFailure {
  readonly errorType: ErrorType;
  readonly httpStatus: number | null;
  readonly detail: string;
}

/** Reads back what `describeFailure` wrote; text from elsewhere (a stalled job, say) counts as unknown. */
export function parseFailure(reason: string | undefined | null): ParsedFailure {
  const match = reason ? FAILURE.exec(reason) : null;
  if (!match) return { errorType: 'unknown', httpStatus: null, detail: reason ?? '' };
  return { errorType: match[1] as ErrorType, httpStatus: match[2] ? Number(match[2]) : null, detail: match[3]! };
}
