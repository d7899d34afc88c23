import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
  readonly at: number;
}

/** What the stand-in target does with a request: answer (after a delay) or drop the connection. */
export type Reply = { status?: number; delayMs?: number; headers?: Record<string, string>; body?: string } | 'drop';

export interface TargetServer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Resolves once `count` requests have arrived; fails after `timeoutMs` saying how many did. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Resolves with the first request delivering job `jobId`. */
  waitForJob(jobId: string, timeoutMs?: number): Promise<ReceivedRequest>;
  /** Resolves with the first request that satisfies `predicate`. */
  waitFor(predicate: (request: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/**
 * A real local HTTP server standing in for Slack, PagerDuty or a webhook receiver.
 * `reply` scripts its answers; by default every request gets 200.
 */
export async function startTargetServer(reply: (request: ReceivedRequest, index: number) => Reply = () => ({ status: 200 })): Promise<TargetServer> {
  const requests: ReceivedRequest[] = [];
  const pendingReplies = new Set<NodeJS.Timeout>();
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      const request: ReceivedRequest = { method: req.method!, path: req.url!, headers: req.headers, body, at: Date.now() };
      const index = requests.push(request) - 1;
      events.emit('request');
      const answer = reply(request, index);
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      const timer = setTimeout(() => {
        pendingReplies.delete(timer);
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? 'ok');
      }, answer.delayMs ?? 0);
      pendingReplies.add(timer);
    });
  });
  /** Re-checks `found` on every request until it returns something. */
  function waitUntil<T>(found: () => T | undefined, timeoutMs: number, failure: () => string): Promise<T> {
    const now = found();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        events.off('request', check);
        reject(new Error(`${failure()} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        const result = found();
        if (result === undefined) return;
        clearTimeout(timer);
        events.off('request', check);
        resolve(result);
      };
      events.on('request', check);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitForRequests(count, timeoutMs = 20_000) {
      return waitUntil(() => (requests.length >= count ? requests.slice() : undefined), timeoutMs, () => `expected ${count} requests at the target, got ${requests.length}`);
    },
    waitForJob(jobId, timeoutMs = 20_000) {
      return waitUntil(() => requests.find((r) => r.headers['x-herald-job-id'] === jobId), timeoutMs, () => `job ${jobId} never reached the target`);
    },
    waitFor(predicate, timeoutMs = 20_000) {
      return waitUntil(() => requests.find(predicate), timeoutMs, () => 'no matching request reached the target');
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pendingReplies) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
