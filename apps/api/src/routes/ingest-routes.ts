import { Router } from 'express';
import {
  alertFromSubmission,
  alertsFromWebhook,
  createAlertSchemas,
  createWebhookCheck,
  type AlertmanagerWebhook,
  type ApiMetrics,
  type HeraldConfig,
  type SubmitRequest,
} from '@herald/core';
import type { AlertIntake, IntakeResult } from '../alert-intake';
import { requireBearer } from '../auth';
import { LimitExceededError } from '../http-errors';
import { jsonBody } from '../json-body';
import { validate } from '../validate';

export const WEBHOOK_PATH = '/api/v1/webhooks/alertmanager';
export const SUBMIT_PATH = '/api/v1/publishing/submit';

/** What an ingest endpoint does with a parsed JSON body: validate it and queue its alerts. */
export type IngestEndpoint = (body: unknown, requestId: string) => Promise<IntakeResult>;
export type IngestEndpoints = Readonly<Record<typeof WEBHOOK_PATH | typeof SUBMIT_PATH, IngestEndpoint>>;

/**
 * The two ways alerts come in, Alertmanager's webhook and a direct submission, apart from
 * HTTP: Express's routes below and the ingest fast path both answer with these.
 */
export function createIngestEndpoints(deps: { intake: AlertIntake; limits: HeraldConfig['limits']; metrics: ApiMetrics }): IngestEndpoints {
  const schemas = createAlertSchemas(deps.limits);
  // The common case without joi; joi judges, and words the errors of, everything else.
  const checkWebhook = createWebhookCheck(deps.limits);
  const maxAlerts = deps.limits.alertsPerWebhook;
  return {
    async [WEBHOOK_PATH](body, requestId) {
      // Counted before validation, so a huge batch is refused without walking it.
      const alertsField = (body as { alerts?: unknown } | null)?.alerts;
      const count = Array.isArray(alertsField) ? alertsField.length : 0;
      if (count > maxAlerts) {
        throw new LimitExceededError('too_many_alerts', `the webhook carries ${count} alerts, over MAX_ALERTS_PER_WEBHOOK (${maxAlerts}); set max_alerts in Alertmanager's webhook_config`);
      }
      const payload = checkWebhook(body) ?? validate<AlertmanagerWebhook>(schemas.webhook, body, 'Alertmanager webhook');
      // Alertmanager's max_alerts cut these off before sending: they are not lost here, but worth seeing.
      if (payload.truncatedAlerts) deps.metrics.alertsTruncated.inc(payload.truncatedAlerts);
      const { alerts, group } = alertsFromWebhook(payload);
      return deps.intake.accept(alerts, group, 'alertmanager', { requestId });
    },
    async [SUBMIT_PATH](body, requestId) {
      const request = validate<SubmitRequest>(schemas.submit, body, 'alert');
      const { alert, group } = alertFromSubmission(request, new Date());
      return deps.intake.accept([alert], group, 'api', { ...(request.targets ? { targetNames: request.targets } : {}), requestId });
    },
  };
}

/** The ingest endpoints as Express routes, for every request the fast path leaves to Express. */
export function ingestRoutes(deps: { endpoints: IngestEndpoints; apiToken: string | undefined }): Router {
  const router = Router();
  const auth = requireBearer([deps.apiToken]);
  for (const path of [WEBHOOK_PATH, SUBMIT_PATH] as const) {
    const endpoint = deps.endpoints[path];
    router.post(path, auth, ...jsonBody, async (req, res) => {
      res.status(202).json(await endpoint(req.body, res.locals.requestId));
    });
  }
  return router;
}
