import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real local HTTP server imitating PagerDuty's Events API v2 `POST /v2/enqueue`, as strict
 * as its documentation, so a formatter that passes here sends what PagerDuty accepts:
 *   https://raw.githubusercontent.com/PagerDuty/developer-docs/main/docs/events-API-v2/02-Trigger-Events.md
 *   https://raw.githubusercontent.com/PagerDuty/developer-docs/main/docs/events-API-v2/01-Overview.md
 *   https://github.com/PagerDuty/api-schema/blob/main/reference/events-v2/openapiv3.json
 * Fields the documentation does not name are rejected too: a typo such as `dedupKey` would
 * otherwise be ignored by PagerDuty and silently break deduplication.
 */
export interface PagerDutyImitation {
  /** Origin only; events go to `${url}/v2/enqueue`. */
  readonly url: string;
  /** Every accepted event, parsed, in arrival order. */
  readonly events: any[];
  /** Every answer that was not 202, in arrival order (scripted failures included). */
  readonly rejections: { status: number; body: any }[];
  /** Alert state by dedup_key: a trigger opens, an acknowledge acknowledges, a resolve closes. */
  readonly incidents: Map<string, IncidentState>;
  /** The next `count` requests get this failure instead of being read. */
  failNext(count: number, failure: ScriptedFailure): void;
  close(): Promise<void>;
}

export type IncidentState = 'triggered' | 'acknowledged' | 'resolved';

/** `throttled`: 429; `server-error`: 500; or any status and body. */
export type ScriptedFailure = 'throttled' | 'server-error' | { status: number; body: unknown; headers?: Record<string, string> };

/** "512 KB", read as the smaller 512,000 bytes: an event this imitation accepts fits either reading. */
export const PAGERDUTY_MAX_EVENT_BYTES = 512_000;
const SUMMARY_MAX = 1024;
const DEDUP_KEY_MAX = 255;
const ROUTING_KEY_LENGTH = 32;
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const EVENT_FIELDS = new Set(['routing_key', 'event_action', 'dedup_key', 'payload', 'client', 'client_url', 'links', 'images']);
const PAYLOAD_FIELDS = new Set(['summary', 'source', 'severity', 'timestamp', 'component', 'group', 'class', 'custom_details']);
/** ISO 8601 date-time with a zone, e.g. PagerDuty's own `2015-07-17T08:42:58.315+0000`. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * The bodies PagerDuty answers with. `invalid event` is what the Events API returns for a
 * well-formed but invalid event (client libraries record it); `Unrecognized object` is the
 * schema's example for a body that is not a JSON object. The 429 body is not documented for
 * v2: this one is what the Events API has long sent when throttling.
 */
const invalidEvent = (errors: string[]) => ({ status: 'invalid event', message: 'Event object is invalid', errors });
const unrecognized = (error: string) => ({ status: 'Unrecognized object', message: 'Event object format is unrecognized', errors: [error] });
const THROTTLED = { status: 'throttle exceeded', message: 'Requests for this service are arriving too quickly. Please retry later.' };
const SERVER_ERROR = { status: 'internal error', message: 'The PagerDuty server experienced an error while processing the event.' };

