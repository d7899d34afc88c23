import type { AlertStatus } from './alert/alert';

/** The three delivery priorities, most urgent first. Each has its own BullMQ queue. */
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export function isPriority(value: unknown): value is Priority {
  return PRIORITIES.includes(value as Priority);
}

/**
 * The priority of one alert: high when firing and critical; low when resolved or of
 * severity info/none; medium otherwise. Label values compare case-insensitively.
 */
export function priorityOf(status: AlertStatus, labels: Readonly<Record<string, string>>): Priority {
  const severity = labels.severity?.toLowerCase();
  if (status === 'resolved' || severity === 'info' || severity === 'none') return 'low';
  if (severity === 'critical') return 'high';
  return 'medium';
}
