import { spawn, type ChildProcess } from 'node:child_process';
import { cpuSeconds, rssMb } from './machine';

const OUTPUT_TAIL = 8 * 1024;
const STOP_GRACE_MS = 5000;
const READY_POLL_MS = 50;

/** Every child still running, so an error or Ctrl-C can kill them all. */
const running = new Set<RoleProcess>();

/** Kills every child at once (SIGKILL): the last resort on an error or a signal. */
export function killAllRoles(): void {
  for (const role of running) role.kill();
}

/**
 * One Node process under test (Herald's API or worker, or a bare script), started the
 * way `npm run api` starts it: `node` with the role's flags and compiled file (`args`),
 * configured only by its environment.
 */
export class RoleProcess {
  private readonly child: ChildProcess;
  private output = '';
  private stopping = false;
  private exitListeners = new Set<(error: Error) => void>();
  readonly exited: Promise<void>;
  readonly startedAt = performance.now();

  constructor(
    readonly name: string,
    args: readonly string[],
    env: Record<string, string>,
  ) {
    // BENCH_NODE_ARGS passes flags to every process under test, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    this.child = spawn(process.execPath, [...nodeArgs, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_TAIL);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        running.delete(this);
        if (!this.stopping) {
          const error = new Error(`${this.name} exited unexpectedly (code ${code}, signal ${signal}); its last output:\n${this.output}`);
          for (const listener of this.exitListeners) listener(error);
        }
        resolve();
      });
    });
    this.child.once('error', (error) => {
      for (const listener of this.exitListeners) listener(error);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get lastOutput(): string {
    return this.output;
  }

  rssMb(): number {
    return rssMb(this.pid);
  }

  /** CPU time the process has used so far, in seconds. */
  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  /** Calls `listener` if the process dies before `stop`; returns the unsubscribe. */
  onUnexpectedExit(listener: (error: Error) => void): () => void {
    if (!this.alive && !this.stopping) {
      queueMicrotask(() => listener(new Error(`${this.name} is not running; its last output:\n${this.output}`)));
      return () => {};
    }
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Resolves once GET `url` answers 200; rejects if the process dies or `timeoutMs` passes. */
  async waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited before it was ready; its last output:\n${this.output}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(READY_POLL_MS);
    }
    throw new Error(`${this.name} was not ready at ${url} within ${timeoutMs} ms; its last output:\n${this.output}`);
  }

  /** Resolves once the process prints `text`; rejects if it dies or `timeoutMs` passes. */
  async waitForOutput(text: string, timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.output.includes(text)) return;
      if (!this.alive) throw new Error(`${this.name} exited before it was ready; its last output:\n${this.output}`);
      await sleep(READY_POLL_MS / 5);
    }
    throw new Error(`${this.name} did not print "${text}" within ${timeoutMs} ms; its last output:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.stopping = true;
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/**
 * Resolves with `work`, or rejects as soon as one of `roles` dies: a crashed process
 * fails the measurement at once instead of leaving it to a timeout.
 */
export function unlessDied<T>(work: Promise<T>, roles: readonly RoleProcess[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unsubscribes = roles.map((role) => role.onUnexpectedExit(reject));
    work.then(resolve, reject).finally(() => unsubscribes.forEach((unsubscribe) => unsubscribe()));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
