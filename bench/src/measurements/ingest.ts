import type { BenchSystem } from '../bench-system';
import { closedLoop } from '../load/closed-loop';
import { WebhookTemplate, TAG } from '../payloads';
import { unlessDied } from '../role-process';
import { percentile, sortedOf } from '../stats';
import { newPrefix, queuedJobsIn, type MeasureContext } from './measure-context';

export interface IngestRound {
  readonly alertsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly bodyBytes: number;
  /**
   * CPU time the API process used per accepted alert, warm-up included (µs). Unlike
   * throughput it barely depends on what else the machine runs, so it shows what a change
   * to the request path costs.
   */
  readonly apiCpuMicrosPerAlert: number;
  /** redis-server's CPU time per accepted alert (µs), over the same span: Redis shares the machine's cores. */
  readonly redisCpuMicrosPerAlert: number;
}

/**
 * Ingest alone (no worker): 50 connections send 10-alert webhooks back to back; after
 * the warm-up, alerts accepted per second and each request's latency.
 */
export async function measureIngest(system: BenchSystem, context: MeasureContext): Promise<IngestRound> {
  const settings = context.settings.ingest;
  await context.stack.reset();
  const api = await system.startApi(newPrefix());
  try {
    const template = new WebhookTemplate(settings.alertsPerWebhook, 'warning', TAG.load);
    const cpuBefore = api.role.cpuSeconds();
    const redisCpuBefore = context.stack.redisCpuSeconds();
    const result = await unlessDied(
      closedLoop({
        origin: api.origin,
        path: system.webhookPath,
        connections: settings.connections,
        template,
        warmupMs: settings.warmupMs,
        durationMs: settings.durationMs,
        maxRequests: 10_000_000,
      }),
      [api.role],
    );
    const first = result.firstAnswer;
    if (!first || first.status !== 202 || queuedJobsIn(first.body) !== settings.alertsPerWebhook) {
      throw new Error(`${system.name} did not queue ${settings.alertsPerWebhook} jobs for a webhook: ${first ? `HTTP ${first.status} ${first.body.slice(0, 300)}` : result.firstError}`);
    }
    const apiCpuSeconds = api.role.cpuSeconds() - cpuBefore;
    const redisCpuSeconds = context.stack.redisCpuSeconds() - redisCpuBefore;
    if (result.errors > 0) console.warn(`  ! ${system.name} ingest: ${result.errors} failed requests, the first: ${result.firstError}`);
    const sorted = sortedOf(result.latencies);
    return {
      alertsPerSecond: result.countedAlerts / (result.measuredMs / 1000),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      requests: result.countedRequests,
      errors: result.errors,
      bodyBytes: template.bytes,
      apiCpuMicrosPerAlert: (apiCpuSeconds * 1e6) / result.acceptedAlerts,
      redisCpuMicrosPerAlert: (redisCpuSeconds * 1e6) / result.acceptedAlerts,
    };
  } finally {
    await api.role.stop();
  }
}
