import { ALWAYS_SECRET, type TargetConfig } from './target-config';

export const REDACTED = '[redacted]';

/**
 * A target as it may be shown in API answers, logs and DLQ rows: every field that came
 * from `${VAR}` and every always-secret field replaced by "[redacted]", and credentials
 * embedded in any other URL (user info, query string) removed.
 */
export function redactTarget(target: TargetConfig): Record<string, unknown> {
  const { secretFields, ...shown } = target;
  const copy = structuredClone(shown) as Record<string, unknown>;
  for (const path of [...secretFields, ...ALWAYS_SECRET[target.type]]) redactPath(copy, path.split('.'));
  for (const [key, value] of Object.entries(copy)) {
    if (typeof value === 'string' && key.toLowerCase().endsWith('url') && value !== REDACTED) copy[key] = redactUrl(value);
  }
  return copy;
}

function redactPath(object: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in object)) return;
  const value = object[head];
  if (rest.length > 0 && typeof value === 'object' && value !== null) {
    redactPath(value as Record<string, unknown>, rest);
  } else if (typeof value === 'object' && value !== null) {
    object[head] = Object.fromEntries(Object.keys(value).map((key) => [key, REDACTED]));
  } else {
    object[head] = REDACTED;
  }
}

function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.username || url.password) {
      url.username = REDACTED;
      url.password = '';
    }
    if (url.search) url.search = `?${REDACTED}`;
    return url.toString();
  } catch {
    return REDACTED;
  }
}
