/** How long and how often each measurement runs; `--quick` trades precision for time. */
export interface BenchSettings {
  readonly mode: 'full' | 'quick';
  readonly ingest: { readonly rounds: number; readonly warmupMs: number; readonly durationMs: number; readonly connections: number; readonly alertsPerWebhook: number };
  readonly delivery: { readonly rounds: number; readonly jobs: number };
  readonly e2e: { readonly rounds: number; readonly ratePerSecond: number; readonly warmupMs: number; readonly durationMs: number };
  readonly priority: { readonly rounds: number; readonly backlog: number; readonly ratePerSecond: number; readonly durationMs: number };
  readonly memory: { readonly rounds: number; readonly alerts: number; readonly connections: number; readonly alertsPerWebhook: number };
}

export const FULL: BenchSettings = {
  mode: 'full',
  ingest: { rounds: 3, warmupMs: 2000, durationMs: 15_000, connections: 50, alertsPerWebhook: 10 },
  delivery: { rounds: 4, jobs: 20_000 },
  e2e: { rounds: 3, ratePerSecond: 500, warmupMs: 2000, durationMs: 20_000 },
  priority: { rounds: 3, backlog: 20_000, ratePerSecond: 20, durationMs: 10_000 },
  memory: { rounds: 3, alerts: 100_000, connections: 50, alertsPerWebhook: 10 },
};

export const QUICK: BenchSettings = {
  mode: 'quick',
  ingest: { ...FULL.ingest, rounds: 2, durationMs: 5000 },
  delivery: { rounds: 2, jobs: 10_000 },
  e2e: { ...FULL.e2e, rounds: 1, warmupMs: 1000, durationMs: 8000 },
  priority: { ...FULL.priority, rounds: 1, durationMs: 5000 },
  memory: { ...FULL.memory, rounds: 1, alerts: 40_000 },
};
