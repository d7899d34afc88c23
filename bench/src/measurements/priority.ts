import type { BenchSystem } from '../bench-system';
import { openLoop } from '../load/open-loop';
import { alertmanagerAlert, nextFingerprint, WebhookTemplate, TAG } from '../payloads';
import { unlessDied } from '../role-process';
import { summarise } from '../stats';
import { newPrefix, type MeasureContext } from './measure-context';

export interface PriorityRound {
  /** Critical alerts sent while the backlog was still draining. */
  readonly duringBacklog: { readonly count: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** Every critical alert, including any sent after the backlog was gone. */
  readonly all: { readonly count: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** From the worker's spawn to the backlog's last delivery. */
  readonly backlogDrainMs: number;
  readonly lost: number;
  readonly errors: number;
  /** Each critical alert's latency in send order, ms (null: never arrived), to see when the slow ones went. */
  readonly latenciesInSendOrder: (number | null)[];
}

const FIRST_DELIVERY_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 120_000;
const WARMUP_COUNT = 100;
const WARMUP_RATE = 200;

/**
 * Urgent alerts behind a large low-priority backlog: the backlog is queued first, the
 * worker starts, and from its first delivery on critical firing alerts go through the
 * API at a fixed rate (open loop); their end-to-end latency is the figure.
 */
export async function measurePriority(system: BenchSystem, context: MeasureContext): Promise<PriorityRound> {
  const settings = context.settings.priority;
  const { stack } = context;
  await stack.reset();
  const prefix = newPrefix();
  const api = await system.startApi(prefix);
  const roles = [api.role];
  try {
    // A cold API answers its first requests slowly; that is not what this measures.
    await unlessDied(
      openLoop({ origin: api.origin, path: system.webhookPath, template: new WebhookTemplate(1, 'info', TAG.warmup), ratePerSecond: WARMUP_RATE, count: WARMUP_COUNT, onScheduled: () => {} }),
      roles,
    );
    await system.prefill(prefix, Array.from({ length: settings.backlog }, (_, i) => alertmanagerAlert(nextFingerprint(TAG.backlog), 'info', i)), 'backlog');
    const worker = await system.spawnWorker(prefix);
    roles.push(worker);
    await unlessDied(stack.sink.waitFor(1, FIRST_DELIVERY_TIMEOUT_MS, TAG.backlog), roles);

    const sentAt = new Map<string, { at: number; duringBacklog: boolean }>();
    const count = Math.round((settings.ratePerSecond * settings.durationMs) / 1000);
    const sent = await unlessDied(
      openLoop({
        origin: api.origin,
        path: system.urgentPath,
        template: new WebhookTemplate(1, 'critical', TAG.critical),
        ratePerSecond: settings.ratePerSecond,
        count,
        onScheduled: (fingerprint, at) => sentAt.set(fingerprint, { at, duringBacklog: stack.sink.countOf(TAG.backlog) < settings.backlog }),
      }),
      roles,
    );
    await unlessDied(stack.sink.waitFor(count, DRAIN_TIMEOUT_MS, TAG.critical), roles);
    await unlessDied(stack.sink.waitFor(settings.backlog, DRAIN_TIMEOUT_MS, TAG.backlog), roles);
    const backlogDrainMs = stack.sink.countOf(TAG.backlog) >= settings.backlog ? stack.sink.lastArrivalOf(TAG.backlog) - worker.startedAt : Number.NaN;
    if (sent.errors > 0) console.warn(`  ! ${system.name} priority: ${sent.errors} failed requests, the first: ${sent.firstError}`);

    const during: number[] = [];
    const all: number[] = [];
    const inOrder: (number | null)[] = [];
    for (const [fingerprint, { at, duringBacklog }] of sentAt) {
      const arrival = stack.sink.arrivalOf(fingerprint);
      inOrder.push(arrival === undefined ? null : Math.round((arrival - at) * 10) / 10);
      if (arrival === undefined) continue;
      all.push(arrival - at);
      if (duringBacklog) during.push(arrival - at);
    }
    const pick = (values: number[]) => {
      const summary = summarise(values);
      return { count: summary.count, p50Ms: summary.p50, p99Ms: summary.p99, maxMs: summary.max };
    };
    return { duringBacklog: pick(during), all: pick(all), backlogDrainMs, lost: sentAt.size - all.length, errors: sent.errors, latenciesInSendOrder: inOrder };
  } finally {
    await Promise.all(roles.map((role) => role.stop()));
  }
}

