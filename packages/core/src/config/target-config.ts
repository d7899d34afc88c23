import Joi from 'joi';

/** The target types Herald can publish to. Each has one formatter in `formatters/`. */
export const TARGET_TYPES = ['webhook'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export type LabelMatchers = Readonly<Record<string, string>>;

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

export type TargetConfig = WebhookTarget;

export const DEFAULT_TARGET_TIMEOUT_MS = 5000;

const TARGET_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const labelMatchers = Joi.object().pattern(/^[a-zA-Z_][a-zA-Z0-9_]*$/, Joi.string().allow(''));
const httpUrl = Joi.string().uri({ scheme: ['http', 'https'] });

const targetBase = {
  name: Joi.string().pattern(TARGET_NAME).required().messages({
    'string.pattern.base': '"name" must be lowercase letters, digits and dashes (1-64), e.g. "ops-slack"',
  }),
  match: labelMatchers,
  matchRe: Joi.object().pattern(/^[a-zA-Z_][a-zA-Z0-9_]*$/, Joi.string().custom(assertRegExp, 'regular expression')),
  exclude: labelMatchers,
  timeoutMs: Joi.number().integer().min(100).max(120_000).default(DEFAULT_TARGET_TIMEOUT_MS),
  maxAttempts: Joi.number().integer().min(1).max(100),
};

/** One schema per target type; unknown fields are rejected so typos surface at load. */
export const targetSchemas: Record<TargetType, Joi.ObjectSchema> = {
  webhook: Joi.object({
    ...targetBase,
    type: Joi.string().valid('webhook').required(),
    url: httpUrl.required(),
    headers: Joi.object().pattern(/^[A-Za-z0-9-]+$/, Joi.string()),
  }),
};

function assertRegExp(value: string): string {
  new RegExp(`^(?:${value})$`);
  return value;
}
