import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real local HTTP server that answers like a Slack incoming webhook: 200 `ok` for a message
 * Slack would post, and Slack's status and body for one it would refuse. It checks what
 * Slack's docs state (see packages/core/src/formatters/slack.ts for the sources) for the
 * blocks Herald uses, and refuses block types it does not model, so a formatter cannot pass
 * here by sending something nobody checked. Where Slack's exact answer is undocumented
 * (block errors, wrong method, unknown webhook) it answers the way Slack is seen to answer.
 */
export interface SlackImitation {
  /** The server's origin; webhooks live under `/services/T…/B…/…`. */
  readonly url: string;
  /** Every message answered 200, in order. */
  readonly accepted: AcceptedMessage[];
  /** Every request answered otherwise, in order, with why. */
  readonly rejected: RejectedRequest[];
  /** The next `times` requests get `answer`, whatever they carry (rate limits, outages). */
  failNext(answer: ScriptedAnswer, times?: number): void;
  /** Every request to `path` gets `answer` (a deleted channel, an archived one, a revoked hook). */
  answerAt(path: string, answer: ScriptedAnswer): void;
  close(): Promise<void>;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface AcceptedMessage {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
  /** What Slack would post but render wrongly or truncate, e.g. an unescaped `&` in mrkdwn. */
  readonly warnings: string[];
}

export interface RejectedRequest {
  readonly path: string;
  readonly status: number;
  readonly body: string;
  readonly reason: string;
}

/** The real path shape: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX */
const WEBHOOK_PATH = /^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+$/;

const LIMITS = {
  blocks: 50,
  blockId: 255,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  textObject: 3000,
  /** Slack posts longer `text`, truncated, with a message_truncated warning. */
  text: 40_000,
  /** The python SDK's documented actual limit; Slack answers too_many_attachments beyond it. */
  attachments: 100,
} as const;

/** Top-level fields an incoming webhook reads; others are ignored by Slack and flagged here. */
const MESSAGE_FIELDS = new Set(['text', 'blocks', 'attachments', 'mrkdwn', 'thread_ts', 'unfurl_links', 'unfurl_media', 'username', 'icon_emoji', 'icon_url', 'channel', 'metadata']);
const ATTACHMENT_FIELDS = new Set([
  'blocks', 'color', 'fallback', 'pretext', 'author_name', 'author_link', 'author_icon', 'title', 'title_link', 'text', 'fields',
  'image_url', 'thumb_url', 'footer', 'footer_icon', 'ts', 'mrkdwn_in',
]);
const NAMED_COLOURS = new Set(['good', 'warning', 'danger']);

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    reason: string,
  ) {
    super(reason);
  }
}

const invalidBlocks = (reason: string) => new Refusal(400, 'invalid_blocks', reason);

