import type { Alert, GroupContext } from '../alert/alert';
import type { TargetConfig } from '../config/target-config';
import type { ErrorType } from '../delivery/classify-error';

/** An HTTP request ready to send: what a formatter turns an alert into. */
export interface OutboundRequest {
  readonly method: 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A Formatter is a pure function from an alert, its group context and a target to the
 * request that target's service accepts. It throws FormatError when it cannot.
 */
export type Formatter<T extends TargetConfig = TargetConfig> = (alert: Alert, group: GroupContext, target: T) => OutboundRequest;

/** A formatter could not build a request: a permanent failure, never retried. */
export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/**
 * How a service reads one of its answers: a failure class, 'success', or undefined when
 * the HTTP status alone decides (DESIGN.md's lists). Services use it for answers whose
 * status misleads, such as a 200 whose body reports an error.
 */
export type AnswerReader = (status: number, body: string) => ErrorType | 'success' | undefined;

/** A TargetService is everything Herald knows about publishing to one kind of target. */
export interface TargetService<T extends TargetConfig = TargetConfig> {
  readonly format: Formatter<T>;
  readonly readAnswer?: AnswerReader;
}
