import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** USER_HZ: /proc reports CPU times in these ticks on Linux. */
const TICKS_PER_SECOND = 100;

export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryMb: number;
  readonly node: string;
  readonly redisServer: string;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readText('/proc/cpuinfo');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return {
    nproc: cpus().length,
    cpuModel: model,
    memoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    redisServer: redis.error ? 'not found' : redis.stdout.trim(),
  };
}

/** The 1-, 5- and 15-minute load averages. */
export function loadAverage(): [number, number, number] {
  const [one, five, fifteen] = readText('/proc/loadavg').split(' ').map(Number);
  return [one ?? Number.NaN, five ?? Number.NaN, fifteen ?? Number.NaN];
}

/** RSS of a process in MB, from /proc/<pid>/status; NaN once it is gone. */
export function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(readText(`/proc/${pid}/status`))?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

/** CPU time a process has used (user + system), in seconds; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return Number.NaN;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * What the scheduler says of a process's main thread (Linux's schedstat, in seconds): how
 * long it ran on a core, and how long it was ready to run but waited for one. NaN once the
 * process is gone.
 */
export function mainThreadSchedule(pid: number): { readonly runSeconds: number; readonly waitSeconds: number } {
  const text = readText(`/proc/${pid}/task/${pid}/schedstat`);
  if (!text) return { runSeconds: Number.NaN, waitSeconds: Number.NaN };
  const [run, wait] = text.split(' ').map(Number);
  return { runSeconds: run! / 1e9, waitSeconds: wait! / 1e9 };
}

/**
 * CPU time of every process, in clock ticks: utime + stime + cutime + cstime, so a child
 * that exited and was reaped still counts, through its parent. Per-process times come
 * from the scheduler's exact accounting; the machine-wide totals of /proc/stat are
 * sampled at each tick and, on a lightly loaded virtual machine, can be off by a third
 * of a core, so they only serve to report steal.
 */
export interface CpuSnapshot {
  readonly at: number;
  readonly processes: ReadonlyMap<number, { readonly startTime: string; readonly ticks: number }>;
  /** This process and its descendants. */
  readonly ours: ReadonlySet<number>;
  readonly steal: number;
}

export function cpuSnapshot(): CpuSnapshot {
  const fields = readText('/proc/stat').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const processes = new Map<number, { startTime: string; ticks: number }>();
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest.length < 20) continue;
    const pid = Number(entry);
    const ppid = Number(rest[1]);
    // Kernel threads (children of kthreadd, pid 2) mostly work for whoever loads the
    // machine, network and disk included: they are nobody's "other work".
    if (pid === 2 || ppid === 2) continue;
    // stat fields 14-17 (utime, stime, cutime, cstime) and 22 (starttime) are rest[11..14] and rest[19].
    processes.set(pid, { startTime: rest[19]!, ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) });
    const siblings = children.get(ppid) ?? [];
    siblings.push(pid);
    children.set(ppid, siblings);
  }
  const ours = new Set<number>();
  const queue = [process.pid];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    ours.add(queue[i]!);
    queue.push(...(children.get(queue[i]!) ?? []));
  }
  return { at: Date.now(), processes, ours, steal: fields[7] ?? 0 };
}

/** What the machine did between two snapshots, in CPU cores (1.0 = one core busy all along). */
export interface CpuUsage {
  readonly seconds: number;
  readonly oursCores: number;
  /** Every process outside our tree: other work on the machine. */
  readonly otherCores: number;
  readonly stealCores: number;
}


export function cpuUsage(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
  let ours = 0;
  let other = 0;
  const add = (ticks: number, mine: boolean) => {
    if (mine) ours += ticks;
    else other += ticks;
  };
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    add(then && then.startTime === now.startTime ? now.ticks - then.ticks : now.ticks, after.ours.has(pid));
  }
  // A process that ended in between reached its reaper's cutime with all its time, the time
  // before the first snapshot included: take that part back out.
  for (const [pid, then] of before.processes) {
    const now = after.processes.get(pid);
    if (!now || now.startTime !== then.startTime) add(-then.ticks, before.ours.has(pid));
  }
  return { seconds, oursCores: cores(Math.max(0, ours)), otherCores: cores(Math.max(0, other)), stealCores: cores(after.steal - before.steal) };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
