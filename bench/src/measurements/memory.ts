import { performance } from 'node:perf_hooks';
import type { BenchSystem } from '../bench-system';
import { closedLoop } from '../load/closed-loop';
import { WebhookTemplate, TAG } from '../payloads';
import { unlessDied, type RoleProcess } from '../role-process';
import { newPrefix, type MeasureContext } from './measure-context';

export interface RssPoint {
  readonly delivered: number;
  readonly apiMb: number;
  readonly workerMb: number;
}

export interface MemoryRound {
  readonly half: RssPoint;
  readonly full: RssPoint;
  readonly apiGrowthPercent: number;
  readonly workerGrowthPercent: number;
  /** The highest RSS seen, sampled every 250 ms. */
  readonly apiPeakMb: number;
  readonly workerPeakMb: number;
  /** Alerts from the first webhook sent to the last delivery, per second: throughput end to end. */
  readonly deliveredPerSecond: number;
  readonly redisUsedMb: number;
  readonly errors: number;
}

const PUSH_LIMIT_MS = 300_000;
const DRAIN_TIMEOUT_MS = 120_000;
const SAMPLE_MS = 250;

/**
 * Memory under sustained load: webhooks of 10 alerts as fast as 50 connections allow,
 * the worker delivering; each process's RSS when half and when all of the alerts have
 * reached the sink.
 */
export async function measureMemory(system: BenchSystem, context: MeasureContext): Promise<MemoryRound> {
  const settings = context.settings.memory;
  const { stack } = context;
  const total = settings.alerts;
  await stack.reset();
  const prefix = newPrefix();
  const api = await system.startApi(prefix);
  const worker = await system.spawnWorker(prefix);
  const roles = [api.role, worker];
  const peak = { api: 0, worker: 0 };
  const sampler = setInterval(() => {
    peak.api = Math.max(peak.api, api.role.rssMb() || 0);
    peak.worker = Math.max(peak.worker, worker.rssMb() || 0);
  }, SAMPLE_MS);
  try {
    await unlessDied(system.workerReady(worker), roles);
    const point = (role: RoleProcess) => role.rssMb();
    const snapshot = (): RssPoint => ({ delivered: stack.sink.count, apiMb: point(api.role), workerMb: point(worker) });
    const halfway = stack.sink.waitFor(total / 2, PUSH_LIMIT_MS).then(snapshot);
    const start = performance.now();
    const pushed = await unlessDied(
      closedLoop({
        origin: api.origin,
        path: system.webhookPath,
        connections: settings.connections,
        template: new WebhookTemplate(settings.alertsPerWebhook, 'warning', TAG.load),
        warmupMs: 0,
        durationMs: PUSH_LIMIT_MS,
        maxRequests: total / settings.alertsPerWebhook,
      }),
      roles,
    );
    // Alerts of refused webhooks never come: wait for the accepted ones only.
    const expected = (pushed.sentRequests - pushed.errors) * settings.alertsPerWebhook;
    if (pushed.errors > 0) console.warn(`  ! ${system.name} memory: ${pushed.errors} failed requests, the first: ${pushed.firstError}`);
    await unlessDied(stack.sink.waitFor(expected, DRAIN_TIMEOUT_MS), roles);
    const full = snapshot();
    if (full.delivered < total / 2) throw new Error(`${system.name} delivered ${full.delivered} of ${total} alerts`);
    const half = await unlessDied(halfway, roles);
    if (full.delivered < expected) console.warn(`  ! ${system.name} memory: only ${full.delivered} of ${expected} accepted alerts delivered within ${DRAIN_TIMEOUT_MS} ms`);
    return {
      half,
      full,
      apiGrowthPercent: ((full.apiMb - half.apiMb) / half.apiMb) * 100,
      workerGrowthPercent: ((full.workerMb - half.workerMb) / half.workerMb) * 100,
      apiPeakMb: Math.max(peak.api, full.apiMb),
      workerPeakMb: Math.max(peak.worker, full.workerMb),
      deliveredPerSecond: total / ((stack.sink.lastArrival - start) / 1000),
      redisUsedMb: await stack.redisMemoryMb(),
      errors: pushed.errors,
    };
  } finally {
    clearInterval(sampler);
    await Promise.all(roles.map((role) => role.stop()));
  }
}
