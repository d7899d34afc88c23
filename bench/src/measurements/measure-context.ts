import { randomBytes } from 'node:crypto';
import type { BenchSettings } from '../bench-settings';
import type { BenchStack } from '../bench-stack';

/** What every measurement gets: the shared infrastructure and the mode's settings. */
export interface MeasureContext {
  readonly stack: BenchStack;
  readonly settings: BenchSettings;
}

/** A queue prefix no earlier measurement used. */
export function newPrefix(): string {
  return `bench${randomBytes(4).toString('hex')}`;
}

/** How many jobs a webhook answer says were queued (Herald: `jobs: [{id…}]`, bare: `jobs: [id…]`). */
export function queuedJobsIn(body: string): number {
  try {
    const parsed = JSON.parse(body) as { jobs?: unknown[] };
    return Array.isArray(parsed.jobs) ? parsed.jobs.length : 0;
  } catch {
    return 0;
  }
}
