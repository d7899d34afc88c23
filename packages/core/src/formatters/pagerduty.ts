// The PagerDuty target: each alert becomes one Events API v2 alert event, triggered while it fires and resolved when it resolves.
//
// Contract, from PagerDuty's own documentation:
//   https://raw.githubusercontent.com/PagerDuty/developer-docs/main/docs/events-API-v2/02-Trigger-Events.md
//     fields, the 255-character dedup_key, the 1024-character summary, the four severities,
//     the resolve event's three fields, links need an href.
//   https://raw.githubusercontent.com/PagerDuty/developer-docs/main/docs/events-API-v2/01-Overview.md
//     202/400/429/5xx and which to retry, the 512 KB event limit, ISO 8601 timestamps (PD-CEF).
//   https://github.com/PagerDuty/api-schema/blob/main/reference/events-v2/openapiv3.json
//     the request and answer schemas.
import { createHash } from 'node:crypto';
import { fingerprintOf, type Alert, type GroupContext } from '../alert/alert';
import type { PagerDutyTarget } from '../config/target-config';
import { alertLinks, alertName, textOf, titleOf, truncate } from './alert-text';
import type { Formatter, TargetService } from './formatter';

type Severity = 'critical' | 'error' | 'warning' | 'info';

interface Link {
  readonly href: string;
  readonly text?: string;
}

interface TriggerEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: Severity;
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details: Readonly<Record<string, unknown>>;
  };
  readonly client: string;
  readonly client_url?: string;
  readonly links?: readonly Link[];
}

