import type Joi from 'joi';
import { ValidationError } from './http-errors';

/** Validates `value` with a joi schema; a failure names every failing field path. */
export function validate<T>(schema: Joi.Schema, value: unknown, what: string): T {
  const { value: validated, error } = schema.validate(value, { abortEarly: false, convert: true });
  if (error) {
    const details = error.details.slice(0, 20).map((detail) => ({ path: formatPath(detail.path), message: detail.message }));
    throw new ValidationError(`invalid ${what}: ${details[0]!.path || '(root)'}: ${details[0]!.message}`, details);
  }
  return validated as T;
}

function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}
