import * as rules from './alert-rules';
import type { AlertSchemaLimits, AlertmanagerWebhook } from './alert-schemas';

type Fields = Record<string, unknown>;

/** What a map of strings must meet: its keys (any, without a pattern), its values' length and how many keys. */
interface MapRule {
  readonly keys?: RegExp;
  readonly maxValue: number;
  readonly minKeys: number;
  readonly maxKeys: number;
}

const ANNOTATIONS: MapRule = { keys: rules.ANNOTATION_NAME, maxValue: rules.MAX_ANNOTATION_VALUE, minKeys: 0, maxKeys: Number.POSITIVE_INFINITY };
const GROUP_MAP: MapRule = { maxValue: Number.POSITIVE_INFINITY, minKeys: 0, maxKeys: Number.POSITIVE_INFINITY };

/**
 * Alertmanager's webhook as Alertmanager sends it, checked by hand: the payload itself, with
 * the defaults joi's `webhook` schema would fill in (`createAlertSchemas`), or undefined
 * when anything is unusual. Not only invalid input is left to joi, but also what joi would
 * convert (a number sent as a string) and any key named `__proto__`. joi then decides and
 * words the error: it stays the reference for every answer, and a test holds this check to
 * it over thousands of generated payloads (`webhook-check.test.ts`).
 *
 * Why: joi took about 12 µs an alert, a quarter to a third of the API's CPU per alert, and
 * allocated about a third of its bytes, copying every object it validates (bench/README.md,
 * findings 7, 52 and 55). This walks the payload once and allocates nothing but the
 * defaults. It fills them in place: the payload is the request's own, freshly parsed.
 */
export function createWebhookCheck(limits: AlertSchemaLimits): (payload: unknown) => AlertmanagerWebhook | undefined {
  const labels: MapRule = { keys: rules.LABEL_NAME, maxValue: rules.MAX_LABEL_VALUE, minKeys: 1, maxKeys: limits.labelsPerAlert };
  const isAlert = (alert: unknown): boolean => {
    if (!isFields(alert)) return false;
    const { endsAt, generatorURL, fingerprint } = alert;
    return (
      isStatus(alert.status) &&
      isStringMap(alert.labels, labels) &&
      (alert.annotations === undefined || isStringMap(alert.annotations, ANNOTATIONS)) &&
      isTimestampString(alert.startsAt) &&
      (endsAt === undefined || endsAt === null || endsAt === '' || isTimestampString(endsAt)) &&
      (generatorURL === undefined || generatorURL === null || isString(generatorURL, rules.MAX_URL)) &&
      (fingerprint === undefined || isString(fingerprint, rules.MAX_FINGERPRINT))
    );
  };

  // Not `every`, which skips the holes of a sparse array.
  const allAlerts = (alerts: unknown[]): boolean => {
    for (let i = 0; i < alerts.length; i++) if (!isAlert(alerts[i])) return false;
    return true;
  };

  return (payload) => {
    if (!isFields(payload)) return undefined;
    const { alerts, truncatedAlerts, externalURL } = payload;
    const valid =
      payload.version === '4' &&
      isString(payload.groupKey, rules.MAX_GROUP_KEY) &&
      (truncatedAlerts === undefined || (typeof truncatedAlerts === 'number' && Number.isSafeInteger(truncatedAlerts) && truncatedAlerts >= 0 && !Object.is(truncatedAlerts, -0))) &&
      isStatus(payload.status) &&
      isString(payload.receiver, rules.MAX_RECEIVER) &&
      isGroupMap(payload.groupLabels) &&
      isGroupMap(payload.commonLabels) &&
      isGroupMap(payload.commonAnnotations) &&
      (externalURL === undefined || isString(externalURL, rules.MAX_URL)) &&
      Array.isArray(alerts) &&
      alerts.length > 0 &&
      allAlerts(alerts);
    if (!valid) return undefined;
    // Only now that everything passed: a payload left to joi reaches it as it came.
    for (const alert of alerts as Fields[]) alert.annotations ??= {};
    payload.groupLabels ??= {};
    payload.commonLabels ??= {};
    payload.commonAnnotations ??= {};
    payload.externalURL ??= '';
    return payload as unknown as AlertmanagerWebhook;
  };
}

/** A JSON object with no `__proto__` key of its own (which JSON.parse can make). */
function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(value, '__proto__');
}

/** A string of at most `max` characters; empty is fine. */
function isString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function isStatus(value: unknown): boolean {
  return value === rules.ALERT_STATUSES[0] || value === rules.ALERT_STATUSES[1];
}

function isTimestampString(value: unknown): boolean {
  return isString(value, rules.MAX_TIMESTAMP) && rules.isTimestamp(value);
}

function isGroupMap(value: unknown): boolean {
  return value === undefined || isStringMap(value, GROUP_MAP);
}

/** An object of strings meeting `rule`, as the `stringMap` joi extension checks one. */
function isStringMap(value: unknown, rule: MapRule): boolean {
  if (!isFields(value)) return false;
  let keys = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    const entry = value[key];
    if (typeof entry !== 'string' || entry.length > rule.maxValue || (rule.keys !== undefined && !rule.keys.test(key))) return false;
    keys += 1;
  }
  return keys >= rule.minKeys && keys <= rule.maxKeys;
}
