import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiMetrics, Logger } from '@herald/core';
import { bearerCheck } from './auth';
import { HttpError, bodyError, errorAnswer } from './http-errors';
import { MAX_BODY_BYTES } from './json-body';
import { requestIdFrom } from './request-id';
import { SUBMIT_PATH, WEBHOOK_PATH, type IngestEndpoint, type IngestEndpoints } from './routes/ingest-routes';

/** `Content-Type` values the fast path takes: JSON, in UTF-8 when a charset is named. */
const PLAIN_JSON = /^application\/json\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

export interface IngestFastPathDeps {
  readonly endpoints: IngestEndpoints;
  readonly apiToken: string | undefined;
  /** The headers every answer carries (`protectiveHeaderValues`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
  /** True once shutdown began; Express then answers 503. */
  readonly draining: () => boolean;
}

/** Serves the request and returns true, or returns false and leaves it untouched for Express. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The ingest fast path serves a plain JSON POST to one of the two ingest endpoints without
 * Express. Express's app, router, middleware chain and body parser cost a quarter of the
 * API's CPU per webhook, more than the validation (bench/README.md, finding 24).
 *
 * It takes only requests it can decide cheaply: the exact path, `application/json` in
 * UTF-8, no `Content-Encoding`, a body within the limit, a valid token, and no shutdown in
 * progress. Everything else (other media types, gzip, wrong tokens, draining, odd paths)
 * goes to the Express routes, which stay the reference for every answer. Both answer with
 * the same endpoints (`createIngestEndpoints`), the same errors (`errorAnswer`), the same
 * headers and the same request metrics, so a client cannot tell which served it.
 */
export function createIngestFastPath(deps: IngestFastPathDeps): FastPath {
  const authorized = bearerCheck([deps.apiToken]);
  return (req, res) => {
    if (req.method !== 'POST' || deps.draining()) return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (path !== WEBHOOK_PATH && path !== SUBMIT_PATH) return false;
    const { headers } = req;
    if (!PLAIN_JSON.test(headers['content-type'] ?? '')) return false;
    if (headers['content-encoding'] !== undefined && headers['content-encoding'].toLowerCase() !== 'identity') return false;
    const length = headers['content-length'];
    // A chunked body is measured as it arrives; one without any body is Express's to refuse.
    if (length === undefined ? headers['transfer-encoding'] === undefined : !(Number(length) > 0 && Number(length) <= MAX_BODY_BYTES)) return false;
    if (!authorized(headers.authorization)) return false;
    serve(req, res, path, deps.endpoints[path], deps);
    return true;
  };
}

function serve(req: IncomingMessage, res: ServerResponse, path: string, endpoint: IngestEndpoint, deps: IngestFastPathDeps): void {
  const started = process.hrtime.bigint();
  const requestId = requestIdFrom(req.headers['x-request-id']);
  const answer = (status: number, body: unknown, extraHeaders?: Readonly<Record<string, string>>) => {
    const json = JSON.stringify(body);
    res.writeHead(status, {
      ...deps.headers,
      ...extraHeaders,
      'X-Request-Id': requestId,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(json),
    });
    res.end(json);
    deps.metrics.httpRequestDuration.observe({ method: 'POST', route: path, status: String(status) }, Number(process.hrtime.bigint() - started) / 1e9);
  };
  readJson(req)
    .then((body) => endpoint(body, requestId))
    .then(
      (result) => answer(202, result),
      (error: unknown) => {
        const { status, headers, body } = errorAnswer(error, deps.logger, { method: 'POST', path, requestId });
        // An oversized body was left unread: the connection cannot carry another request.
        const unread = error instanceof HttpError && error.code === 'payload_too_large';
        answer(status, body, unread ? { ...headers, Connection: 'close' } : headers);
      },
    );
}

/**
 * The body as JSON, as Express's strict `express.json()` reads it: an object or an array,
 * a leading byte order mark ignored, at most MAX_BODY_BYTES.
 */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(bodyError('entity.too.large'));
    };
    req.on('data', onData);
    req.once('error', () => reject(bodyError('request.aborted')));
    req.once('end', () => {
      let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (typeof body === 'object' && body !== null) resolve(body);
      else reject(bodyError('entity.parse.failed'));
    });
  });
}