export async function startSlackImitation(): Promise<SlackImitation> {
  const accepted: AcceptedMessage[] = [];
  const rejected: RejectedRequest[] = [];
  const scripted: ScriptedAnswer[] = [];
  const byPath = new Map<string, ScriptedAnswer>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const answer = (status: number, body: string, reason: string, headers: Readonly<Record<string, string>> = {}) => {
        rejected.push({ path, status, body, reason });
        res.writeHead(status, { 'content-type': 'text/html', ...headers });
        res.end(body);
      };
      const next = scripted.shift() ?? byPath.get(path);
      if (next) return answer(next.status, next.body, 'scripted', next.headers);
      try {
        if (!WEBHOOK_PATH.test(path)) throw new Refusal(404, 'no_service', `${path} is not a webhook path`);
        if (req.method !== 'POST') throw new Refusal(405, 'invalid_method', `method ${req.method}`);
        const warnings: string[] = [];
        const body = parseMessage(req.headers['content-type'], Buffer.concat(chunks).toString('utf8'), warnings);
        accepted.push({ path, headers: req.headers, body, warnings });
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('ok');
      } catch (error) {
        if (error instanceof Refusal) answer(error.status, error.body, error.message);
        else answer(500, 'rollup_error', `imitation failed: ${String(error)}`);
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    rejected,
    failNext(answer, times = 1) {
      for (let i = 0; i < times; i++) scripted.push(answer);
    },
    answerAt(path, answer) {
      byPath.set(path, answer);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseMessage(contentType: string | undefined, raw: string, warnings: string[]): unknown {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? '')) throw new Refusal(400, 'invalid_payload', `content-type ${contentType ?? 'missing'}`);
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    throw new Refusal(400, 'invalid_payload', 'body is not JSON');
  }
  if (!isObject(message)) throw new Refusal(400, 'invalid_payload', 'body is not a JSON object');
  for (const key of Object.keys(message)) if (!MESSAGE_FIELDS.has(key)) warnings.push(`unknown field "${key}" ignored`);

  const { text, blocks, attachments } = message;
  if (text !== undefined && typeof text !== 'string') throw new Refusal(400, 'invalid_payload', 'text is not a string');
  if (blocks !== undefined && !Array.isArray(blocks)) throw new Refusal(400, 'invalid_blocks_format', 'blocks is not an array');
  if (attachments !== undefined && !Array.isArray(attachments)) throw new Refusal(400, 'invalid_attachments', 'attachments is not an array');
  const hasText = typeof text === 'string' && text.trim() !== '';
  if (!hasText && (!Array.isArray(blocks) || blocks.length === 0)) throw new Refusal(400, 'no_text', 'neither text nor blocks');

  if (typeof text === 'string') {
    if (text.length > LIMITS.text) warnings.push(`message_truncated: text has ${text.length} characters, Slack keeps ${LIMITS.text}`);
    lintMrkdwn(text, 'text', warnings);
  }
  const allBlocks: unknown[] = [...((blocks as unknown[] | undefined) ?? [])];
  if (Array.isArray(attachments)) {
    if (attachments.length > LIMITS.attachments) throw new Refusal(400, 'too_many_attachments', `${attachments.length} attachments`);
    attachments.forEach((attachment, i) => allBlocks.push(...checkAttachment(attachment, `attachments[${i}]`, warnings)));
  }
  if (allBlocks.length > LIMITS.blocks) throw invalidBlocks(`${allBlocks.length} blocks, at most ${LIMITS.blocks}`);
  (blocks as unknown[] | undefined)?.forEach((block, i) => checkBlock(block, `blocks[${i}]`, warnings));
  const ids = allBlocks.filter(isObject).map((block) => block.block_id).filter((id) => id !== undefined);
  if (new Set(ids).size !== ids.length) throw invalidBlocks('block_id values are not unique');
  return message;
}

