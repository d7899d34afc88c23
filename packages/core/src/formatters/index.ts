import type { Alert, GroupContext } from '../alert/alert';
import type { TargetConfig, TargetType } from '../config/target-config';
import type { Formatter, OutboundRequest } from './formatter';
import { formatWebhook } from './webhook';

const formatters: { [K in TargetType]: Formatter<Extract<TargetConfig, { type: K }>> } = {
  webhook: formatWebhook,
};

/** Builds the request for a target with the formatter of its type. */
export function formatFor(alert: Alert, group: GroupContext, target: TargetConfig): OutboundRequest {
  const format = formatters[target.type] as Formatter;
  return format(alert, group, target);
}

export { FormatError, type Formatter, type OutboundRequest } from './formatter';
