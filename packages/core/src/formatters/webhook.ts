import type { WebhookTarget } from '../config/target-config';
import { titleOf, textOf } from './alert-text';
import type { Formatter, TargetService } from './formatter';

/**
 * The generic webhook: one JSON document per alert, shaped like Alertmanager's own
 * webhook but carrying a single alert, so receivers written for Alertmanager read it
 * with few changes. `title` and `text` appear only when the target sets those templates.
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
    ...(target.title ? { title: titleOf(alert, target) } : {}),
    ...(target.text ? { text: textOf(alert, target) } : {}),
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

export const webhookService: TargetService<WebhookTarget> = { format: formatWebhook };