function checkAttachment(attachment: unknown, where: string, warnings: string[]): unknown[] {
  if (!isObject(attachment)) throw new Refusal(400, 'invalid_attachments', `${where} is not an object`);
  for (const key of Object.keys(attachment)) if (!ATTACHMENT_FIELDS.has(key)) throw new Refusal(400, 'invalid_attachments', `${where}.${key} is not an attachment field`);
  const { color, blocks, fallback, text } = attachment;
  if (color !== undefined && (typeof color !== 'string' || !(NAMED_COLOURS.has(color) || /^#?[0-9a-fA-F]{6}$/.test(color)))) {
    throw new Refusal(400, 'invalid_attachments', `${where}.color ${JSON.stringify(color)} is not good, warning, danger or a hex colour`);
  }
  if (blocks === undefined && typeof fallback !== 'string' && typeof text !== 'string') {
    throw new Refusal(400, 'invalid_attachments', `${where} has no blocks, text or fallback`);
  }
  if (blocks === undefined) return [];
  if (!Array.isArray(blocks)) throw invalidBlocks(`${where}.blocks is not an array`);
  blocks.forEach((block, i) => checkBlock(block, `${where}.blocks[${i}]`, warnings));
  return blocks;
}

function checkBlock(block: unknown, where: string, warnings: string[]): void {
  if (!isObject(block)) throw invalidBlocks(`${where} is not an object`);
  if (block.block_id !== undefined && (typeof block.block_id !== 'string' || block.block_id.length === 0 || block.block_id.length > LIMITS.blockId)) {
    throw invalidBlocks(`${where}.block_id must be 1-${LIMITS.blockId} characters`);
  }
  switch (block.type) {
    case 'header':
      onlyKeys(block, ['type', 'block_id', 'text'], where);
      checkText(block.text, `${where}.text`, LIMITS.headerText, warnings, 'plain_text');
      return;
    case 'section':
      onlyKeys(block, ['type', 'block_id', 'text', 'fields', 'expand'], where);
      if (block.text === undefined && block.fields === undefined) throw invalidBlocks(`${where} has neither text nor fields`);
      if (block.text !== undefined) checkText(block.text, `${where}.text`, LIMITS.sectionText, warnings);
      if (block.fields !== undefined) {
        checkList(block.fields, `${where}.fields`, LIMITS.sectionFields);
        block.fields.forEach((field, i) => checkText(field, `${where}.fields[${i}]`, LIMITS.fieldText, warnings));
      }
      if (block.expand !== undefined && typeof block.expand !== 'boolean') throw invalidBlocks(`${where}.expand is not a boolean`);
      return;
    case 'context':
      onlyKeys(block, ['type', 'block_id', 'elements'], where);
      checkList(block.elements, `${where}.elements`, LIMITS.contextElements);
      block.elements.forEach((element, i) => checkText(element, `${where}.elements[${i}]`, LIMITS.textObject, warnings));
      return;
    case 'divider':
      onlyKeys(block, ['type', 'block_id'], where);
      return;
    default:
      throw invalidBlocks(`${where}.type ${JSON.stringify(block.type)} is unknown or not modelled by this imitation`);
  }
}

function checkList(list: unknown, where: string, max: number): asserts list is unknown[] {
  if (!Array.isArray(list) || list.length === 0 || list.length > max) throw invalidBlocks(`${where} must be an array of 1-${max} items`);
}

function checkText(object: unknown, where: string, max: number, warnings: string[], only?: 'plain_text'): void {
  if (!isObject(object)) throw invalidBlocks(`${where} is not a text object`);
  const { type, text, emoji, verbatim } = object;
  if (type !== 'plain_text' && type !== 'mrkdwn') throw invalidBlocks(`${where}.type ${JSON.stringify(type)} is neither plain_text nor mrkdwn`);
  if (only && type !== only) throw invalidBlocks(`${where}.type must be ${only}`);
  onlyKeys(object, type === 'plain_text' ? ['type', 'text', 'emoji'] : ['type', 'text', 'verbatim'], where);
  if (typeof text !== 'string' || text.length === 0) throw invalidBlocks(`${where}.text must be a non-empty string`);
  if (text.length > max) throw invalidBlocks(`${where}.text has ${text.length} characters, at most ${max}`);
  if (emoji !== undefined && typeof emoji !== 'boolean') throw invalidBlocks(`${where}.emoji is not a boolean`);
  if (verbatim !== undefined && typeof verbatim !== 'boolean') throw invalidBlocks(`${where}.verbatim is not a boolean`);
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)) throw invalidBlocks(`${where}.text has a lone surrogate`);
  lintMrkdwn(text, `${where}.text`, warnings);
}

function onlyKeys(object: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(object).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw invalidBlocks(`${where} has unsupported field(s) ${extra.join(', ')}`);
}

/**
 * Slack posts text with stray control characters but renders it wrongly: a bare `&` or `<`
 * means user text was not escaped, and `<!channel>` would notify a whole channel. Herald's
 * formatter should never produce either, so tests assert there are no warnings.
 */
function lintMrkdwn(text: string, where: string, warnings: string[]): void {
  if (/&(?!amp;|lt;|gt;)/.test(text)) warnings.push(`${where}: unescaped &`);
  if (/>/.test(text.replace(/<[^<>]*>/g, ''))) warnings.push(`${where}: unescaped >`);
  for (const match of text.matchAll(/<([^<>]*)(>?)/g)) {
    const inner = match[1]!;
    if (!match[2]) warnings.push(`${where}: unescaped <`);
    else if (/^!(channel|here|everyone)/.test(inner)) warnings.push(`${where}: <${inner}> notifies everyone`);
    else if (!/^(https?:\/\/[^|\s]+(\|[^|]+)?|!date\^\d+\^[^|]+\|[^|]+|[@#][A-Z0-9]+(\|[^|]+)?|!subteam\^[A-Z0-9]+)$/.test(inner)) {
      warnings.push(`${where}: <${inner}> is not a link, mention or date`);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
