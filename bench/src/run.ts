import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BareSystem } from './bare-system';
import { FULL, QUICK, type BenchSettings } from './bench-settings';
import { BenchStack } from './bench-stack';
import type { BenchSystem, SystemName } from './bench-system';
import { figureRows, fmt, judgeGoals, renderGoals, renderTable, type BenchRounds, type Rounds } from './bench-results';
import { HeraldSystem } from './herald-system';
import { cpuSnapshot, cpuUsage, loadAverage, machineInfo, type CpuUsage } from './machine';
import { measureDelivery } from './measurements/delivery';
import { measureE2eLatency } from './measurements/e2e-latency';
import { measureIngest } from './measurements/ingest';
import type { MeasureContext } from './measurements/measure-context';
import { measureMemory } from './measurements/memory';
import { measurePriority } from './measurements/priority';
import { killAllRoles } from './role-process';

const RESULTS_DIR = resolve(__dirname, '../results');
/** Above this 1-minute load average before the start, the machine was not idle. */
const BUSY_LOAD = 0.5;
/** Other processes using more than this many cores during a run disturb it. */
const BUSY_OTHER_CORES = 0.2;
const IDLE_CHECK_MS = 1000;

const MEASUREMENTS = ['ingest', 'delivery', 'e2e', 'priority', 'memory'] as const;
type Measurement = (typeof MEASUREMENTS)[number];

const USAGE = `usage: npm run bench [-- --quick] [-- --only=${MEASUREMENTS.join(',')}]

Runs Herald (its real API and worker processes) and the bare BullMQ substrate on the same
work, alternating them, and prints the medians side by side. --quick: fewer, shorter rounds.
--only: just these measurements (for profiling one path; the goals of the others are not judged).`;

/** The settings with every measurement outside `only` given no rounds. */
function restrictTo(settings: BenchSettings, only: readonly Measurement[]): BenchSettings {
  const skipped = MEASUREMENTS.filter((name) => !only.includes(name)).map((name) => [name, { ...settings[name], rounds: 0 }]);
  return { ...settings, ...Object.fromEntries(skipped) };
}

