/*
 * The rules an incoming alert must meet, shared by the joi schemas (`alert-schemas.ts`) and
 * the hand-written webhook check (`webhook-check.ts`), so that the two cannot drift apart.
 */

export const ALERT_STATUSES = ['firing', 'resolved'] as const;

/** Prometheus's label names. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const MAX_LABEL_VALUE = 8 * 1024;
/** Any annotation name of 1 to 256 characters, on one line. */
export const ANNOTATION_NAME = /^.{1,256}$/;
export const MAX_ANNOTATION_VALUE = 64 * 1024;
/** Alertmanager's group-level maps (`groupLabels`, `commonLabels`, `commonAnnotations`) take any key. */
export const ANY_KEY = /^/;

export const MAX_URL = 4096;
export const MAX_GROUP_KEY = 8192;
export const MAX_RECEIVER = 1024;
export const MAX_FINGERPRINT = 128;
export const MAX_TIMESTAMP = 40;

/**
 * RFC 3339 as Alertmanager writes it (up to nanoseconds), checked but kept verbatim:
 * the string is part of the deduplication key, so it must not be re-formatted.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp that names a real instant (the length is checked apart, as `MAX_TIMESTAMP`). */
export function isTimestamp(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}
