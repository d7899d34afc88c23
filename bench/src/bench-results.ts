import type { BenchSettings } from './bench-settings';
import type { SystemName } from './bench-system';
import type { DeliveryRound } from './measurements/delivery';
import type { E2eRound } from './measurements/e2e-latency';
import type { IngestRound } from './measurements/ingest';
import type { MemoryRound } from './measurements/memory';
import type { PriorityRound } from './measurements/priority';
import { median } from './stats';

export type Rounds<R> = Record<SystemName, R[]>;

/** Every round of every measurement, per system, in the order they ran. */
export interface BenchRounds {
  ingest: Rounds<IngestRound>;
  delivery: Rounds<DeliveryRound>;
  e2e: Rounds<E2eRound>;
  priority: Rounds<PriorityRound>;
  memory: Rounds<MemoryRound>;
}

/** One line of the table: the median over rounds for Herald, bare and (where it ran) the contract substrate. */
export interface FigureRow {
  readonly figure: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly herald: number;
  readonly bare: number;
  /** Herald / bare; NaN where a ratio means nothing (a figure at or below zero). */
  readonly ratio: number;
  /** NaN where the contract substrate did not run. */
  readonly contract: number;
  /** Herald / contract, like `ratio`. */
  readonly contractRatio: number;
}

export interface GoalResult {
  readonly goal: string;
  /** Undefined when the measurement behind the goal did not run (`--only`). */
  readonly pass: boolean | undefined;
  readonly measured: string;
}

function row<R>(figure: string, unit: string, better: 'higher' | 'lower', rounds: Rounds<R>, pick: (round: R) => number): FigureRow {
  const herald = median(rounds.herald.map(pick));
  const bare = median(rounds.bare.map(pick));
  const contract = median(rounds.contract.map(pick));
  const ratioTo = (other: number) => (herald > 0 && other > 0 ? herald / other : Number.NaN);
  return { figure, unit, better, herald, bare, ratio: ratioTo(bare), contract, contractRatio: ratioTo(contract) };
}

export function figureRows(rounds: BenchRounds, settings: BenchSettings): FigureRow[] {
  const rate = settings.e2e.ratePerSecond;
  const half = `${settings.memory.alerts / 2000}k`;
  const full = `${settings.memory.alerts / 1000}k`;
  const backlog = `${settings.priority.backlog / 1000}k`;
  return [
    row('ingest throughput', 'alerts/s', 'higher', rounds.ingest, (r) => r.alertsPerSecond),
    row('ingest request latency p50', 'ms', 'lower', rounds.ingest, (r) => r.p50Ms),
    row('ingest request latency p99', 'ms', 'lower', rounds.ingest, (r) => r.p99Ms),
    row('ingest: API CPU per alert', 'µs', 'lower', rounds.ingest, (r) => r.apiCpuMicrosPerAlert),
    row('ingest: Redis CPU per alert', 'µs', 'lower', rounds.ingest, (r) => r.redisCpuMicrosPerAlert),
    row('delivery throughput', 'jobs/s', 'higher', rounds.delivery, (r) => r.jobsPerSecond),
    row('delivery: worker spawn → first job', 'ms', 'lower', rounds.delivery, (r) => r.firstDeliveryMs),
    row('delivery: worker CPU per job, start-up included', 'µs', 'lower', rounds.delivery, (r) => r.workerCpuMicrosPerJob),
    row('delivery: Redis CPU per job', 'µs', 'lower', rounds.delivery, (r) => r.redisCpuMicrosPerJob),
    row('delivery: worker main thread waiting for a core, per job', 'µs', 'lower', rounds.delivery, (r) => r.mainThreadWaitMicrosPerJob),
    row(`e2e latency p50 @${rate}/s`, 'ms', 'lower', rounds.e2e, (r) => r.p50Ms),
    row(`e2e latency p95 @${rate}/s`, 'ms', 'lower', rounds.e2e, (r) => r.p95Ms),
    row(`e2e latency p99 @${rate}/s`, 'ms', 'lower', rounds.e2e, (r) => r.p99Ms),
    row(`critical latency p50, ${backlog} low backlog`, 'ms', 'lower', rounds.priority, (r) => r.duringBacklog.p50Ms),
    row(`critical latency p99, ${backlog} low backlog`, 'ms', 'lower', rounds.priority, (r) => r.duringBacklog.p99Ms),
    row(`${backlog} low backlog: worker spawn → drained`, 'ms', 'lower', rounds.priority, (r) => r.backlogDrainMs),
    row(`API RSS @${half} delivered`, 'MB', 'lower', rounds.memory, (r) => r.half.apiMb),
    row(`API RSS @${full} delivered`, 'MB', 'lower', rounds.memory, (r) => r.full.apiMb),
    row(`worker RSS @${half} delivered`, 'MB', 'lower', rounds.memory, (r) => r.half.workerMb),
    row(`worker RSS @${full} delivered`, 'MB', 'lower', rounds.memory, (r) => r.full.workerMb),
    row('API RSS peak, sampled every 250 ms', 'MB', 'lower', rounds.memory, (r) => r.apiPeakMb),
    row('worker RSS peak, sampled every 250 ms', 'MB', 'lower', rounds.memory, (r) => r.workerPeakMb),
    row(`API RSS growth ${half}→${full}`, '%', 'lower', rounds.memory, (r) => r.apiGrowthPercent),
    row(`worker RSS growth ${half}→${full}`, '%', 'lower', rounds.memory, (r) => r.workerGrowthPercent),
    row(`e2e throughput, ${full} memory run`, 'alerts/s', 'higher', rounds.memory, (r) => r.deliveredPerSecond),
  ];
}

