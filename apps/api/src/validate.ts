import type Joi from 'joi';
import { ValidationError } from './http-errors';

/**
 * Validates `value` with a joi schema; a failure names every failing field path.
 *
 * Valid input takes joi's default pass (stop at the first error, convert). Options passed
 * per call cost joi a preference merge on every call, about a quarter of validating a
 * webhook (bench/README.md, "Findings"), so only a failure pays for the second, thorough
 * pass that collects every error.
 */
export function validate<T>(schema: Joi.Schema, value: unknown, what: string): T {
  const { value: validated, error: first } = schema.validate(value);
  if (first) {
    const { error } = schema.validate(value, { abortEarly: false });
    const details = (error ?? first).details.slice(0, 20).map((detail) => ({ path: formatPath(detail.path), message: detail.message }));
    throw new ValidationError(`invalid ${what}: ${details[0]!.path || '(root)'}: ${details[0]!.message}`, details);
  }
  return validated as T;
}

function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}
