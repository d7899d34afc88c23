import { Router } from 'express';
import {
  alertFromSubmission,
  alertsFromWebhook,
  createAlertSchemas,
  type AlertmanagerWebhook,
  type ApiMetrics,
  type HeraldConfig,
  type SubmitRequest,
} from '@herald/core';
import type { AlertIntake } from '../alert-intake';
import { requireBearer } from '../auth';
import { LimitExceededError } from '../http-errors';
import { jsonBody } from '../json-body';
import { validate } from '../validate';

/** The two ways alerts come in: Alertmanager's webhook and a direct submission. */
export function ingestRoutes(deps: { intake: AlertIntake; apiToken: string | undefined; limits: HeraldConfig['limits']; metrics: ApiMetrics }): Router {
  const router = Router();
  const auth = requireBearer([deps.apiToken]);
  const schemas = createAlertSchemas(deps.limits);
  const maxAlerts = deps.limits.alertsPerWebhook;

  router.post('/api/v1/webhooks/alertmanager', auth, ...jsonBody, async (req, res) => {
    // Counted before validation, so a huge batch is refused without walking it.
    const count = Array.isArray(req.body?.alerts) ? req.body.alerts.length : 0;
    if (count > maxAlerts) {
      throw new LimitExceededError('too_many_alerts', `the webhook carries ${count} alerts, over MAX_ALERTS_PER_WEBHOOK (${maxAlerts}); set max_alerts in Alertmanager's webhook_config`);
    }
    const payload = validate<AlertmanagerWebhook>(schemas.webhook, req.body, 'Alertmanager webhook');
    // Alertmanager's max_alerts cut these off before sending: they are not lost here, but worth seeing.
    if (payload.truncatedAlerts) deps.metrics.alertsTruncated.inc(payload.truncatedAlerts);
    const { alerts, group } = alertsFromWebhook(payload);
    const result = await deps.intake.accept(alerts, group, 'alertmanager', { requestId: res.locals.requestId });
    res.status(202).json(result);
  });

  router.post('/api/v1/publishing/submit', auth, ...jsonBody, async (req, res) => {
    const request = validate<SubmitRequest>(schemas.submit, req.body, 'alert');
    const { alert, group } = alertFromSubmission(request, new Date());
    const result = await deps.intake.accept([alert], group, 'api', { ...(request.targets ? { targetNames: request.targets } : {}), requestId: res.locals.requestId });
    res.status(202).json(result);
  });

  return router;
}