/** PagerDuty documents routing_key, event_action and dedup_key for a resolve; it ignores anything else. */
interface ResolveEvent {
  readonly routing_key: string;
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

const SUMMARY_MAX = 1024;
const DEDUP_KEY_MAX = 255;
/** "512 KB", read as the smaller 512,000 bytes so the event fits whichever unit PagerDuty means. */
const EVENT_MAX_BYTES = 512_000;
/**
 * source, component, group and class have no documented limit. Holding them to the summary's
 * keeps one oversized label from pushing the event past the size limit.
 */
const SHORT_FIELD_MAX = 1024;
/** A cut URL is a broken link, so longer ones are left out rather than truncated. */
const URL_MAX = 8192;
/**
 * Per-value limits for labels, annotations and group context in custom_details, tried in
 * order until the event fits. Responders read a few KB on an incident page; the rest stays
 * in Alertmanager, one click away.
 */
const DETAIL_MAX_STEPS = [8192, 1024, 128] as const;

/**
 * The severity label, case-insensitive, mapped onto PagerDuty's four severities:
 * critical, crit, fatal, emergency → critical; error, err, high, major → error;
 * warning, warn, medium, minor → warning; info, none, anything else or no label → info.
 */
const SEVERITIES = new Map<string, Severity>([
  ['critical', 'critical'],
  ['crit', 'critical'],
  ['fatal', 'critical'],
  ['emergency', 'critical'],
  ['error', 'error'],
  ['err', 'error'],
  ['high', 'error'],
  ['major', 'error'],
  ['warning', 'warning'],
  ['warn', 'warning'],
  ['medium', 'warning'],
  ['minor', 'warning'],
]);

export const formatPagerDuty: Formatter<PagerDutyTarget> = (alert, group, target) => ({
  method: 'POST',
  url: target.url,
  headers: { 'content-type': 'application/json' },
  body: alert.status === 'resolved' ? JSON.stringify(resolveEvent(alert, target)) : triggerBody(alert, group, target),
});

/**
 * No readAnswer: PagerDuty says everything with the status (202 accepted, 400 invalid,
 * 429 throttled, 5xx failed), and classify-error.ts already reads those statuses that way.
 */
export const pagerdutyService: TargetService<PagerDutyTarget> = { format: formatPagerDuty };

function resolveEvent(alert: Alert, target: PagerDutyTarget): ResolveEvent {
  return { routing_key: target.routingKey, event_action: 'resolve', dedup_key: dedupKeyOf(alert) };
}

/** The first serialisation, from most detail to least, that fits PagerDuty's size limit. */
function triggerBody(alert: Alert, group: GroupContext, target: PagerDutyTarget): string {
  for (const detailMax of DETAIL_MAX_STEPS) {
    const body = JSON.stringify(triggerEvent(alert, group, target, detailMax));
    if (Buffer.byteLength(body, 'utf8') <= EVENT_MAX_BYTES) return body;
  }
  return JSON.stringify(triggerEvent(alert, group, target, null));
}

/** `detailMax` null leaves labels, annotations and group context out of custom_details. */
function triggerEvent(alert: Alert, group: GroupContext, target: PagerDutyTarget, detailMax: number | null): TriggerEvent {
  const { service, job } = alert.labels;
  const timestamp = isoTimestamp(alert.startsAt);
  const externalURL = httpUrl(group.externalURL);
  const links = alertLinks(alert).filter((link) => httpUrl(link.href) !== undefined);
  return {
    routing_key: target.routingKey,
    event_action: 'trigger',
    dedup_key: dedupKeyOf(alert),
    payload: {
      summary: summaryOf(alert, target),
      source: truncate(sourceOf(alert, externalURL), SHORT_FIELD_MAX),
      severity: severityOf(alert),
      ...(timestamp ? { timestamp } : {}),
      // Prometheus naming: `service` is the broken part, `job` groups the instances that report it.
      ...(service ? { component: truncate(service, SHORT_FIELD_MAX) } : {}),
      ...(job ? { group: truncate(job, SHORT_FIELD_MAX) } : {}),
      class: truncate(alertName(alert), SHORT_FIELD_MAX),
      custom_details: customDetails(alert, group, detailMax),
    },
    ...(externalURL ? { client: 'Alertmanager', client_url: externalURL } : { client: 'Herald' }),
    ...(links.length > 0 ? { links } : {}),
  };
}

/**
 * The alert's fingerprint, so a resolve names the incident its trigger opened. Fingerprints
 * are at most 128 characters when they come through the API; a longer one from elsewhere is
 * hashed rather than cut, so two long fingerprints sharing a prefix stay two incidents.
 */
function dedupKeyOf(alert: Alert): string {
  const fingerprint = alert.fingerprint || fingerprintOf(alert.labels);
  return fingerprint.length <= DEDUP_KEY_MAX ? fingerprint : createHash('sha256').update(fingerprint).digest('hex');
}

/**
 * One line, because PagerDuty reads the summary aloud and sends it by SMS: the title, then
 * the `text` template or the summary annotation. The description goes to custom_details.
 */
function summaryOf(alert: Alert, target: PagerDutyTarget): string {
  const title = oneLine(titleOf(alert, target));
  const detail = oneLine(target.text ? textOf(alert, target) : (alert.annotations.summary ?? ''));
  const summary = title && detail ? `${title}: ${detail}` : title || detail || alertName(alert);
  return truncate(summary, SUMMARY_MAX);
}

function sourceOf(alert: Alert, externalURL: string | undefined): string {
  const instance = alert.labels.instance?.trim();
  if (instance) return instance;
  return externalURL ? new URL(externalURL).hostname : 'herald';
}

function severityOf(alert: Alert): Severity {
  return SEVERITIES.get((alert.labels.severity ?? '').trim().toLowerCase()) ?? 'info';
}

function customDetails(alert: Alert, group: GroupContext, detailMax: number | null): Record<string, unknown> {
  const essentials = { status: alert.status, fingerprint: alert.fingerprint, startsAt: alert.startsAt };
  if (detailMax === null) {
    return { ...essentials, omitted: `labels and annotations left out: with them the event exceeded PagerDuty's ${EVENT_MAX_BYTES}-byte limit` };
  }
  const capped = (map: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(map).map(([key, value]) => [truncate(key, detailMax), truncate(value, detailMax)]));
  return {
    ...essentials,
    labels: capped(alert.labels),
    annotations: capped(alert.annotations),
    ...(group.receiver ? { receiver: truncate(group.receiver, detailMax) } : {}),
    ...(group.groupKey ? { groupKey: truncate(group.groupKey, detailMax) } : {}),
    ...(group.externalURL ? { externalURL: truncate(group.externalURL, detailMax) } : {}),
  };
}

/** UTC with milliseconds, the form PagerDuty's examples use; Prometheus sends nanoseconds and offsets. */
function isoTimestamp(value: string): string | undefined {
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function httpUrl(value: string | null | undefined): string | undefined {
  if (!value || value.length > URL_MAX) return undefined;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

