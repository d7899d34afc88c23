import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

const FINGERPRINT = /"fingerprint":"([^"]+)"/;
const MAX_WAITERS = 16;

interface Waiter {
  readonly tag: string | undefined;
  readonly count: number;
  readonly resolve: () => void;
}

/**
 * The stand-in target: answers 200 at once and records when each alert first arrived,
 * keyed by the fingerprint in its body (`alert.fingerprint` in Herald's webhook body, the
 * job data's `fingerprint` for the bare worker). Times are `performance.now()` of this
 * process, the same clock the load generators schedule with.
 */
export class SinkServer {
  private server: Server | undefined;
  private arrivals = new Map<string, number>();
  private byTag = new Map<string, number>();
  private lastByTag = new Map<string, number>();
  private waiters: Waiter[] = [];
  duplicates = 0;
  unreadable = 0;
  firstArrival = Number.NaN;
  lastArrival = Number.NaN;
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.record(body);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      });
    });
    server.keepAliveTimeout = 30_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  /** Forgets every arrival: each measurement starts from nothing. */
  reset(): void {
    this.arrivals = new Map();
    this.byTag = new Map();
    this.lastByTag = new Map();
    this.duplicates = 0;
    this.unreadable = 0;
    this.firstArrival = Number.NaN;
    this.lastArrival = Number.NaN;
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  get count(): number {
    return this.arrivals.size;
  }

  countOf(tag: string): number {
    return this.byTag.get(tag) ?? 0;
  }

  /** When the latest alert of fingerprint tag `tag` arrived; NaN before any did. */
  lastArrivalOf(tag: string): number {
    return this.lastByTag.get(tag) ?? Number.NaN;
  }

  arrivalOf(fingerprint: string): number | undefined {
    return this.arrivals.get(fingerprint);
  }

  /**
   * Resolves once `count` distinct alerts (of fingerprint tag `tag`, when given) have
   * arrived, or after `timeoutMs` either way; the caller compares the count.
   */
  waitFor(count: number, timeoutMs: number, tag?: string): Promise<void> {
    if ((tag === undefined ? this.count : this.countOf(tag)) >= count) return Promise.resolve();
    if (this.waiters.length >= MAX_WAITERS) throw new Error('too many sink waiters');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        tag,
        count,
        resolve: () => {
          clearTimeout(timer);
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          resolve();
        },
      };
      const timer = setTimeout(waiter.resolve, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private record(body: string): void {
    const now = performance.now();
    const fingerprint = FINGERPRINT.exec(body)?.[1];
    if (!fingerprint) {
      this.unreadable += 1;
      return;
    }
    if (this.arrivals.has(fingerprint)) {
      this.duplicates += 1;
      return;
    }
    this.arrivals.set(fingerprint, now);
    const tag = fingerprint[0]!;
    const tagged = (this.byTag.get(tag) ?? 0) + 1;
    this.byTag.set(tag, tagged);
    this.lastByTag.set(tag, now);
    if (Number.isNaN(this.firstArrival)) this.firstArrival = now;
    this.lastArrival = now;
    if (this.waiters.length === 0) return;
    for (const waiter of [...this.waiters]) {
      if ((waiter.tag === undefined ? this.arrivals.size : waiter.tag === tag ? tagged : this.countOf(waiter.tag)) >= waiter.count) waiter.resolve();
    }
  }
}
