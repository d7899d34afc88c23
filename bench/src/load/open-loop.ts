import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import type { WebhookTemplate } from '../payloads';

export interface OpenLoopOptions {
  readonly origin: string;
  readonly path: string;
  readonly template: WebhookTemplate;
  readonly ratePerSecond: number;
  readonly count: number;
  /** Called with each alert's fingerprint and the time it was scheduled to go. */
  readonly onScheduled: (fingerprint: string, scheduledAt: number) => void;
}

export interface OpenLoopResult {
  readonly sent: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  /** How late the generator sent its latest request against the schedule, ms. */
  readonly maxSendLagMs: number;
  readonly durationMs: number;
}

const CONNECTIONS = 50;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Sends `count` webhooks on a fixed schedule (one every 1000/rate ms), never waiting for
 * answers: an open loop, so a slow system cannot slow the offered load down. A request
 * the generator sends late still counts from its scheduled time.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const url = options.origin + options.path;
  const interval = 1000 / options.ratePerSecond;
  const start = performance.now() + 5;
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  let maxSendLagMs = 0;
  const answers: Promise<void>[] = [];

  const send = (index: number) => {
    const scheduledAt = start + index * interval;
    const { body, fingerprints } = options.template.next();
    for (const fingerprint of fingerprints) options.onScheduled(fingerprint, scheduledAt);
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - scheduledAt);
    answers.push(
      agent.request({ origin: options.origin, path: options.path, method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (response) => {
          if (response.statusCode !== 202) {
            errors += 1;
            firstError ??= `HTTP ${response.statusCode} from ${url}: ${(await response.body.text()).slice(0, 300)}`;
          } else {
            await response.body.dump();
          }
        },
        (error: Error) => {
          errors += 1;
          firstError ??= error.message;
        },
      ),
    );
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < options.count && start + next * interval <= now) send(next++);
      if (next >= options.count) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  const durationMs = performance.now() - start;
  await Promise.all(answers);
  await agent.close();
  return { sent: next, errors, firstError, maxSendLagMs, durationMs };
}
