/**
 * A Slack incoming webhook as a Herald target: each alert becomes one Block Kit message.
 *
 * Sources:
 * - https://api.slack.com/messaging/webhooks (JSON body with `text` and layout blocks)
 * - https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks
 *   (400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived,
 *   500 rollup_error)
 * - https://api.slack.com/changelog/2018-04-truncating-really-long-messages (`text` over 40,000
 *   characters is truncated, incoming webhooks included)
 * - https://api.slack.com/methods/chat.postMessage (with blocks, `text` is the notification fallback)
 * - https://docs.slack.dev/reference/block-kit/blocks (at most 50 blocks in a message)
 * - https://docs.slack.dev/reference/block-kit/blocks/header-block (plain_text, at most 150 characters)
 * - https://docs.slack.dev/reference/block-kit/blocks/section-block (text 1-3000 characters;
 *   at most 10 fields of at most 2000 characters)
 * - https://docs.slack.dev/reference/block-kit/blocks/context-block (at most 10 elements)
 * - https://docs.slack.dev/reference/block-kit/composition-objects/text-object (plain_text or
 *   mrkdwn, 1-3000 characters; `emoji` only on plain_text)
 * - https://docs.slack.dev/messaging/formatting-message-text (escape &, < and > as &amp; &lt; &gt;;
 *   links `<url|text>`; dates `<!date^seconds^tokens|fallback>`)
 * - https://api.slack.com/reference/messaging/attachments (`color` is the only way to colour a
 *   message; attachments may carry `blocks`; Slack calls them legacy, for secondary content)
 *
 * No `readAnswer`: every answer Slack documents is already classified right by its status
 * alone (400, 403, 404 and 410 permanent; 429, 500 and 502-504 transient), and a webhook
 * reports success only as 200 `ok`, so no 2xx body can hide a failure.
 */
import type { Alert } from '../alert/alert';
import type { SlackTarget } from '../config/target-config';
import { alertLinks, alertName, textOf, titleOf, truncate } from './alert-text';
import type { Formatter, TargetService } from './formatter';

/** Slack's documented limits, in characters (counted here in UTF-16 units, which never undercounts). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  textObject: 3000,
  /** Slack truncates `text` beyond 40,000; a notification needs far less, so Herald stops here. */
  fallbackText: 3000,
} as const;

/** The severities Alertmanager setups commonly use, by colour; anything else is grey. */
const SEVERITY_STYLE: Readonly<Record<string, { readonly color: string; readonly emoji: string }>> = {
  critical: { color: '#E01E5A', emoji: ':red_circle:' },
  error: { color: '#E01E5A', emoji: ':red_circle:' },
  page: { color: '#E01E5A', emoji: ':red_circle:' },
  high: { color: '#E01E5A', emoji: ':red_circle:' },
  warning: { color: '#ECB22E', emoji: ':large_yellow_circle:' },
  warn: { color: '#ECB22E', emoji: ':large_yellow_circle:' },
  medium: { color: '#ECB22E', emoji: ':large_yellow_circle:' },
  info: { color: '#36C5F0', emoji: ':large_blue_circle:' },
  low: { color: '#36C5F0', emoji: ':large_blue_circle:' },
};
const UNKNOWN_SEVERITY = { color: '#9E9EA6', emoji: ':white_circle:' } as const;
const RESOLVED_STYLE = { color: '#2EB67D', emoji: ':white_check_mark:' } as const;

/** A severity is a label value; past this it is not a severity any more, just noise. */
const SEVERITY_MAX = 100;

export interface SlackTextObject {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackTextObject }
  | { readonly type: 'section'; readonly text: SlackTextObject }
  | { readonly type: 'section'; readonly fields: readonly SlackTextObject[] }
  | { readonly type: 'context'; readonly elements: readonly SlackTextObject[] };

/** The incoming-webhook body Herald sends. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
  readonly attachments: readonly { readonly color: string; readonly blocks: readonly SlackBlock[] }[];
}

/**
 * The primary content (title, summary and description) goes in top-level blocks, as Slack
 * recommends. The status, labels and links go in one attachment, because an attachment's
 * `color` is the only way Slack colours a message, and they are the secondary content
 * attachments are meant for.
 */
export const formatSlack: Formatter<SlackTarget> = (alert, _group, target) => ({
  method: 'POST',
  url: target.url,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(slackMessage(alert, target)),
});

export const slackService: TargetService<SlackTarget> = { format: formatSlack };

