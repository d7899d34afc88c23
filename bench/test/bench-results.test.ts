import { judgeGoals, type BenchRounds } from '../src/bench-results';
import type { DeliveryRound } from '../src/measurements/delivery';
import type { E2eRound } from '../src/measurements/e2e-latency';
import type { IngestRound } from '../src/measurements/ingest';
import type { MemoryRound } from '../src/measurements/memory';
import type { PriorityRound } from '../src/measurements/priority';

const ingest = (alertsPerSecond: number, p99Ms: number, errors = 0): IngestRound => ({
  alertsPerSecond,
  p50Ms: p99Ms / 2,
  p99Ms,
  requests: 1000,
  errors,
  bodyBytes: 3600,
  apiCpuMicrosPerAlert: 30,
  redisCpuMicrosPerAlert: 25,
});

const delivery = (jobsPerSecond: number): DeliveryRound => ({
  jobsPerSecond,
  firstDeliveryMs: 300,
  totalMs: 4000,
  steadyJobsPerSecond: jobsPerSecond,
  duplicates: 0,
  workerCpuMicrosPerJob: 200,
  redisCpuMicrosPerJob: 80,
  mainThreadRunMicrosPerJob: 180,
  mainThreadWaitMicrosPerJob: 20,
});

const e2e = (p99Ms: number, lost = 0): E2eRound => ({ p50Ms: 1.5, p95Ms: 2.5, p99Ms, maxMs: p99Ms * 2, sent: 10_000, lost, errors: 0, maxSendLagMs: 5 });

const priority = (p99Ms: number, errors = 0): PriorityRound => {
  const figures = { count: 80, p50Ms: 4, p99Ms, maxMs: p99Ms };
  return { duringBacklog: figures, all: figures, backlogDrainMs: 4000, lost: 0, errors, latenciesInSendOrder: [] };
};

const memory = (): MemoryRound => ({
  half: { delivered: 50_000, apiMb: 125, workerMb: 170 },
  full: { delivered: 100_000, apiMb: 125, workerMb: 170 },
  apiGrowthPercent: 0,
  workerGrowthPercent: 0,
  apiPeakMb: 140,
  workerPeakMb: 180,
  deliveredPerSecond: 5000,
  redisUsedMb: 300,
  errors: 0,
});

/** Rounds in which Herald meets every goal of issue #6 by a clear margin. */
function passingRounds(): BenchRounds {
  return {
    ingest: { herald: [ingest(30_000, 30)], bare: [ingest(20_000, 40)], contract: [] },
    delivery: { herald: [delivery(5000)], bare: [delivery(5000)], contract: [] },
    e2e: { herald: [e2e(5)], bare: [e2e(6)], contract: [] },
    priority: { herald: [priority(18)], bare: [priority(33)], contract: [] },
    memory: { herald: [memory()], bare: [memory()], contract: [] },
  };
}

const verdicts = (rounds: BenchRounds) => Object.fromEntries(judgeGoals(rounds).map((g) => [g.goal, g.pass]));

describe('judgeGoals', () => {
  it('When every round was clean and the figures are within the goals, then every goal passes', () => {
    expect(judgeGoals(passingRounds()).filter((g) => g.pass !== true)).toEqual([]);
  });

  it('When Herald failed requests in an ingest round, then both ingest goals fail and say why, whatever the figures', () => {
    // A run at 30k alerts/s filled the medium queue to its depth limit: the API answered 503
    // from there on, and the ingest figures looked better than ever.
    const rounds = passingRounds();
    rounds.ingest.herald = [ingest(30_000, 30), ingest(31_000, 27, 3023)];

    const goals = judgeGoals(rounds);

    const ingestGoals = goals.filter((g) => g.goal.startsWith('ingest'));
    expect(ingestGoals).toHaveLength(2);
    for (const goal of ingestGoals) {
      expect(goal.pass).toBe(false);
      expect(goal.measured).toContain('herald: 3,023 failed requests');
    }
    expect(goals.filter((g) => !g.goal.startsWith('ingest')).every((g) => g.pass === true)).toBe(true);
  });

  it("When the bare system's requests failed or its alerts were lost, then the goals compared with it fail too", () => {
    const rounds = passingRounds();
    rounds.priority.bare = [priority(33, 12)];
    rounds.e2e.bare = [e2e(6, 40)];

    const verdict = verdicts(rounds);

    expect(verdict['critical p99 during the low backlog ≤ 25 ms']).toBe(false);
    expect(verdict['e2e p99 at 500/s ≤ 1.5× bare']).toBe(false);
    expect(judgeGoals(rounds).find((g) => g.goal.startsWith('e2e'))?.measured).toContain('bare: 40 alerts lost');
    expect(verdict['delivery jobs/s ≥ 0.9× bare']).toBe(true);
  });

  it('When a measurement did not run, then its goals are neither passed nor failed', () => {
    const rounds = passingRounds();
    rounds.ingest = { herald: [], bare: [], contract: [] };

    const goals = judgeGoals(rounds).filter((g) => g.goal.startsWith('ingest'));

    expect(goals.map((g) => [g.pass, g.measured])).toEqual([
      [undefined, 'not run'],
      [undefined, 'not run'],
    ]);
  });
});