function parseOnly(args: readonly string[]): Measurement[] | undefined {
  const arg = args.find((a) => a.startsWith('--only='));
  if (!arg) return undefined;
  const names = arg.slice('--only='.length).split(',').filter(Boolean);
  const unknown = names.filter((name) => !(MEASUREMENTS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) throw new Error(`--only takes a list of ${MEASUREMENTS.join(', ')}; got "${arg.slice('--only='.length)}"\n${USAGE}`);
  return names as Measurement[];
}

interface RunRecord {
  readonly measurement: string;
  readonly system: SystemName;
  readonly round: number;
  readonly seconds: number;
  readonly cpu: CpuUsage;
}

let stack: BenchStack | undefined;
let interrupted = false;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const unknown = args.filter((arg) => arg !== '--quick' && !arg.startsWith('--only='));
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}\n${USAGE}`);
  const only = parseOnly(args);
  const base = args.includes('--quick') ? QUICK : FULL;
  const settings = only ? restrictTo(base, only) : base;

  const startedAt = new Date();
  const began = performance.now();
  const machine = machineInfo();
  const loadBefore = loadAverage();
  // The load average lags a minute behind; one second of /proc/stat says what runs now.
  const idleCheck = cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, IDLE_CHECK_MS));
  const busyBefore = cpuUsage(idleCheck, cpuSnapshot()).otherCores;
  console.log(`Herald bench, ${settings.mode} mode: ${machine.nproc} × ${machine.cpuModel}, ${fmt(machine.memoryMb / 1024, 1)} GB, node ${machine.node}, ${machine.redisServer.split(' ').slice(0, 3).join(' ')}`);
  console.log(`before the start: load average ${loadBefore.join(' ')}, other processes busy on ${fmt(busyBefore)} cores`);

  stack = new BenchStack();
  process.once('exit', () => stack?.removeDirNow());
  await stack.start();
  const cpuBefore = cpuSnapshot();
  const context: MeasureContext = { stack, settings };
  const bare = new BareSystem(stack);
  const herald = new HeraldSystem(stack);
  // The contract substrate runs where the gap to bare is throughput: what the contract
  // itself costs on BullMQ, measured rather than argued.
  const withContract: BenchSystem[] = [bare, new BareSystem(stack, true), herald];
  const pair: BenchSystem[] = [bare, herald];
  const runs: RunRecord[] = [];

  const alternate = async <R>(
    measurement: string,
    rounds: number,
    systems: readonly BenchSystem[],
    measure: (system: BenchSystem, context: MeasureContext) => Promise<R>,
    describe: (round: R) => string,
  ): Promise<Rounds<R>> => {
    const results: Rounds<R> = { bare: [], contract: [], herald: [] };
    for (let round = 1; round <= rounds; round++) {
      // Even rounds run the systems in reverse: the host's speed drifts within a measurement
      // (bare delivery 5.8k, 4.1k, then 3.3k jobs/s in one run), and a system always run
      // last would always meet the slowest part of each round.
      for (const system of round % 2 === 0 ? [...systems].reverse() : systems) {
        if (interrupted) throw new Error('interrupted');
        const before = cpuSnapshot();
        const t0 = performance.now();
        const result = await measure(system, context);
        const record = { measurement, system: system.name, round, seconds: (performance.now() - t0) / 1000, cpu: cpuUsage(before, cpuSnapshot()) };
        runs.push(record);
        results[system.name].push(result);
        const busy = record.cpu.otherCores > BUSY_OTHER_CORES ? `  [other processes: ${fmt(record.cpu.otherCores)} cores]` : '';
        console.log(`  ${measurement.padEnd(8)} ${round}/${rounds} ${system.name.padEnd(8)} ${describe(result)}  (${fmt(record.seconds, 1)} s)${busy}`);
      }
    }
    return results;
  };

  const rounds: BenchRounds = {
    ingest: await alternate('ingest', settings.ingest.rounds, withContract, measureIngest, (r) => `${fmt(r.alertsPerSecond)} alerts/s  p50 ${fmt(r.p50Ms)} ms  p99 ${fmt(r.p99Ms)} ms  API CPU ${fmt(r.apiCpuMicrosPerAlert)} µs/alert  Redis ${fmt(r.redisCpuMicrosPerAlert)} µs/alert`),
    delivery: await alternate('delivery', settings.delivery.rounds, withContract, measureDelivery, (r) => `${fmt(r.jobsPerSecond)} jobs/s  first after ${fmt(r.firstDeliveryMs)} ms  steady ${fmt(r.steadyJobsPerSecond)} jobs/s  worker CPU ${fmt(r.workerCpuMicrosPerJob)} µs/job  Redis ${fmt(r.redisCpuMicrosPerJob)} µs/job  main thread waited ${fmt(r.mainThreadWaitMicrosPerJob)} µs/job`),
    e2e: await alternate('e2e', settings.e2e.rounds, pair, measureE2eLatency, (r) => `p50 ${fmt(r.p50Ms)} ms  p95 ${fmt(r.p95Ms)} ms  p99 ${fmt(r.p99Ms)} ms  lost ${r.lost}  generator lag ≤ ${fmt(r.maxSendLagMs)} ms`),
    priority: await alternate(
      'priority',
      settings.priority.rounds,
      pair,
      measurePriority,
      (r) => `critical p50 ${fmt(r.duringBacklog.p50Ms)} ms  p99 ${fmt(r.duringBacklog.p99Ms)} ms (${r.duringBacklog.count} during the backlog, ${r.all.count} in all)  backlog drained in ${fmt(r.backlogDrainMs)} ms`,
    ),
    memory: await alternate(
      'memory',
      settings.memory.rounds,
      pair,
      measureMemory,
      (r) => `API ${fmt(r.half.apiMb)} → ${fmt(r.full.apiMb)} MB  worker ${fmt(r.half.workerMb)} → ${fmt(r.full.workerMb)} MB  ${fmt(r.deliveredPerSecond)} alerts/s end to end`,
    ),
  };

  const cpu = cpuUsage(cpuBefore, cpuSnapshot());
  const loadAfter = loadAverage();
  const rows = figureRows(rounds, settings);
  const goals = judgeGoals(rounds);
  const notes = machineNotes(loadBefore, busyBefore, cpu, runs);
  const seconds = (performance.now() - began) / 1000;

  console.log(`\nMedians of ${describeRounds(settings)}, the systems alternating:\n`);
  // Measurements left out by --only have no figures to show.
  console.log(renderTable(rows.filter((row) => Number.isFinite(row.herald) || Number.isFinite(row.bare))));
  console.log(`\nGoals of issue #6:\n${renderGoals(goals)}`);
  console.log(`\nload average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}; CPU during the run: ours ${fmt(cpu.oursCores)} cores, other processes ${fmt(cpu.otherCores)} cores, steal ${fmt(cpu.stealCores)}`);
  for (const note of notes) console.log(`NOTE: ${note}`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = resolve(RESULTS_DIR, `${startedAt.toISOString().replace(/:/g, '-')}.json`);
  const report = { startedAt: startedAt.toISOString(), seconds, mode: settings.mode, settings, machine, load: { before: loadBefore, after: loadAfter, otherCoresBefore: busyBefore }, cpu, notes, figures: rows, goals, rounds, runs };
  writeFileSync(file, `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
  console.log(`\nwritten to ${file} (${fmt(seconds / 60, 1)} min)`);
}

function describeRounds(settings: BenchSettings): string {
  const parts = MEASUREMENTS.filter((name) => settings[name].rounds > 0).map((name) => `${name} ${settings[name].rounds}`);
  return `rounds (${parts.join(', ')})`;
}

function machineNotes(loadBefore: readonly number[], busyBefore: number, cpu: CpuUsage, runs: readonly RunRecord[]): string[] {
  const notes: string[] = [];
  if (loadBefore[0]! > BUSY_LOAD) {
    notes.push(
      `the machine was busy before the start: 1-minute load average ${loadBefore[0]} (> ${BUSY_LOAD}); ` +
        (busyBefore > BUSY_OTHER_CORES ? `still ${fmt(busyBefore)} cores busy in the last second` : 'idle in the last second, so probably work that had just ended (an earlier run?)'),
    );
  } else if (busyBefore > BUSY_OTHER_CORES) {
    notes.push(`other processes were busy on ${fmt(busyBefore)} cores in the second before the start`);
  }
  if (cpu.otherCores > BUSY_OTHER_CORES) notes.push(`other processes used ${fmt(cpu.otherCores)} cores on average during the run: figures may be low`);
  const disturbed = runs.filter((run) => run.cpu.otherCores > BUSY_OTHER_CORES);
  if (disturbed.length > 0) {
    notes.push(`runs disturbed by other work: ${disturbed.map((run) => `${run.measurement} ${run.system} #${run.round} (${fmt(run.cpu.otherCores)} cores)`).join(', ')}`);
  }
  if (cpu.stealCores > 0.1) notes.push(`the hypervisor stole ${fmt(cpu.stealCores)} cores on average: another guest competed for the CPUs`);
  return notes;
}

async function shutdown(): Promise<void> {
  killAllRoles();
  await stack?.stop();
  stack = undefined;
}

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) {
    killAllRoles();
    process.exit(130);
  }
  interrupted = true;
  console.error(`\n${signal}: stopping every process the bench started`);
  // What must happen even if another exit hook ends the process first happens now.
  killAllRoles();
  stack?.stopNow();
  shutdown().finally(() => process.exit(130));
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main().then(
  async () => {
    await shutdown();
    process.exit(0);
  },
  async (error: unknown) => {
    console.error(`bench failed: ${(error as Error)?.stack ?? String(error)}`);
    await shutdown().catch((stopError: unknown) => console.error(`cleanup failed: ${(stopError as Error).message}`));
    process.exit(1);
  },
);