/** The message for one alert; exported so tests can read it without parsing JSON. */
export function slackMessage(alert: Alert, target: SlackTarget): SlackMessage {
  const title = nonBlank(titleOf(alert, target), alertName(alert));
  const text = textOf(alert, target);
  const top: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: fit(title, SLACK_LIMITS.headerText), emoji: true } }];
  if (text.trim()) top.push({ type: 'section', text: mrkdwn(fit(text, SLACK_LIMITS.sectionText)) });

  const details: SlackBlock[] = [{ type: 'context', elements: [mrkdwn(statusLine(alert))] }];
  const links = linksLine(alert);
  const labelBudget = SLACK_LIMITS.blocks - top.length - details.length - (links ? 1 : 0);
  details.push(...labelSections(alert, labelBudget));
  if (links) details.push({ type: 'section', text: mrkdwn(links) });

  return {
    text: fallbackText(alert, target, title, text),
    blocks: top,
    attachments: [{ color: styleOf(alert).color, blocks: details }],
  };
}

/**
 * What notifications and clients without blocks show. A templated title may not say
 * whether the alert fires or has resolved, so the fallback always starts by saying it.
 */
function fallbackText(alert: Alert, target: SlackTarget, title: string, text: string): string {
  const marker = alert.status === 'resolved' ? '[RESOLVED]' : '[FIRING]';
  const head = target.title ? `${marker} ${title}` : title;
  return fit(text.trim() ? `${head}\n${text}` : head, SLACK_LIMITS.fallbackText);
}

function statusLine(alert: Alert): string {
  const style = styleOf(alert);
  const parts = [`${style.emoji} *${alert.status === 'resolved' ? 'Resolved' : 'Firing'}*`];
  const severity = alert.labels.severity;
  if (severity) parts.push(`Severity: *${fit(severity, SEVERITY_MAX)}*`);
  const started = slackDate(alert.startsAt);
  if (started) parts.push(`Started ${started}`);
  const ended = alert.status === 'resolved' && alert.endsAt ? slackDate(alert.endsAt) : null;
  if (ended) parts.push(`Resolved ${ended}`);
  return parts.join('  ·  ');
}

function styleOf(alert: Alert): { readonly color: string; readonly emoji: string } {
  if (alert.status === 'resolved') return RESOLVED_STYLE;
  return SEVERITY_STYLE[(alert.labels.severity ?? '').toLowerCase()] ?? UNKNOWN_SEVERITY;
}

/**
 * Each reader sees the time in their own time zone; the fallback is UTC. Alertmanager's
 * zero time and unreadable timestamps show nothing rather than a wrong date.
 */
function slackDate(timestamp: string): string | null {
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms) || ms <= 0) return null;
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${fallback}>`;
}

/**
 * Labels as two-column fields, ten to a section. When an alert has more labels than the
 * block budget holds, the last field says how many were left out.
 */
function labelSections(alert: Alert, maxSections: number): SlackBlock[] {
  const entries = Object.entries(alert.labels);
  const capacity = Math.max(0, maxSections) * SLACK_LIMITS.sectionFields;
  const fields = entries.map(([name, value]) => mrkdwn(fit(`*${name}*\n${value}`, SLACK_LIMITS.fieldText)));
  if (fields.length > capacity && capacity > 0) {
    fields.length = capacity - 1;
    fields.push(mrkdwn(`_…and ${entries.length - fields.length} more labels_`));
  }
  const sections: SlackBlock[] = [];
  for (let i = 0; i < Math.min(fields.length, capacity); i += SLACK_LIMITS.sectionFields) {
    sections.push({ type: 'section', fields: fields.slice(i, i + SLACK_LIMITS.sectionFields) });
  }
  return sections;
}

/** Source, runbook and dashboard links; a link that does not fit is left out, never cut. */
function linksLine(alert: Alert): string | null {
  let line = '';
  for (const link of alertLinks(alert)) {
    const piece = `<${linkTarget(link.href)}|${escapeMrkdwn(link.text)}>`;
    const next = line ? `${line}  ·  ${piece}` : piece;
    if (next.length <= SLACK_LIMITS.sectionText) line = next;
  }
  return line || null;
}

/** In `<url|text>`, `|` and `>` would end the URL early, so they are percent-encoded first. */
function linkTarget(href: string): string {
  return escapeMrkdwn(href.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E'));
}

function mrkdwn(text: string): SlackTextObject {
  return { type: 'mrkdwn', text };
}

function nonBlank(text: string, fallback: string): string {
  return text.trim() ? text : fallback;
}

/** Slack's control characters, as its formatting guide says to escape them; nothing else. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes user text and cuts it to `max` characters. The cut never leaves half an entity
 * (which Slack would show as `&am`) or half a surrogate pair (which is not valid text).
 */
function fit(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  return truncate(escaped, max).replace(/(?:&[a-z]{0,3}|[\uD800-\uDBFF])…$/, '…');
}