/**
 * What went wrong in a measurement's rounds that makes its figures mean nothing: requests
 * that failed (a system answering 503 is fast, and a refused alert is never delivered) or
 * alerts that never arrived. Undefined when every round of both systems was clean.
 */
function spoiledBy(rounds: Rounds<{ readonly errors: number; readonly lost?: number }>): string | undefined {
  const problems = (['herald', 'bare'] as const).flatMap((system) => {
    const errors = rounds[system].reduce((sum, round) => sum + round.errors, 0);
    const lost = rounds[system].reduce((sum, round) => sum + (round.lost ?? 0), 0);
    return [...(errors > 0 ? [`${system}: ${fmt(errors, 0)} failed requests`] : []), ...(lost > 0 ? [`${system}: ${fmt(lost, 0)} alerts lost`] : [])];
  });
  return problems.length > 0 ? problems.join(', ') : undefined;
}

/**
 * The goals of issue #6, judged on the medians over rounds. A goal whose measurement failed
 * requests or lost alerts in any round fails, whatever its figure: it was not measured on the
 * work the goal is about.
 */
export function judgeGoals(rounds: BenchRounds): GoalResult[] {
  const m = <R>(r: Rounds<R>, pick: (round: R) => number, system: SystemName) => median(r[system].map(pick));
  const ratio = (a: number, b: number) => `${fmt(a / b, 2)}× bare`;
  const ingestRate = [m(rounds.ingest, (r) => r.alertsPerSecond, 'herald'), m(rounds.ingest, (r) => r.alertsPerSecond, 'bare')] as const;
  const ingestP99 = [m(rounds.ingest, (r) => r.p99Ms, 'herald'), m(rounds.ingest, (r) => r.p99Ms, 'bare')] as const;
  const delivery = [m(rounds.delivery, (r) => r.jobsPerSecond, 'herald'), m(rounds.delivery, (r) => r.jobsPerSecond, 'bare')] as const;
  const e2eP99 = [m(rounds.e2e, (r) => r.p99Ms, 'herald'), m(rounds.e2e, (r) => r.p99Ms, 'bare')] as const;
  const critical = m(rounds.priority, (r) => r.duringBacklog.p99Ms, 'herald');
  const memory = rounds.memory.herald;
  // Judged on the median round, like the table; the worst round is shown beside it.
  const memoryFigure = (pick: (round: MemoryRound) => number, unit: string) => {
    const value = median(memory.map(pick));
    const worst = memory.length ? Math.max(...memory.map(pick)) : Number.NaN;
    return { value, text: `${fmt(value)} ${unit}${memory.length > 1 ? ` (worst round ${fmt(worst)} ${unit})` : ''}` };
  };
  const apiRss = memoryFigure((r) => Math.max(r.half.apiMb, r.full.apiMb), 'MB');
  const workerRss = memoryFigure((r) => Math.max(r.half.workerMb, r.full.workerMb), 'MB');
  const apiGrowth = memoryFigure((r) => r.apiGrowthPercent, '%');
  const workerGrowth = memoryFigure((r) => r.workerGrowthPercent, '%');
  const ran = (r: Rounds<unknown>) => r.herald.length > 0 && r.bare.length > 0;
  const goals: (GoalResult & { ran: boolean; of: keyof BenchRounds })[] = [
    { goal: 'ingest alerts/s ≥ 1.0× bare', pass: ingestRate[0] >= ingestRate[1], measured: ratio(...ingestRate), ran: ran(rounds.ingest), of: 'ingest' },
    { goal: 'ingest p99 ≤ bare', pass: ingestP99[0] <= ingestP99[1], measured: `${fmt(ingestP99[0])} ms vs ${fmt(ingestP99[1])} ms`, ran: ran(rounds.ingest), of: 'ingest' },
    { goal: 'delivery jobs/s ≥ 0.9× bare', pass: delivery[0] >= 0.9 * delivery[1], measured: ratio(...delivery), ran: ran(rounds.delivery), of: 'delivery' },
    { goal: 'e2e p99 at 500/s ≤ 1.5× bare', pass: e2eP99[0] <= 1.5 * e2eP99[1], measured: ratio(...e2eP99), ran: ran(rounds.e2e), of: 'e2e' },
    { goal: 'critical p99 during the low backlog ≤ 25 ms', pass: critical <= 25, measured: `${fmt(critical)} ms`, ran: ran(rounds.priority), of: 'priority' },
    { goal: 'API RSS < 150 MB', pass: apiRss.value < 150, measured: apiRss.text, ran: ran(rounds.memory), of: 'memory' },
    { goal: 'worker RSS < 200 MB', pass: workerRss.value < 200, measured: workerRss.text, ran: ran(rounds.memory), of: 'memory' },
    { goal: 'API RSS growth < 10 % (half → all)', pass: apiGrowth.value < 10, measured: apiGrowth.text, ran: ran(rounds.memory), of: 'memory' },
    { goal: 'worker RSS growth < 10 % (half → all)', pass: workerGrowth.value < 10, measured: workerGrowth.text, ran: ran(rounds.memory), of: 'memory' },
  ];
  const spoiled: Partial<Record<keyof BenchRounds, string>> = {
    ingest: spoiledBy(rounds.ingest),
    e2e: spoiledBy(rounds.e2e),
    priority: spoiledBy(rounds.priority),
    memory: spoiledBy(rounds.memory),
  };
  return goals.map(({ ran: measured, of, ...goal }) => {
    if (!measured) return { ...goal, pass: undefined, measured: 'not run' };
    const problem = spoiled[of];
    return problem ? { ...goal, pass: false, measured: `${goal.measured}, not valid (${problem})` } : goal;
  });
}

