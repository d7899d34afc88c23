import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { findFreePort } from './free-port';

/** redis-server is not installed: says how to get one. */
export class RedisServerNotFoundError extends Error {
  override readonly name = 'RedisServerNotFoundError';
  constructor() {
    super(
      'redis-server was not found on PATH, and REDIS_URL is not set.\n' +
        '  Install it:   sudo apt-get install redis-server   (Debian/Ubuntu)\n' +
        '                brew install redis                  (macOS)\n' +
        '  or run one:   docker compose up -d redis   and set REDIS_URL=redis://127.0.0.1:6379',
    );
  }
}

export interface LocalRedisOptions {
  /** Where the append-only file lives. */
  readonly dataDir: string;
  /** Defaults to a free port. */
  readonly port?: number;
  /** Append-only persistence, fsync every second (Redis's default policy). */
  readonly appendOnly: boolean;
}

/**
 * A redis-server child process bound to 127.0.0.1. It can be stopped and started again
 * on the same port and data directory, which is how outage tests take Redis away.
 */
export class LocalRedis {
  private process: ChildProcess | undefined;
  private portInUse: number | undefined;

  constructor(private readonly options: LocalRedisOptions) {}

  get url(): string {
    if (this.portInUse === undefined) throw new Error('LocalRedis is not started');
    return `redis://127.0.0.1:${this.portInUse}`;
  }

  /** The server's process id while it runs (the bench reads its CPU time). */
  get pid(): number | undefined {
    const running = this.process && this.process.exitCode === null && this.process.signalCode === null;
    return running ? this.process!.pid : undefined;
  }

  async start(): Promise<void> {
    if (spawnSync('redis-server', ['--version']).error) throw new RedisServerNotFoundError();
    mkdirSync(this.options.dataDir, { recursive: true });
    this.portInUse ??= this.options.port ?? (await findFreePort());
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.portInUse),
        '--bind', '127.0.0.1',
        '--dir', this.options.dataDir,
        '--appendonly', this.options.appendOnly ? 'yes' : 'no',
        '--appendfsync', 'everysec',
        '--save', '',
        '--daemonize', 'no',
        '--loglevel', 'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process = child;
    await waitForLine(child, /Ready to accept connections|Server initialized/, 'redis-server', 15_000);
  }

  /** Stops the server (SIGTERM: Redis flushes its append-only file first). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/** Resolves when the child prints a line matching `ready`; rejects if it exits first. */
export function waitForLine(child: ChildProcess, ready: RegExp, name: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not become ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        cleanup();
        // Keep draining the pipes so the child never blocks on a full buffer.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    const onExit = (code: number | null) => fail(new Error(`${name} exited with code ${code}:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
