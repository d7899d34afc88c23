import type { WebhookTarget } from '../config/target-config';
import type { Formatter } from './formatter';

/**
 * The generic webhook: one JSON document per alert, shaped like Alertmanager's own
 * webhook but carrying a single alert, so receivers written for Alertmanager read it
 * with few changes.
 */
export const formatWebhook: Formatter<WebhookTarget> = (alert, group, target) => ({
  method: 'POST',
  url: target.url,
  headers: { ...target.headers, 'content-type': 'application/json' },
  body: JSON.stringify({
    version: '1',
    receiver: group.receiver,
    groupKey: group.groupKey,
    externalURL: group.externalURL,
    status: alert.status,
    alert: {
      fingerprint: alert.fingerprint,
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
      generatorURL: alert.generatorURL,
    },
  }),
});
