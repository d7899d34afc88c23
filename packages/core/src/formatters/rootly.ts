/**
 * Rootly's alerts API as a Herald target: each alert becomes one create-alert request.
 *
 * Sources:
 * - https://docs.rootly.com/api-reference/alerts/creates-an-alert (request body, 201/401/422)
 * - https://docs.rootly.com/api-reference (JSON:API media type, Bearer auth, rate limits, 429)
 * - https://docs.rootly.com/alerts (alert statuses; ingestion limited to 50 alerts/minute per key)
 * - https://docs.rootly.com/api-reference/alerts/resolves-an-alert (resolving needs Rootly's own id)
 * - the `new_alert` schema as generated into Rootly's SDK, github.com/rootlyhq/rootly-python,
 *   rootly_sdk/models/new_alert_data_attributes*.py (required fields and enums)
 */
import type { Alert, GroupContext } from '../alert/alert';
import type { RootlyTarget } from '../config/target-config';
import { textOf, titleOf, truncate } from './alert-text';
import type { Formatter, TargetService } from './formatter';

/**
 * Rootly documents no length limits for these attributes. These are conservative guesses
 * (a typical database string column, a generous text block), and the imitation in
 * test/support/imitations/rootly.ts enforces the same numbers.
 */
const ROOTLY_LIMITS = {
  summary: 255,
  description: 10_000,
  externalId: 255,
  externalUrl: 2048,
  labelKey: 255,
  labelValue: 255,
  annotationValue: 2000,
} as const;

/** The JSON:API media type, which Rootly's docs require on every request. */
const ROOTLY_CONTENT_TYPE = 'application/vnd.api+json';

/** What Alertmanager sends as `endsAt` while an alert still fires: "no end known". */
const ZERO_TIME = '0001-01-01T00:00:00Z';

interface RootlyLabel {
  readonly key: string;
  readonly value: string;
}

/** The documented attributes of Rootly's `new_alert` that Herald fills. */
export interface RootlyAlertAttributes {
  readonly source: 'alertmanager';
  readonly summary: string;
  readonly description?: string;
  readonly external_id: string;
  readonly deduplication_key: string;
  readonly external_url?: string;
  readonly started_at?: string;
  readonly ended_at?: string;
  readonly labels: readonly RootlyLabel[];
  readonly data: {
    readonly status: Alert['status'];
    readonly fingerprint: string;
    readonly annotations: Readonly<Record<string, string>>;
    readonly receiver: string | null;
    readonly groupKey: string | null;
    readonly externalURL: string | null;
  };
}

/**
 * Builds the create-alert document. Choices the docs leave open, made conservatively:
 * - `status` is left out: the create endpoint accepts only `open`/`triggered`, and only for
 *   organizations with Rootly On-Call, so sending it could be refused elsewhere. Rootly's
 *   default applies, and firing/resolved travels in the summary, `ended_at` and `data.status`.
 * - A resolved alert cannot be resolved through this endpoint (that takes Rootly's alert id,
 *   which a stateless formatter never has). It is posted with the same `external_id` and
 *   `deduplication_key` as the firing one; alerts sharing that key are "treated as a single
 *   alert", so the resolution lands on the firing alert instead of paging as a new one. The
 *   docs do not say whether it also closes that alert: operators may need Rootly's alert
 *   source auto-resolution, or a resolve call by Rootly id, for that.
 * - `source` is `alertmanager` from the documented enum: every Herald alert has
 *   Alertmanager's shape (labels, annotations, fingerprint), direct submissions included.
 */
export const formatRootly: Formatter<RootlyTarget> = (alert, group, target) => {
  const summary = titleOf(alert, target).trim() || titleOf(alert, { ...target, title: undefined });
  const description = textOf(alert, target).trim();
  const startedAt = isoTime(alert.startsAt);
  const endedAt = alert.status === 'resolved' ? isoTime(alert.endsAt) : undefined;
  const externalUrl = linkOf(alert.generatorURL);
  const attributes: RootlyAlertAttributes = {
    source: 'alertmanager',
    summary: truncate(summary, ROOTLY_LIMITS.summary),
    ...(description ? { description: truncate(description, ROOTLY_LIMITS.description) } : {}),
    external_id: truncate(alert.fingerprint, ROOTLY_LIMITS.externalId),
    deduplication_key: truncate(alert.fingerprint, ROOTLY_LIMITS.externalId),
    ...(externalUrl ? { external_url: externalUrl } : {}),
    ...(startedAt ? { started_at: startedAt } : {}),
    ...(endedAt ? { ended_at: endedAt } : {}),
    labels: Object.entries(alert.labels).map(([key, value]) => ({
      key: truncate(key, ROOTLY_LIMITS.labelKey),
      value: truncate(value, ROOTLY_LIMITS.labelValue),
    })),
    data: dataOf(alert, group),
  };
  return {
    method: 'POST',
    url: target.url,
    headers: { 'content-type': ROOTLY_CONTENT_TYPE, authorization: `Bearer ${target.token}` },
    body: JSON.stringify({ data: { type: 'alerts', attributes } }),
  };
};

/**
 * `data` is Rootly's free-form "additional data": it keeps what the other attributes cannot
 * hold (the Alertmanager status, runbook and dashboard annotations) readable by Rootly's
 * alert fields and routes.
 */
function dataOf(alert: Alert, group: GroupContext): RootlyAlertAttributes['data'] {
  const annotations = Object.fromEntries(Object.entries(alert.annotations).map(([key, value]) => [key, truncate(value, ROOTLY_LIMITS.annotationValue)]));
  return {
    status: alert.status,
    fingerprint: alert.fingerprint,
    annotations,
    receiver: group.receiver,
    groupKey: group.groupKey,
    externalURL: group.externalURL,
  };
}

/**
 * RFC 3339 in UTC with milliseconds, the form every date-time parser reads; Prometheus's
 * nanoseconds and offsets are valid RFC 3339 but needlessly test Rootly's parser.
 */
function isoTime(value: string | null): string | undefined {
  if (!value || value === ZERO_TIME) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

/** A cut URL would point somewhere else, so an unusable link is left out rather than cut. */
function linkOf(url: string | null): string | undefined {
  if (!url || url.length > ROOTLY_LIMITS.externalUrl || !/^https?:\/\//i.test(url)) return undefined;
  return url;
}


/**
 * No `readAnswer`: Rootly's documented answers (201 created, 401 bad token, 422 invalid
 * document, 429 over the rate limit) mean what their statuses say, and classify-error's
 * lists already read them that way.
 */
export const rootlyService: TargetService<RootlyTarget> = { format: formatRootly };