/** A figure for the table: thousands grouped when large, a decimal or two when small. */
export function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return '—';
  const places = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: places, maximumFractionDigits: places });
}

/** The table; the contract substrate's two columns only when it ran. */
export function renderTable(rows: readonly FigureRow[]): string {
  const ratio = (value: number) => (Number.isFinite(value) ? `${fmt(value, 2)}×` : '—');
  const withContract = rows.some((r) => Number.isFinite(r.contract));
  const cells = [
    ['figure', 'Herald', 'bare', 'Herald/bare', ...(withContract ? ['bare+contract', 'Herald/contract'] : []), 'better'],
    ...rows.map((r) => [`${r.figure} (${r.unit})`, fmt(r.herald), fmt(r.bare), ratio(r.ratio), ...(withContract ? [fmt(r.contract), ratio(r.contractRatio)] : []), r.better]),
  ];
  const last = cells[0]!.length - 1;
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)));
  const line = (values: string[]) => values.map((value, column) => (column === 0 || column === last ? value.padEnd(widths[column]!) : value.padStart(widths[column]!))).join(' | ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.slice(1).map(line)].join('\n');
}

export function renderGoals(goals: readonly GoalResult[]): string {
  return goals.map((g) => `  ${g.pass === undefined ? '----' : g.pass ? 'PASS' : 'FAIL'}  ${g.goal.padEnd(46)} ${g.measured}`).join('\n');
}
