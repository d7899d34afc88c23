import type { BenchSystem } from '../bench-system';
import { openLoop, type OpenLoopResult } from '../load/open-loop';
import { WebhookTemplate, TAG } from '../payloads';
import { unlessDied } from '../role-process';
import { summarise } from '../stats';
import { newPrefix, type MeasureContext } from './measure-context';

export interface E2eRound {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly sent: number;
  /** Alerts that never reached the sink within the wait. */
  readonly lost: number;
  readonly errors: number;
  /** The generator's worst lateness against its schedule (it counts against the system). */
  readonly maxSendLagMs: number;
}

const DRAIN_TIMEOUT_MS = 30_000;

/** What the e2e load left behind, for the figures (and `e2e-stages`, which splits them). */
export interface E2eLoad {
  readonly prefix: string;
  /** When each counted alert was due to be sent (bench clock, ms), by fingerprint. */
  readonly scheduled: ReadonlyMap<string, number>;
  readonly sent: OpenLoopResult;
}

/**
 * End-to-end latency at a fixed offered rate, API and worker running: one-alert webhooks
 * sent on schedule without waiting for answers, latency = sink arrival − scheduled send.
 * A warm-up at the same rate goes first and is not counted.
 */
export async function measureE2eLatency(system: BenchSystem, context: MeasureContext): Promise<E2eRound> {
  const { scheduled, sent } = await runE2eLoad(system, context);
  if (sent.errors > 0) console.warn(`  ! ${system.name} e2e: ${sent.errors} failed requests, the first: ${sent.firstError}`);
  const latencies: number[] = [];
  for (const [fingerprint, at] of scheduled) {
    const arrival = context.stack.sink.arrivalOf(fingerprint);
    if (arrival !== undefined) latencies.push(arrival - at);
  }
  const summary = summarise(latencies);
  return {
    p50Ms: summary.p50,
    p95Ms: summary.p95,
    p99Ms: summary.p99,
    maxMs: summary.max,
    sent: sent.sent,
    lost: scheduled.size - latencies.length,
    errors: sent.errors,
    maxSendLagMs: sent.maxSendLagMs,
  };
}

/**
 * The e2e load on fresh processes and a fresh queue prefix: the warm-up, then the counted
 * alerts, until the sink has them all (or the drain times out). The processes are stopped
 * at the end; Redis and the sink keep what they hold until the next `stack.reset()`.
 */
export async function runE2eLoad(system: BenchSystem, context: MeasureContext): Promise<E2eLoad> {
  const settings = context.settings.e2e;
  const { stack } = context;
  await stack.reset();
  const prefix = newPrefix();
  const api = await system.startApi(prefix);
  const worker = await system.spawnWorker(prefix);
  const roles = [api.role, worker];
  try {
    await unlessDied(system.workerReady(worker), roles);
    const warmupCount = Math.round((settings.ratePerSecond * settings.warmupMs) / 1000);
    await unlessDied(
      openLoop({ origin: api.origin, path: system.webhookPath, template: new WebhookTemplate(1, 'warning', TAG.warmup), ratePerSecond: settings.ratePerSecond, count: warmupCount, onScheduled: () => {} }),
      roles,
    );
    await unlessDied(stack.sink.waitFor(warmupCount, DRAIN_TIMEOUT_MS, TAG.warmup), roles);

    const scheduled = new Map<string, number>();
    const count = Math.round((settings.ratePerSecond * settings.durationMs) / 1000);
    const sent = await unlessDied(
      openLoop({
        origin: api.origin,
        path: system.webhookPath,
        template: new WebhookTemplate(1, 'warning', TAG.load),
        ratePerSecond: settings.ratePerSecond,
        count,
        onScheduled: (fingerprint, at) => scheduled.set(fingerprint, at),
      }),
      roles,
    );
    await unlessDied(stack.sink.waitFor(count, DRAIN_TIMEOUT_MS, TAG.load), roles);
    return { prefix, scheduled, sent };
  } finally {
    await Promise.all(roles.map((role) => role.stop()));
  }
}
