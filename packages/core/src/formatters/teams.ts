/**
 * The Microsoft Teams service posts each alert as one Adaptive Card to an incoming webhook
 * or a Workflows (Power Automate) webhook URL.
 *
 * Sources:
 * - the message envelope, the legacy answer `1`, and throttling reported inside a 200 body
 *   ("Microsoft Teams endpoint returned HTTP error 429"):
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 * - "The message size limit is 28 KB" and four requests a second:
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 * - Markdown (not HTML) in TextBlock, Fact.Title and Fact.Value; `msteams.width: "Full"`:
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-format
 * - the elements: https://adaptivecards.io/explorer/TextBlock.html,
 *   https://adaptivecards.io/explorer/FactSet.html, https://adaptivecards.io/explorer/Action.OpenUrl.html
 * - Teams renders Adaptive Cards up to version 1.5:
 *   https://learn.microsoft.com/en-us/microsoft-copilot-studio/guidance/adaptive-cards-overview
 *
 * Text is passed through unescaped: cards render no HTML, so entities would show literally,
 * and the Markdown subset Teams renders (bold, italic, lists, links) is what annotation
 * authors mean when they write it.
 */
import type { Alert } from '../alert/alert';
import type { TeamsTarget } from '../config/target-config';
import type { ErrorType } from '../delivery/classify-error';
import { alertLinks, alertName, textOf, titleOf, truncate } from './alert-text';
import { FormatError, type AnswerReader, type Formatter, type TargetService } from './formatter';

type TextColor = 'default' | 'accent' | 'good' | 'warning' | 'attention';

interface TextBlock {
  readonly type: 'TextBlock';
  readonly text: string;
  readonly wrap: true;
  readonly size?: 'Large';
  readonly weight?: 'Bolder';
  readonly color?: TextColor;
}

interface Fact {
  readonly title: string;
  readonly value: string;
}

interface FactSet {
  readonly type: 'FactSet';
  readonly facts: readonly Fact[];
}

interface OpenUrlAction {
  readonly type: 'Action.OpenUrl';
  readonly title: string;
  readonly url: string;
}

interface AdaptiveCard {
  readonly $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  readonly type: 'AdaptiveCard';
  readonly version: string;
  readonly body: readonly (TextBlock | FactSet)[];
  readonly actions: readonly OpenUrlAction[];
  readonly msteams: { readonly width: 'Full' };
}

interface TeamsMessage {
  readonly type: 'message';
  readonly attachments: readonly [
    { readonly contentType: 'application/vnd.microsoft.card.adaptive'; readonly contentUrl: null; readonly content: AdaptiveCard },
  ];
}

/**
 * The 28 KB Teams documents is counted on the message Teams posts, not on our JSON, and
 * users report rejections somewhat below it (https://rubydoc.info/gems/msteams_hermes/MsTeamsHermes/Message
 * settled on 21,000 bytes); this budget leaves that margin.
 */
export const TEAMS_BODY_BUDGET_BYTES = 20_000;

/** 1.4 covers every element used here and stays below the 1.5 Teams renders at most. */
const CARD_VERSION = '1.4';
const MAX_TITLE_CHARS = 256;
/** Beyond this a card is no longer read in a channel; the source link has the rest. */
const MAX_TEXT_CHARS = 10_000;
/** A layout that keeps less text than this gives up labels or links instead. */
const MIN_TEXT_CHARS = 1_000;
const MAX_FACT_TITLE_CHARS = 128;
const MAX_FACT_VALUE_CHARS = 512;
const MAX_LABEL_FACTS = 40;
/** A link cut short is broken, so a longer one is left out rather than crowd out the text. */
const MAX_LINK_CHARS = 4_096;

/** What a card keeps when the alert does not fit the budget, most complete first. */
const LAYOUTS = [
  { labels: true, actions: true },
  { labels: false, actions: true },
  { labels: false, actions: false },
] as const;

type Layout = (typeof LAYOUTS)[number];

export const formatTeams: Formatter<TeamsTarget> = (alert, _group, target) => {
  const title = truncate(titleOf(alert, target).trim() || alertName(alert), MAX_TITLE_CHARS);
  const text = truncate(asParagraphs(textOf(alert, target).trim()), MAX_TEXT_CHARS);
  const render = (layout: Layout, kept: string) => JSON.stringify(messageOf(alert, target, title, kept, layout));

  let body: string | undefined;
  for (const layout of LAYOUTS) {
    const fitted = longestFitting(text, (kept) => render(layout, kept));
    if (!fitted) continue;
    body = fitted.body;
    if (fitted.kept >= Math.min(text.length, MIN_TEXT_CHARS)) break;
  }
  if (body === undefined) throw new FormatError(`the alert does not fit in a Teams message of ${TEAMS_BODY_BUDGET_BYTES} bytes`);
  return { method: 'POST', url: target.url, headers: { 'content-type': 'application/json' }, body };
};

