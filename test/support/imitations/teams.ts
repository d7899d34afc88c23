import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real local HTTP server that imitates a Microsoft Teams webhook strictly: it accepts only
 * the Adaptive Card message Teams documents, with the elements Herald's Teams formatter uses,
 * and answers the way an incoming webhook (`legacy`) or a Workflows URL (`workflows`) does.
 *
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 * https://adaptivecards.io/explorer/
 */

/** "The message size limit is 28 KB", read as 28,000 bytes: the stricter of the two readings. */
export const TEAMS_MESSAGE_LIMIT_BYTES = 28_000;

export type TeamsMode = 'workflows' | 'legacy';

/**
 * A scripted answer for a coming request, whatever it carries: Workflows-style 429 with
 * Retry-After, a legacy connector's 200 reporting Teams' own 429 in its body, or a 500.
 */
export type TeamsFailure = 'throttled' | 'legacy-throttled' | 'server-error' | { status: number; body?: string; headers?: Record<string, string> };

export interface TeamsImitation {
  readonly url: string;
  readonly mode: TeamsMode;
  /** The Adaptive Cards (attachment `content`) of accepted messages, in arrival order. */
  readonly cards: any[];
  /** Why each rejected message was rejected, in arrival order. */
  readonly rejections: string[];
  /** Answers the next `count` requests with `failure` instead of reading them. */
  failNext(failure: TeamsFailure, count?: number): void;
  close(): Promise<void>;
}

/** The body legacy connectors send with a 200 when Teams throttled the message. */
export const LEGACY_THROTTLED_BODY =
  'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-weu-azsc2-4-170,cv=hHs6kQoKYkqbVvJQXTBY2g.0..';

export const RETRY_AFTER_SECONDS = 1;

const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
const CARD_KEYS = new Set(['$schema', 'type', 'version', 'body', 'actions', 'msteams', 'fallbackText', 'speak', 'lang', 'minHeight']);
const TEXT_BLOCK_KEYS = new Set(['type', 'id', 'text', 'wrap', 'size', 'weight', 'color', 'isSubtle', 'spacing', 'separator', 'maxLines', 'horizontalAlignment', 'fontType', 'style']);
const FACT_SET_KEYS = new Set(['type', 'id', 'facts', 'spacing', 'separator']);
const OPEN_URL_KEYS = new Set(['type', 'id', 'title', 'url', 'style', 'tooltip']);
const TEXT_BLOCK_ENUMS: Record<string, readonly string[]> = {
  size: ['default', 'small', 'medium', 'large', 'extralarge'],
  weight: ['default', 'lighter', 'bolder'],
  color: ['default', 'dark', 'light', 'accent', 'good', 'warning', 'attention'],
  spacing: ['none', 'small', 'default', 'medium', 'large', 'extralarge', 'padding'],
  horizontalAlignment: ['left', 'center', 'right'],
  fontType: ['default', 'monospace'],
  style: ['default', 'heading'],
};

export async function startTeamsImitation(options: { mode?: TeamsMode } = {}): Promise<TeamsImitation> {
  const mode = options.mode ?? 'workflows';
  const cards: any[] = [];
  const rejections: string[] = [];
  const failures: TeamsFailure[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const failure = failures.shift();
      if (failure) {
        answerFailure(res, failure);
        return;
      }
      const raw = Buffer.concat(chunks);
      const verdict = judge(req, raw);
      if ('reason' in verdict) {
        rejections.push(verdict.reason);
        res.writeHead(verdict.status, { 'content-type': 'text/plain' });
        res.end(verdict.reason);
        return;
      }
      cards.push(verdict.card);
      if (mode === 'workflows') {
        res.writeHead(202);
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('1');
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    mode,
    cards,
    rejections,
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answerFailure(res: ServerResponse, failure: TeamsFailure): void {
  if (failure === 'throttled') {
    res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': String(RETRY_AFTER_SECONDS) });
    res.end('Too Many Requests');
  } else if (failure === 'legacy-throttled') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(LEGACY_THROTTLED_BODY);
  } else if (failure === 'server-error') {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('Internal Server Error');
  } else {
    res.writeHead(failure.status, { 'content-type': 'text/plain', ...failure.headers });
    res.end(failure.body ?? '');
  }
}

type Verdict = { card: unknown } | { status: number; reason: string };

function judge(req: IncomingMessage, raw: Buffer): Verdict {
  if (req.method !== 'POST') return { status: 405, reason: `method ${req.method} is not POST` };
  if (raw.length > TEAMS_MESSAGE_LIMIT_BYTES) return { status: 413, reason: `message of ${raw.length} bytes exceeds ${TEAMS_MESSAGE_LIMIT_BYTES}` };
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    return { status: 400, reason: `content-type ${req.headers['content-type'] ?? '(none)'} is not application/json` };
  }
  let message: unknown;
  try {
    message = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, reason: 'body is not JSON' };
  }
  const problem = messageProblem(message);
  if (problem) return { status: 400, reason: problem };
  return { card: ((message as { attachments: { content: unknown }[] }).attachments[0]!).content };
}

