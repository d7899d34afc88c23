import type { Alert, GroupContext } from '../alert/alert';
import type { TargetConfig } from '../config/target-config';

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
