import Joi from 'joi';
import { parseTemplate } from '../formatters/template';
import { urlWithScheme } from './url-schema';

/** The target types Herald can publish to. Each has one formatter in `formatters/`. */
export const TARGET_TYPES = ['webhook', 'slack', 'pagerduty', 'rootly', 'teams'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export type LabelMatchers = Readonly<Record<string, string>>;

/** At most `max` requests per `perMs` milliseconds to one target, shared by every worker. */
export interface RateLimit {
  readonly max: number;
  readonly perMs: number;
}

interface TargetBase {
  /** Unique, `[a-z0-9-]`; also the `target` label of every metric. */
  readonly name: string;
  /** Label equality: every pair must be present on the alert. Absent = every alert. */
  readonly match?: LabelMatchers;
  /** Label regular expressions, anchored at both ends like Alertmanager's `=~`. */
  readonly matchRe?: LabelMatchers;
  /** Label equality that excludes: an alert carrying any of these pairs is skipped. */
  readonly exclude?: LabelMatchers;
  /** Whole-request deadline in milliseconds: connect, headers and body. */
  readonly timeoutMs: number;
  /** Delivery attempts before the DLQ; falls back to `MAX_ATTEMPTS`. */
  readonly maxAttempts?: number;
  /** Requests allowed per window; defaults to the service's published limit (see DEFAULT_RATE_LIMITS). */
  readonly rateLimit?: RateLimit;
  /** Template of the message title, e.g. `{{ labels.alertname }} on {{ labels.instance }}`. */
  readonly title?: string;
  /** Template of the message text, e.g. `{{ annotations.summary }}`. */
  readonly text?: string;
  /**
   * Paths of fields whose value came from `${VAR}` expansion. Those values are secrets:
   * they are redacted wherever a target is shown.
   */
  readonly secretFields: readonly string[];
}

export interface WebhookTarget extends TargetBase {
  readonly type: 'webhook';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A Slack incoming webhook. */
export interface SlackTarget extends TargetBase {
  readonly type: 'slack';
  /** The incoming-webhook URL: itself a credential. */
  readonly url: string;
}

/** PagerDuty Events API v2. */
export interface PagerDutyTarget extends TargetBase {
  readonly type: 'pagerduty';
  /** The integration's routing key: a credential. */
  readonly routingKey: string;
  readonly url: string;
}

/** Rootly's alerts API. */
export interface RootlyTarget extends TargetBase {
  readonly type: 'rootly';
  /** Bearer token for the API: a credential. */
  readonly token: string;
  readonly url: string;
}

/** Microsoft Teams through an incoming webhook or a Workflows (Power Automate) URL. */
export interface TeamsTarget extends TargetBase {
  readonly type: 'teams';
  /** The webhook URL: itself a credential. */
  readonly url: string;
}

export type TargetConfig = WebhookTarget | SlackTarget | PagerDutyTarget | RootlyTarget | TeamsTarget;

export const DEFAULT_TARGET_TIMEOUT_MS = 5000;

/**
 * Fields that hold a secret whatever their source: header values carry tokens, and the
 * services' webhook URLs and keys are credentials themselves.
 */
export const ALWAYS_SECRET: Record<TargetType, readonly string[]> = {
  webhook: ['headers'],
  slack: ['url'],
  pagerduty: ['routingKey'],
  rootly: ['token'],
  teams: ['url'],
};

/**
 * Limits that respect each service's published rate limit, used when a target sets none:
 * Slack incoming webhooks about 1 message per second per webhook; PagerDuty Events v2 about
 * 120 events per minute per routing key; Rootly 50 alerts per minute per API key; Teams
 * connectors 4 requests per second (Teams also caps 100 per hour: set `rateLimit` to that
 * for a noisy channel, since one target has one window).
 */
export const DEFAULT_RATE_LIMITS: Partial<Record<TargetType, RateLimit>> = {
  slack: { max: 1, perMs: 1000 },
  pagerduty: { max: 120, perMs: 60_000 },
  rootly: { max: 50, perMs: 60_000 },
  teams: { max: 4, perMs: 1000 },
};

const TARGET_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const labelMatchers = Joi.object().pattern(/^[a-zA-Z_][a-zA-Z0-9_]*$/, Joi.string().allow(''));
const httpUrl = urlWithScheme(['http', 'https']);
const template = Joi.string()
  .max(4096)
  .custom((value: string, helpers) => {
    try {
      parseTemplate(value);
      return value;
    } catch (error) {
      return helpers.message({ custom: `{{#label}} ${(error as Error).message}` });
    }
  });

const targetBase = {
  name: Joi.string().pattern(TARGET_NAME).required().messages({
    'string.pattern.base': '"name" must be lowercase letters, digits and dashes (1-64), e.g. "ops-slack"',
  }),
  match: labelMatchers,
  matchRe: Joi.object().pattern(/^[a-zA-Z_][a-zA-Z0-9_]*$/, Joi.string().custom(assertRegExp, 'regular expression')),
  exclude: labelMatchers,
  timeoutMs: Joi.number().integer().min(100).max(120_000).default(DEFAULT_TARGET_TIMEOUT_MS),
  maxAttempts: Joi.number().integer().min(1).max(100),
  // The enforced window is perMs plus a margin of at least 100 ms (rateWindowMs); a window
  // under a second would lose a tenth or more of its rate to it. Say 20 per 1000, not 2 per 100.
  rateLimit: Joi.object({
    max: Joi.number().integer().min(1).max(100_000).required(),
    perMs: Joi.number().integer().min(1000).max(86_400_000).required().messages({
      'number.min': '"perMs" must be at least 1000 (a second); express a faster rate as more requests per second',
    }),
  }),
  title: template,
  text: template,
};

/** One schema per target type; unknown fields are rejected so typos surface at load. */
export const targetSchemas: Record<TargetType, Joi.ObjectSchema> = {
  webhook: Joi.object({
    ...targetBase,
    type: Joi.string().valid('webhook').required(),
    url: httpUrl.required(),
    headers: Joi.object().pattern(/^[A-Za-z0-9-]+$/, Joi.string()),
  }),
  slack: Joi.object({ ...targetBase, type: Joi.string().valid('slack').required(), url: httpUrl.required() }),
  pagerduty: Joi.object({
    ...targetBase,
    type: Joi.string().valid('pagerduty').required(),
    // PagerDuty integration keys are 32 characters: a wrong one fails here, not at 3 a.m.
    routingKey: Joi.string().length(32).required(),
    url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
  }),
  rootly: Joi.object({
    ...targetBase,
    type: Joi.string().valid('rootly').required(),
    token: Joi.string().min(1).max(512).required(),
    url: httpUrl.default('https://api.rootly.com/v1/alerts'),
  }),
  teams: Joi.object({ ...targetBase, type: Joi.string().valid('teams').required(), url: httpUrl.required() }),
};

function assertRegExp(value: string): string {
  new RegExp(`^(?:${value})$`);
  return value;
}
