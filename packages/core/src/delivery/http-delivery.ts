import type { Dispatcher } from 'undici';
import type { OutboundRequest } from '../formatters/formatter';
import type { ErrorType } from './classify-error';
import { DeliveryTimeoutError, HttpStatusError, TransportError } from './delivery-errors';

const MAX_ERROR_BODY = 512;
/** Connecting is bounded separately: a target whose host drops packets fails after this. */
const CONNECT_TIMEOUT_MS = 5000;
const RETRY_AFTER_CAP_MS = 5 * 60 * 1000;

export interface DeliveryResult {
  readonly httpStatus: number;
}

/** Reads a 2xx answer the way the target's service means it (see AnswerReader). */
type SuccessCheck = (status: number, body: string) => ErrorType | 'success' | undefined;

/**
 * Sends formatted requests over kept-alive connections (one undici pool per target
 * origin). A non-2xx answer, a timeout or a connection failure rejects with a
 * DeliveryError subclass.
 */
export interface HttpDelivery {
  send(outbound: OutboundRequest, timeoutMs: number, extraHeaders?: Record<string, string>, checkSuccess?: SuccessCheck): Promise<DeliveryResult>;
  /** Closes the pools once requests in flight end; later calls wait for the same close. */
  close(): Promise<void>;
}

/** Where a request goes, in the form undici's dispatchers take it. */
interface Destination {
  readonly origin: string;
  readonly path: string;
}

/** Targets' URLs seen, parsed once; a fresh map past this many (a URL per alert would be unusual). */
const MAX_DESTINATIONS = 1000;

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export function createHttpDelivery(options: { connectionsPerOrigin?: number } = {}): HttpDelivery {
  // undici's Agent and its request function, from their own files rather than the package's
  // index: the index also loads fetch, WebSocket, cookies, caches and mocks, about 60 ms of
  // each delivering thread's start (bench/README.md, finding 54). undici 7 has no `exports`
  // map, so these paths are reachable; every delivery test fails if an upgrade moves them.
  // Loaded here, not at the top: only workers deliver, and the API, which imports this
  // package too, is spared undici's ~6 MB of RSS.
  const Agent = require('undici/lib/dispatcher/agent') as typeof import('undici').Agent;
  const request = require('undici/lib/api/api-request') as RequestFn;
  const agent = new Agent({ connections: options.connectionsPerOrigin ?? 128, keepAliveTimeout: 10_000, connect: { timeout: CONNECT_TIMEOUT_MS } });
  // undici rejects a second close; a worker's shutdown may reach the pools from two owners.
  let closing: Promise<void> | undefined;
  // undici's top-level `request(url)` parses the URL string on every call (finding 47).
  let destinations = new Map<string, Destination>();
  const destinationOf = (url: string): Destination => {
    let destination = destinations.get(url);
    if (!destination) {
      const parsed = new URL(url);
      destination = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (destinations.size >= MAX_DESTINATIONS) destinations = new Map();
      destinations.set(url, destination);
    }
    return destination;
  };

  return {
    async send(outbound, timeoutMs, extraHeaders, checkSuccess) {
      let response;
      try {
        const { origin, path } = destinationOf(outbound.url);
        response = await request.call(agent, {
          origin,
          path,
          method: outbound.method,
          headers: extraHeaders ? { ...outbound.headers, ...extraHeaders } : outbound.headers,
          body: outbound.body,
          // undici's own timers rather than an AbortSignal per request: the same deadline for the
          // answer's headers and body, without a timer, a signal and listeners for every delivery.
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (error) {
        throw toDeliveryError(error, timeoutMs);
      }
      if (response.statusCode >= 200 && response.statusCode < 300) {
        if (!checkSuccess) {
          await response.body.dump();
          return { httpStatus: response.statusCode };
        }
        const body = await readSnippet(response.body);
        const verdict = checkSuccess(response.statusCode, body);
        if (verdict && verdict !== 'success') throw new HttpStatusError(response.statusCode, null, body, verdict);
        return { httpStatus: response.statusCode };
      }
      throw new HttpStatusError(response.statusCode, parseRetryAfter(response.headers['retry-after']), await readSnippet(response.body));
    },
    close: () => (closing ??= agent.close()),
  };
}

/** The start of an answer's body; a body cut short yields what arrived. */
async function readSnippet(body: { text(): Promise<string> }): Promise<string> {
  try {
    return (await body.text()).slice(0, MAX_ERROR_BODY).trim();
  } catch {
    return '';
  }
}

function toDeliveryError(error: unknown, timeoutMs: number): Error {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new DeliveryTimeoutError(timeoutMs);
  }
  const causeCode = (error as { cause?: { code?: string } })?.cause?.code;
  if (typeof code === 'string' || typeof causeCode === 'string') return new TransportError(causeCode ?? code!);
  return error instanceof Error ? error : new Error(String(error));
}

/** `Retry-After` as seconds or an HTTP date, capped at five minutes; null when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms) || ms < 0) return null;
  return Math.min(ms, RETRY_AFTER_CAP_MS);
}