function messageProblem(message: unknown): string | undefined {
  if (!isRecord(message)) return 'message is not an object';
  const extra = Object.keys(message).filter((key) => key !== 'type' && key !== 'attachments');
  if (extra.length > 0) return `message has unknown fields ${extra.join(', ')}`;
  if (message.type !== 'message') return 'message.type must be "message"';
  const { attachments } = message;
  if (!Array.isArray(attachments) || attachments.length !== 1) return 'message.attachments must hold exactly one card';
  const attachment: unknown = attachments[0];
  if (!isRecord(attachment)) return 'attachment is not an object';
  const extraInAttachment = Object.keys(attachment).filter((key) => !['contentType', 'contentUrl', 'content'].includes(key));
  if (extraInAttachment.length > 0) return `attachment has unknown fields ${extraInAttachment.join(', ')}`;
  if (attachment.contentType !== ADAPTIVE_CARD) return `attachment.contentType must be ${ADAPTIVE_CARD}`;
  if ('contentUrl' in attachment && attachment.contentUrl !== null) return 'attachment.contentUrl must be null';
  return cardProblem(attachment.content);
}

function cardProblem(card: unknown): string | undefined {
  if (!isRecord(card)) return 'attachment.content is not an object';
  const extra = Object.keys(card).filter((key) => !CARD_KEYS.has(key));
  if (extra.length > 0) return `card has unknown fields ${extra.join(', ')}`;
  if (card.type !== 'AdaptiveCard') return 'card.type must be "AdaptiveCard"';
  if (typeof card.version !== 'string' || !/^1\.[0-5]$/.test(card.version)) return 'card.version must be a string from "1.0" to "1.5"';
  if ('$schema' in card && typeof card.$schema !== 'string') return 'card.$schema must be a string';
  if ('msteams' in card && (!isRecord(card.msteams) || ('width' in card.msteams && card.msteams.width !== 'Full'))) return 'card.msteams.width must be "Full"';
  if (!Array.isArray(card.body) || card.body.length === 0) return 'card.body must be a non-empty array';
  for (const [index, element] of card.body.entries()) {
    const problem = elementProblem(element);
    if (problem) return `card.body[${index}]: ${problem}`;
  }
  if ('actions' in card) {
    if (!Array.isArray(card.actions)) return 'card.actions must be an array';
    for (const [index, action] of card.actions.entries()) {
      const problem = actionProblem(action);
      if (problem) return `card.actions[${index}]: ${problem}`;
    }
  }
  return undefined;
}

function elementProblem(element: unknown): string | undefined {
  if (!isRecord(element)) return 'element is not an object';
  if (element.type === 'TextBlock') {
    const extra = Object.keys(element).filter((key) => !TEXT_BLOCK_KEYS.has(key));
    if (extra.length > 0) return `TextBlock has unknown fields ${extra.join(', ')}`;
    if (typeof element.text !== 'string') return 'TextBlock.text must be a string';
    for (const flag of ['wrap', 'isSubtle', 'separator']) {
      if (flag in element && typeof element[flag] !== 'boolean') return `TextBlock.${flag} must be a boolean`;
    }
    for (const [field, allowed] of Object.entries(TEXT_BLOCK_ENUMS)) {
      if (!(field in element)) continue;
      const value = element[field];
      if (typeof value !== 'string' || !allowed.includes(value.toLowerCase())) return `TextBlock.${field} "${String(value)}" is not one of ${allowed.join(', ')}`;
    }
    return undefined;
  }
  if (element.type === 'FactSet') {
    const extra = Object.keys(element).filter((key) => !FACT_SET_KEYS.has(key));
    if (extra.length > 0) return `FactSet has unknown fields ${extra.join(', ')}`;
    if (!Array.isArray(element.facts) || element.facts.length === 0) return 'FactSet.facts must be a non-empty array';
    for (const fact of element.facts as unknown[]) {
      if (!isRecord(fact) || Object.keys(fact).length !== 2 || typeof fact.title !== 'string' || typeof fact.value !== 'string') {
        return 'every fact must be exactly { title: string, value: string }';
      }
    }
    return undefined;
  }
  return `element type ${JSON.stringify(element.type)} is not one this imitation knows`;
}

function actionProblem(action: unknown): string | undefined {
  if (!isRecord(action)) return 'action is not an object';
  if (action.type !== 'Action.OpenUrl') return `action type ${JSON.stringify(action.type)} is not supported by webhooks (Action.OpenUrl is)`;
  const extra = Object.keys(action).filter((key) => !OPEN_URL_KEYS.has(key));
  if (extra.length > 0) return `Action.OpenUrl has unknown fields ${extra.join(', ')}`;
  if (typeof action.title !== 'string' || action.title === '') return 'Action.OpenUrl.title must be a non-empty string';
  if (typeof action.url !== 'string' || !isAbsoluteUrl(action.url)) return 'Action.OpenUrl.url must be an absolute URL';
  return undefined;
}

function isAbsoluteUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