function messageOf(alert: Alert, target: TeamsTarget, title: string, text: string, layout: Layout): TeamsMessage {
  const body: (TextBlock | FactSet)[] = [{ type: 'TextBlock', text: title, wrap: true, size: 'Large', weight: 'Bolder', color: colorOf(alert) }];
  if (text) body.push({ type: 'TextBlock', text, wrap: true });
  body.push({ type: 'FactSet', facts: factsOf(alert, target, layout.labels) });
  const actions: OpenUrlAction[] = layout.actions
    ? alertLinks(alert)
        .filter((link) => link.href.length <= MAX_LINK_CHARS)
        .map((link) => ({ type: 'Action.OpenUrl', title: link.text, url: link.href }))
    : [];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: CARD_VERSION, body, actions, msteams: { width: 'Full' } },
      },
    ],
  };
}

function colorOf(alert: Alert): TextColor {
  if (alert.status === 'resolved') return 'good';
  switch ((alert.labels.severity ?? '').toLowerCase()) {
    case 'critical':
    case 'error':
      return 'attention';
    case 'warning':
      return 'warning';
    case 'info':
      return 'accent';
    default:
      return 'default';
  }
}

/**
 * Status first so a resolved card says so even under a title template that omits it.
 * `alertname` is left out when the default title already shows it.
 */
function factsOf(alert: Alert, target: TeamsTarget, withLabels: boolean): Fact[] {
  const facts: Fact[] = [{ title: 'Status', value: alert.status === 'resolved' ? 'Resolved' : 'Firing' }];
  if (alert.labels.severity) facts.push({ title: 'Severity', value: truncate(alert.labels.severity, MAX_FACT_VALUE_CHARS) });
  facts.push({ title: 'Started', value: alert.startsAt });
  if (alert.status === 'resolved' && alert.endsAt && !alert.endsAt.startsWith('0001-')) facts.push({ title: 'Ended', value: alert.endsAt });
  if (!withLabels) return facts;
  const labels = Object.entries(alert.labels).filter(([name]) => name !== 'severity' && (name !== 'alertname' || Boolean(target.title)));
  for (const [name, value] of labels.slice(0, MAX_LABEL_FACTS)) {
    facts.push({ title: truncate(name, MAX_FACT_TITLE_CHARS), value: truncate(value, MAX_FACT_VALUE_CHARS) });
  }
  return facts;
}

/** TextBlock text is Markdown, where a single line break is only a space; a blank line keeps each line on its own. */
function asParagraphs(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\n\n');
}

/** The body with as much of `text` as fits the budget, or undefined when even none does. */
function longestFitting(text: string, render: (kept: string) => string): { body: string; kept: number } | undefined {
  const fits = (body: string) => Buffer.byteLength(body, 'utf8') <= TEAMS_BODY_BUDGET_BYTES;
  const whole = render(text);
  if (fits(whole)) return { body: whole, kept: text.length };
  if (!fits(render(''))) return undefined;
  let low = 0;
  let high = text.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(render(truncate(text, mid)))) low = mid;
    else high = mid - 1;
  }
  return { body: render(low > 0 ? truncate(text, low) : ''), kept: low };
}


const EMBEDDED_STATUS = /returned HTTP error (\d{3})/i;

/**
 * Legacy connector webhooks answer 200 even when Teams refused the message and put the real
 * status in the body ("Connectors do not throw 429s", connectors-using above), so the body
 * is read whatever the status. Workflows answer 202 with an empty body.
 */
export const readTeamsAnswer: AnswerReader = (status, body) => {
  const embedded = EMBEDDED_STATUS.exec(body);
  if (embedded) return classOfStatus(Number(embedded[1]));
  const ok = status >= 200 && status < 300;
  if (ok && /delivery failed/i.test(body)) return 'unknown';
  return ok ? 'success' : undefined;
};

function classOfStatus(status: number): ErrorType {
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  if (status >= 400) return 'permanent';
  return 'unknown';
}

export const teamsService: TargetService<TeamsTarget> = { format: formatTeams, readAnswer: readTeamsAnswer };
