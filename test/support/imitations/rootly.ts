import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real local HTTP server imitating Rootly's `POST /v1/alerts`, as strict as its published
 * docs allow: https://docs.rootly.com/api-reference/alerts/creates-an-alert and
 * https://docs.rootly.com/api-reference. Where the docs are silent it is stricter than Rootly
 * is likely to be (unknown attributes and the length limits below are refused), so that a
 * formatter passing here has no room for sloppiness.
 */

/** Limits Rootly does not document; conservative guesses, the same ones the formatter keeps to. */
const LIMITS = { summary: 255, description: 10_000, externalId: 255, externalUrl: 2048, labelKey: 255, labelValue: 255, bodyBytes: 1024 * 1024 };

const MEDIA_TYPE = 'application/vnd.api+json';

/** The `source` enum of Rootly's `new_alert` schema. */
const SOURCES = new Set([
  'alertmanager', 'api', 'app_dynamics', 'app_optics', 'asana', 'aws_sns', 'azure', 'bug_snag', 'catchpoint', 'checkly',
  'chronosphere', 'clickup', 'cloud_watch', 'datadog', 'dynatrace', 'email', 'generic_webhook', 'gitlab', 'google_cloud',
  'grafana', 'heartbeat', 'honeycomb', 'jira', 'linear', 'live_call_routing', 'manual', 'mobile', 'monte_carlo', 'nagios',
  'new_relic', 'nobl9', 'opsgenie', 'pagerduty', 'pagertree', 'prtg', 'rollbar', 'rootly', 'sentry', 'service_now', 'slack',
  'splunk', 'victorops', 'web', 'workflow', 'zendesk',
]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export interface RootlyAlertRecord {
  /** Rootly's id for the alert; a repeated deduplication key gets the first alert's id. */
  readonly id: string;
  readonly attributes: any;
  readonly at: number;
}

/** A scripted answer for the next requests, before any check. */
export interface RootlyFailure {
  readonly status: number;
  /** Sent as `Retry-After`, in seconds. */
  readonly retryAfterSeconds?: number;
}

export interface RootlyImitation {
  /** The origin; the endpoint is `${url}/v1/alerts`. */
  readonly url: string;
  /** Every accepted create-alert request, in arrival order. */
  readonly alerts: RootlyAlertRecord[];
  /** The status of every answer given, in order. */
  readonly answered: number[];
  /** The next `count` requests get `failure` instead of being handled. */
  failNext(count: number, failure: RootlyFailure): void;
  close(): Promise<void>;
}

interface JsonApiError {
  readonly title: string;
  readonly detail: string;
  readonly source?: { readonly pointer: string };
}

export async function startRootlyImitation(options: { token: string }): Promise<RootlyImitation> {
  const alerts: RootlyAlertRecord[] = [];
  const answered: number[] = [];
  const scripted: { remaining: number; failure: RootlyFailure }[] = [];

  function answer(res: ServerResponse, status: number, document: unknown, headers: Record<string, string> = {}): void {
    answered.push(status);
    res.writeHead(status, { 'content-type': MEDIA_TYPE, ...headers });
    res.end(JSON.stringify(document));
  }

  function refuse(res: ServerResponse, status: number, errors: readonly JsonApiError[], headers?: Record<string, string>): void {
    answer(res, status, { errors: errors.map((error) => ({ status: String(status), ...error })) }, headers);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer, tooLarge: boolean): void {
    const next = scripted[0];
    if (next) {
      if (--next.remaining <= 0) scripted.shift();
      const { status, retryAfterSeconds } = next.failure;
      const headers = retryAfterSeconds === undefined ? undefined : { 'retry-after': String(retryAfterSeconds) };
      refuse(res, status, [{ title: status === 429 ? 'Request Limit Exceeded' : 'Internal Server Error', detail: 'scripted failure' }], headers);
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/alerts') return refuse(res, 404, [{ title: 'Not Found', detail: `no route for ${path}` }]);
    if (req.method !== 'POST') return refuse(res, 405, [{ title: 'Method Not Allowed', detail: 'only POST creates an alert' }], { allow: 'POST' });
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return refuse(res, 401, [{ title: 'Unauthorized', detail: 'a valid "Authorization: Bearer <API key>" header is required' }]);
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== MEDIA_TYPE) {
      return refuse(res, 415, [{ title: 'Unsupported Media Type', detail: `Content-Type must be ${MEDIA_TYPE}, got "${mediaType}"` }]);
    }
    if (tooLarge) return refuse(res, 413, [{ title: 'Payload Too Large', detail: `the body exceeds ${LIMITS.bodyBytes} bytes` }]);
    let document: unknown;
    try {
      document = JSON.parse(raw.toString('utf8'));
    } catch {
      return refuse(res, 400, [{ title: 'Bad Request', detail: 'the body is not valid JSON' }]);
    }
    const errors = validateNewAlert(document);
    if (errors.length > 0) return refuse(res, 422, errors);

    const attributes = (document as { data: { attributes: Record<string, any> } }).data.attributes;
    const key: unknown = attributes.deduplication_key;
    const same = typeof key === 'string' ? alerts.find((alert) => alert.attributes.deduplication_key === key) : undefined;
    const id = same?.id ?? randomUUID();
    alerts.push({ id, attributes, at: Date.now() });
    const now = new Date().toISOString();
    answer(res, 201, {
      data: {
        id,
        type: 'alerts',
        attributes: {
          short_id: `ALT${100000 + alerts.length}`,
          status: 'open',
          description: null,
          labels: [],
          external_id: null,
          external_url: null,
          started_at: null,
          ended_at: null,
          ...attributes,
          created_at: now,
          updated_at: now,
        },
      },
    });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= LIMITS.bodyBytes) chunks.push(chunk);
    });
    req.on('end', () => handle(req, res, Buffer.concat(chunks), size > LIMITS.bodyBytes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    alerts,
    answered,
    failNext(count, failure) {
      if (count > 0) scripted.push({ remaining: count, failure });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every reason Rootly's `new_alert` schema (plus the limits above) refuses the document. */
export function validateNewAlert(document: unknown): JsonApiError[] {
  const errors: JsonApiError[] = [];
  const fail = (pointer: string, detail: string) => errors.push({ title: 'Invalid Attribute', detail, source: { pointer } });
  if (!isObject(document) || !isObject(document.data)) {
    fail('/data', 'the document must have a "data" object');
    return errors;
  }
  const { data } = document;
  if (data.type !== 'alerts') fail('/data/type', 'must be "alerts"');
  if (!isObject(data.attributes)) {
    fail('/data/attributes', 'must be an object');
    return errors;
  }
  const attributes = data.attributes;
  const at = (name: string) => `/data/attributes/${name}`;

  for (const name of Object.keys(attributes)) {
    if (!(name in ATTRIBUTES)) fail(at(name), 'is not an attribute of a new alert');
  }
  for (const [name, check] of Object.entries(ATTRIBUTES)) {
    const value = attributes[name];
    if (value === undefined) {
      if (REQUIRED.has(name)) fail(at(name), "can't be blank");
      continue;
    }
    const problem = check(value);
    if (problem) fail(at(name), problem);
  }
  return errors;
}

const REQUIRED = new Set(['source', 'summary']);

type Check = (value: unknown) => string | undefined;

const nullable =
  (check: Check): Check =>
  (value) =>
    value === null ? undefined : check(value);

const oneOf =
  (...allowed: string[]): Check =>
  (value) =>
    typeof value === 'string' && allowed.includes(value) ? undefined : `must be one of ${allowed.join(', ')}`;

const text =
  (max: number, { blank = true } = {}): Check =>
  (value) => {
    if (typeof value !== 'string') return 'must be a string';
    if (!blank && value.trim() === '') return "can't be blank";
    return [...value].length > max ? `is too long (maximum is ${max} characters)` : undefined;
  };

const ids: Check = (value) => (Array.isArray(value) && value.every((id) => typeof id === 'string') ? undefined : 'must be a list of id strings');

const time: Check = (value) => (typeof value === 'string' && RFC3339.test(value) && Number.isFinite(Date.parse(value)) ? undefined : 'must be an RFC 3339 date-time');

const url: Check = (value) => {
  const tooLong = text(LIMITS.externalUrl)(value);
  if (tooLong) return tooLong;
  try {
    const { protocol } = new URL(value as string);
    return protocol === 'http:' || protocol === 'https:' ? undefined : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
};

const labels: Check = (value) => {
  if (!Array.isArray(value)) return 'must be a list of {key, value}';
  for (const [index, label] of value.entries()) {
    if (label === null) continue;
    if (!isObject(label)) return `[${index}] must be {key, value}`;
    const keyProblem = text(LIMITS.labelKey, { blank: false })(label.key);
    if (keyProblem) return `[${index}].key ${keyProblem}`;
    const labelValue = label.value;
    if (typeof labelValue === 'string') {
      const valueProblem = text(LIMITS.labelValue)(labelValue);
      if (valueProblem) return `[${index}].value ${valueProblem}`;
    } else if (typeof labelValue !== 'number' && typeof labelValue !== 'boolean') {
      return `[${index}].value must be a string, number or boolean`;
    }
  }
  return undefined;
};

const fieldValues: Check = (value) =>
  Array.isArray(value) && value.every((item) => item === null || (isObject(item) && typeof item.alert_field_id === 'string' && typeof item.value === 'string'))
    ? undefined
    : 'must be a list of {alert_field_id, value}';

/** The attributes of Rootly's `new_alert`, each with its check. */
const ATTRIBUTES: Record<string, Check> = {
  source: (value) => (typeof value === 'string' && SOURCES.has(value) ? undefined : 'is not a documented alert source'),
  summary: text(LIMITS.summary, { blank: false }),
  noise: oneOf('noise', 'not_noise'),
  status: oneOf('open', 'triggered'),
  description: nullable(text(LIMITS.description)),
  service_ids: nullable(ids),
  group_ids: nullable(ids),
  environment_ids: nullable(ids),
  started_at: nullable(time),
  ended_at: nullable(time),
  external_id: nullable(text(LIMITS.externalId)),
  external_url: nullable(url),
  alert_urgency_id: nullable(text(255)),
  notification_target_type: oneOf('Group', 'Service', 'EscalationPolicy', 'User'),
  notification_target_id: nullable(text(255)),
  labels,
  data: nullable((value) => (isObject(value) ? undefined : 'must be an object')),
  deduplication_key: nullable(text(LIMITS.externalId)),
  alert_field_values_attributes: fieldValues,
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
