import { Router } from 'express';
import {
  alertFromSubmission,
  alertmanagerWebhookSchema,
  alertsFromWebhook,
  submitRequestSchema,
  type AlertmanagerWebhook,
  type SubmitRequest,
} from '@herald/core';
import type { AlertIntake } from '../alert-intake';
import { requireBearer } from '../auth';
import { jsonBody } from '../json-body';
import { validate } from '../validate';

/** The two ways alerts come in: Alertmanager's webhook and a direct submission. */
export function ingestRoutes(deps: { intake: AlertIntake; apiToken: string | undefined }): Router {
  const router = Router();
  const auth = requireBearer([deps.apiToken]);

  router.post('/api/v1/webhooks/alertmanager', auth, ...jsonBody, async (req, res) => {
    const payload = validate<AlertmanagerWebhook>(alertmanagerWebhookSchema, req.body, 'Alertmanager webhook');
    const { alerts, group } = alertsFromWebhook(payload);
    const result = await deps.intake.accept(alerts, group, 'alertmanager');
    res.status(202).json(result);
  });

  router.post('/api/v1/publishing/submit', auth, ...jsonBody, async (req, res) => {
    const request = validate<SubmitRequest>(submitRequestSchema, req.body, 'alert');
    const { alert, group } = alertFromSubmission(request, new Date());
    const result = await deps.intake.accept([alert], group, 'api', request.targets);
    res.status(202).json(result);
  });

  return router;
}
