import Joi from 'joi';
import { fingerprintOf, NO_GROUP, type Alert, type AlertStatus, type GroupContext, type Labels } from './alert';
import {
  ALERT_STATUSES,
  ANNOTATION_NAME,
  ANY_KEY,
  LABEL_NAME,
  MAX_ANNOTATION_VALUE,
  MAX_FINGERPRINT,
  MAX_GROUP_KEY,
  MAX_LABEL_VALUE,
  MAX_RECEIVER,
  MAX_TIMESTAMP,
  MAX_URL,
  isTimestamp,
} from './alert-rules';
import { createStringMapJoi } from './string-map-schema';

const status = Joi.string().valid(...ALERT_STATUSES);
const timestamp = Joi.string()
  .max(MAX_TIMESTAMP)
  .custom((value: string, helpers) => (isTimestamp(value) ? value : helpers.error('any.invalid')))
  .messages({ 'any.invalid': '{{#label}} must be an RFC 3339 timestamp, e.g. 2024-05-01T12:00:00Z' });
const url = Joi.string().allow('').max(MAX_URL);

/** Limits that shape the schemas; the defaults are those of `loadEnvConfig`. */
export interface AlertSchemaLimits {
  readonly labelsPerAlert: number;
}

/**
 * The request schemas, built once per process for its limits:
 * - `webhook` is Alertmanager's webhook payload, version 4. Unknown keys are accepted and
 *   fields that vary by Alertmanager version (`truncatedAlerts`, `notification_reason`,
 *   `routeLabels`) are optional, so a newer Alertmanager is never turned away.
 * - `submit` is a direct submission of one alert, optionally naming its targets.
 */
export function createAlertSchemas(limits: AlertSchemaLimits): { webhook: Joi.ObjectSchema; submit: Joi.ObjectSchema } {
  const stringMaps = createStringMapJoi();
  const labels = stringMaps.stringMap().entries(LABEL_NAME, MAX_LABEL_VALUE);
  const annotations = stringMaps.stringMap().entries(ANNOTATION_NAME, MAX_ANNOTATION_VALUE);
  /** Alertmanager's group-level label and annotation maps: any key, string values. */
  const groupMap = stringMaps.stringMap().entries(ANY_KEY, Number.POSITIVE_INFINITY);
  const limitedLabels = labels.min(1).max(limits.labelsPerAlert).messages({ 'object.max': `{{#label}} has more than ${limits.labelsPerAlert} labels (MAX_LABELS_PER_ALERT)` });
  const alertmanagerAlert = Joi.object({
    status: status.required(),
    labels: limitedLabels.required(),
    annotations: annotations.default({}),
    startsAt: timestamp.required(),
    endsAt: timestamp.allow('', null),
    generatorURL: url.allow(null),
    fingerprint: Joi.string().max(MAX_FINGERPRINT).allow(''),
  }).unknown(true);

  const webhook = Joi.object({
    version: Joi.string().valid('4').required(),
    groupKey: Joi.string().allow('').max(MAX_GROUP_KEY).required(),
    truncatedAlerts: Joi.number().integer().min(0),
    status: status.required(),
    receiver: Joi.string().allow('').max(MAX_RECEIVER).required(),
    groupLabels: groupMap.default({}),
    commonLabels: groupMap.default({}),
    commonAnnotations: groupMap.default({}),
    externalURL: url.default(''),
    alerts: Joi.array().items(alertmanagerAlert).min(1).required(),
  }).unknown(true);

  const submit = Joi.object({
    status: status.default('firing'),
    labels: limitedLabels.required(),
    annotations: annotations.default({}),
    startsAt: timestamp,
    endsAt: timestamp.allow(null),
    generatorURL: url.allow(null),
    fingerprint: Joi.string().max(MAX_FINGERPRINT),
    targets: Joi.array().items(Joi.string().max(64)).min(1).max(100).unique(),
  });
  return { webhook, submit };
}


export interface AlertmanagerAlert {
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt?: string | null;
  generatorURL?: string | null;
  fingerprint?: string;
}

export interface AlertmanagerWebhook {
  version: '4';
  groupKey: string;
  truncatedAlerts?: number;
  status: AlertStatus;
  receiver: string;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

export interface SubmitRequest {
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  startsAt?: string;
  endsAt?: string | null;
  generatorURL?: string | null;
  fingerprint?: string;
  targets?: string[];
}

/** The alerts of a validated webhook, each with its group context. */
export function alertsFromWebhook(payload: AlertmanagerWebhook): { alerts: Alert[]; group: GroupContext } {
  const group: GroupContext = {
    receiver: payload.receiver || null,
    groupKey: payload.groupKey || null,
    externalURL: payload.externalURL || null,
  };
  const alerts = payload.alerts.map(
    (alert): Alert => ({
      fingerprint: alert.fingerprint || fingerprintOf(alert.labels),
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: alert.startsAt,
      endsAt: alert.endsAt || null,
      generatorURL: alert.generatorURL || null,
    }),
  );
  return { alerts, group };
}

/** The alert of a validated submission; `now` stamps an alert sent without `startsAt`. */
export function alertFromSubmission(request: SubmitRequest, now: Date): { alert: Alert; group: GroupContext } {
  return {
    alert: {
      fingerprint: request.fingerprint ?? fingerprintOf(request.labels),
      status: request.status,
      labels: request.labels,
      annotations: request.annotations,
      startsAt: request.startsAt ?? now.toISOString(),
      endsAt: request.endsAt ?? null,
      generatorURL: request.generatorURL ?? null,
    },
    group: NO_GROUP,
  };
}
