import type { Alert } from '../alert/alert';
import type { TargetConfig } from '../config/target-config';
import { renderTemplate } from './template';

/** The alert's name, or a stand-in when the label is missing. */
export function alertName(alert: Alert): string {
  return alert.labels.alertname || 'Alert';
}

/**
 * The one-line title every formatter shows: the target's `title` template when set,
 * otherwise `[FIRING] HighLatency` / `[RESOLVED] HighLatency`.
 */
export function titleOf(alert: Alert, target: TargetConfig): string {
  if (target.title) return renderTemplate(target.title, alert);
  return `[${alert.status === 'resolved' ? 'RESOLVED' : 'FIRING'}] ${alertName(alert)}`;
}

/**
 * The body text: the target's `text` template when set, otherwise the summary and
 * description annotations (either may be missing), or the alert name.
 */
export function textOf(alert: Alert, target: TargetConfig): string {
  if (target.text) return renderTemplate(target.text, alert);
  const { summary, description } = alert.annotations;
  const parts = [summary, description].filter((part): part is string => Boolean(part));
  return parts.length > 0 ? parts.join('\n') : alertName(alert);
}

/**
 * Cuts text to at most `max` UTF-16 units, marking the cut with an ellipsis. It never
 * cuts between the two halves of a surrogate pair (an emoji, say), which would leave a
 * broken character that some services reject.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Links worth showing with an alert: its source graph and the runbook/dashboard annotations. */
export function alertLinks(alert: Alert): { href: string; text: string }[] {
  const links: { href: string; text: string }[] = [];
  if (alert.generatorURL) links.push({ href: alert.generatorURL, text: 'Source' });
  const runbook = alert.annotations.runbook_url ?? alert.annotations.runbook;
  if (runbook && /^https?:\/\//.test(runbook)) links.push({ href: runbook, text: 'Runbook' });
  const dashboard = alert.annotations.dashboard_url ?? alert.annotations.dashboard;
  if (dashboard && /^https?:\/\//.test(dashboard)) links.push({ href: dashboard, text: 'Dashboard' });
  return links;
}
