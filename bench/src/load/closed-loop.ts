import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { WebhookTemplate } from '../payloads';

const REQUEST_TIMEOUT_MS = 30_000;

/** A webhook answer the load generator keeps, to check the system really queued jobs. */
export interface FirstAnswer {
  readonly status: number;
  readonly body: string;
}

export interface ClosedLoopOptions {
  readonly origin: string;
  readonly path: string;
  readonly connections: number;
  readonly template: WebhookTemplate;
  /** Requests completing before this long after the start are not counted. */
  readonly warmupMs: number;
  /** The counted window after the warm-up; loops stop sending once it ends. */
  readonly durationMs: number;
  /** Stop after this many requests, counted or not. */
  readonly maxRequests: number;
}

export interface ClosedLoopResult {
  readonly countedRequests: number;
  readonly countedAlerts: number;
  /** Latency of each counted request, ms. */
  readonly latencies: number[];
  readonly sentRequests: number;
  /** Alerts in every request answered 202, warm-up included. */
  readonly acceptedAlerts: number;
  /** Requests answered with anything but 202, or failing outright. */
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly firstAnswer: FirstAnswer | undefined;
  readonly measuredMs: number;
}

/**
 * `connections` loops, each sending the next webhook as soon as its previous one was
 * answered, over one undici Pool: the most a client with that many connections gets
 * through. Bounded by `durationMs` after the warm-up and by `maxRequests`.
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const pool = new Pool(options.origin, { connections: options.connections, keepAliveTimeout: 30_000, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const start = performance.now();
  const countFrom = start + options.warmupMs;
  const end = countFrom + options.durationMs;
  const latencies: number[] = [];
  let sent = 0;
  let accepted = 0;
  let errors = 0;
  let firstError: string | undefined;
  let firstAnswer: FirstAnswer | undefined;

  const loop = async () => {
    while (performance.now() < end && sent < options.maxRequests) {
      sent += 1;
      const { body } = options.template.next();
      const began = performance.now();
      let ok = false;
      try {
        const response = await pool.request({ path: options.path, method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (!firstAnswer) {
          firstAnswer = { status: response.statusCode, body: await response.body.text() };
        } else if (response.statusCode !== 202) {
          firstError ??= `HTTP ${response.statusCode}: ${(await response.body.text()).slice(0, 300)}`;
        } else {
          await response.body.dump();
        }
        ok = response.statusCode === 202;
      } catch (error) {
        firstError ??= (error as Error).message;
      }
      const done = performance.now();
      if (ok) accepted += 1;
      else errors += 1;
      if (ok && done >= countFrom && done <= end) latencies.push(done - began);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  await pool.close();
  return {
    countedRequests: latencies.length,
    countedAlerts: latencies.length * options.template.size,
    latencies,
    sentRequests: sent,
    acceptedAlerts: accepted * options.template.size,
    errors,
    firstError,
    firstAnswer,
    measuredMs: options.durationMs,
  };
}