export async function startPagerDutyImitation(options: { routingKey: string }): Promise<PagerDutyImitation> {
  if (options.routingKey.length !== ROUTING_KEY_LENGTH) throw new Error(`a PagerDuty routing key has ${ROUTING_KEY_LENGTH} characters`);
  const events: any[] = [];
  const rejections: { status: number; body: any }[] = [];
  const incidents = new Map<string, IncidentState>();
  const scripted: ScriptedFailure[] = [];

  const answer = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (status !== 202) rejections.push({ status, body });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => handle(req, raw, res),
      () => req.socket.destroy(),
    );
  });

  function handle(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    const failure = scripted.shift();
    if (failure === 'throttled') return answer(res, 429, THROTTLED);
    if (failure === 'server-error') return answer(res, 500, SERVER_ERROR);
    if (failure) return answer(res, failure.status, failure.body, failure.headers);

    if (req.url !== '/v2/enqueue') return answer(res, 404, { status: 'not found', message: `no such endpoint: ${req.method} ${req.url}` });
    if (req.method !== 'POST') return answer(res, 405, { status: 'method not allowed', message: 'events are POSTed' });
    if (raw.length > PAGERDUTY_MAX_EVENT_BYTES) {
      return answer(res, 413, { status: 'request too large', message: `Events API payloads are limited to 512 KB; this one has ${raw.length} bytes` });
    }
    if (!/^application\/json\s*(?:;|$)/i.test(req.headers['content-type'] ?? '')) return answer(res, 400, unrecognized('Content-Type must be application/json'));
    let event: unknown;
    try {
      event = JSON.parse(raw.toString('utf8'));
    } catch {
      return answer(res, 400, unrecognized('JSON parse error'));
    }
    if (!isObject(event)) return answer(res, 400, unrecognized('the event must be a JSON object'));

    const errors = validate(event, options.routingKey);
    if (errors.length > 0) return answer(res, 400, invalidEvent(errors));

    const action = event.event_action as string;
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : randomUUID();
    events.push(event);
    apply(action, dedupKey);
    return answer(res, 202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
  }

  /** PagerDuty's de-duplication: acknowledge and resolve apply to an open alert, or are dropped. */
  function apply(action: string, dedupKey: string): void {
    const open = incidents.get(dedupKey) === 'triggered' || incidents.get(dedupKey) === 'acknowledged';
    if (action === 'trigger' && incidents.get(dedupKey) !== 'acknowledged') incidents.set(dedupKey, 'triggered');
    if (action === 'acknowledge' && open) incidents.set(dedupKey, 'acknowledged');
    if (action === 'resolve' && open) incidents.set(dedupKey, 'resolved');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    events,
    rejections,
    incidents,
    failNext(count, failure) {
      for (let i = 0; i < count; i++) scripted.push(failure);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every reason the event is invalid, in PagerDuty's terms; empty when it is valid. */
function validate(event: Record<string, unknown>, routingKey: string): string[] {
  const errors: string[] = [];
  for (const field of Object.keys(event)) if (!EVENT_FIELDS.has(field)) errors.push(`'${field}' is not an Events API v2 field`);

  const key = event.routing_key;
  if (typeof key !== 'string' || key.length === 0) errors.push("'routing_key' is missing or not a string");
  else if (key.length !== ROUTING_KEY_LENGTH) errors.push(`'routing_key' is the wrong length (should be ${ROUTING_KEY_LENGTH} characters)`);
  else if (key !== routingKey) errors.push('Invalid routing key');

  const action = event.event_action;
  if (typeof action !== 'string' || !ACTIONS.includes(action)) errors.push(`'event_action' must be one of ${ACTIONS.join(', ')}`);

  const dedupKey = event.dedup_key;
  if (dedupKey !== undefined) {
    if (typeof dedupKey !== 'string' || dedupKey.length === 0) errors.push("'dedup_key' must be a non-empty string");
    else if (dedupKey.length > DEDUP_KEY_MAX) errors.push(`'dedup_key' is longer than ${DEDUP_KEY_MAX} characters`);
  } else if (action === 'acknowledge' || action === 'resolve') {
    errors.push(`'dedup_key' is required to ${action}`);
  }

  if (action === 'trigger') errors.push(...validatePayload(event.payload));
  for (const field of ['client', 'client_url'] as const) {
    if (event[field] !== undefined && typeof event[field] !== 'string') errors.push(`'${field}' must be a string`);
  }
  if (event.client_url !== undefined && !isUrl(event.client_url)) errors.push("'client_url' must be a URL");
  errors.push(...validateList(event.links, 'links', 'href'), ...validateList(event.images, 'images', 'src'));
  return errors;
}

function validatePayload(payload: unknown): string[] {
  if (!isObject(payload)) return ["'payload' is required for a trigger event"];
  const errors: string[] = [];
  for (const field of Object.keys(payload)) if (!PAYLOAD_FIELDS.has(field)) errors.push(`'payload.${field}' is not an Events API v2 field`);
  const { summary, source, severity, timestamp } = payload;
  if (typeof summary !== 'string' || summary.trim().length === 0) errors.push("'payload.summary' is required");
  else if (summary.length > SUMMARY_MAX) errors.push(`'payload.summary' is longer than ${SUMMARY_MAX} characters`);
  if (typeof source !== 'string' || source.trim().length === 0) errors.push("'payload.source' is required");
  if (typeof severity !== 'string' || !SEVERITIES.includes(severity)) errors.push(`'payload.severity' must be one of ${SEVERITIES.join(', ')}`);
  if (timestamp !== undefined && (typeof timestamp !== 'string' || !ISO_8601.test(timestamp) || !Number.isFinite(Date.parse(timestamp)))) {
    errors.push("'payload.timestamp' must be an ISO 8601 date-time");
  }
  for (const field of ['component', 'group', 'class'] as const) {
    if (payload[field] !== undefined && typeof payload[field] !== 'string') errors.push(`'payload.${field}' must be a string`);
  }
  if (payload.custom_details !== undefined && !isObject(payload.custom_details)) errors.push("'payload.custom_details' must be an object");
  return errors;
}

/** `links` need an `href`, `images` a `src`; both are URLs. */
function validateList(list: unknown, name: string, required: string): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [`'${name}' must be an array`];
  return list.flatMap((item, index) => {
    if (!isObject(item)) return [`'${name}[${index}]' must be an object`];
    if (!isUrl(item[required])) return [`'${name}[${index}].${required}' is required and must be a URL`];
    return [];
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
