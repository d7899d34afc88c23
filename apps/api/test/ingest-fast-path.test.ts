import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { createApiMetrics } from '@herald/core';
import { capturingLogger } from '../../../test/support/log-capture';
import { Harness, alertmanagerPayload, targetsFrom, testEnv } from '../../../test/support/herald';
import type { IntakeResult } from '../src/alert-intake';
import { ServiceUnavailableError, ValidationError } from '../src/http-errors';
import { createIngestFastPath } from '../src/ingest-fast-path';
import { protectiveHeaderValues } from '../src/protective-headers';
import { SUBMIT_PATH, WEBHOOK_PATH, type IngestEndpoint } from '../src/routes/ingest-routes';

const ACCEPTED: IntakeResult = { mode: 'publishing', alerts: 1, jobs: [], deduplicated: [], unrouted: [] };
const TOKEN = 'submit-token-0123456789';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

/** One request over node:http, so the test controls framing (chunked bodies, exact headers). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    if (options.chunked && options.body !== undefined) {
      // Written in pieces without a Content-Length: node frames it as chunked.
      const body = Buffer.from(options.body);
      for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

describe('the ingest fast path', () => {
  describe('on its own, in front of a stand-in for Express', () => {
    let server: Server;
    let url: string;
    let draining = false;
    let endpointCalls: { path: string; body: unknown; requestId: string }[] = [];
    let failWith: unknown;
    const registry = new Registry();
    const metrics = createApiMetrics(registry);
    const { logger, entries } = capturingLogger();
    const endpoint =
      (path: string): IngestEndpoint =>
      async (body, requestId) => {
        endpointCalls.push({ path, body, requestId });
        if (failWith !== undefined) throw failWith;
        return ACCEPTED;
      };

    beforeAll(async () => {
      const fastPath = createIngestFastPath({
        endpoints: { [WEBHOOK_PATH]: endpoint(WEBHOOK_PATH), [SUBMIT_PATH]: endpoint(SUBMIT_PATH) },
        apiToken: TOKEN,
        headers: protectiveHeaderValues(),
        metrics,
        logger,
        draining: () => draining,
      });
      server = createServer((req, res) => {
        if (fastPath(req, res)) return;
        req.resume();
        res.writeHead(418, { 'content-type': 'text/plain' }).end('express');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    beforeEach(() => {
      endpointCalls = [];
      failWith = undefined;
      draining = false;
    });

    const json = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    const body = JSON.stringify(alertmanagerPayload([{ labels: { alertname: 'A' } }]));

    it('When a plain JSON webhook arrives, then it serves it: 202, the endpoint got the body, and the answer carries the protective headers and the request id', async () => {
      const answer = await send(`${url}${WEBHOOK_PATH}?from=alertmanager`, { headers: { ...json, 'x-request-id': 'am-42' }, body });
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual(ACCEPTED);
      expect(endpointCalls).toEqual([{ path: WEBHOOK_PATH, body: JSON.parse(body), requestId: 'am-42' }]);
      expect(answer.headers).toMatchObject({
        'x-request-id': 'am-42',
        'content-type': 'application/json; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'content-security-policy': expect.stringContaining("default-src 'self'"),
      });
      const submitted = await send(`${url}${SUBMIT_PATH}`, { headers: { ...json, 'content-type': 'Application/JSON; charset="UTF-8"' }, body: '{"labels":{}}' });
      expect(submitted.status).toBe(202);
      expect(endpointCalls[1]!.path).toBe(SUBMIT_PATH);
    });

    it.each([
      ['a GET', { method: 'GET' }],
      ['another path', { path: `${WEBHOOK_PATH}/` }],
      ['a non-JSON media type', { headers: { 'content-type': 'text/plain' } }],
      ['a +json media type', { headers: { 'content-type': 'application/vnd.alert+json' } }],
      ['another charset', { headers: { 'content-type': 'application/json; charset=latin1' } }],
      ['a gzip-encoded body', { headers: { 'content-encoding': 'gzip' } }],
      ['a wrong token', { headers: { authorization: 'Bearer wrong' } }],
      ['no token', { headers: { authorization: '' } }],
      ['an empty body', { body: '' }],
      ['a declared length over 1 MiB', { headers: { 'content-length': String(1024 * 1024 + 1) }, body: 'x'.repeat(1024 * 1024 + 1) }],
      ['shutdown in progress', { draining: true }],
    ])('When the request has %s, then it leaves it to Express untouched', async (_case, variant: { method?: string; path?: string; headers?: Record<string, string>; body?: string; draining?: boolean }) => {
      draining = variant.draining ?? false;
      const headers = Object.fromEntries(Object.entries({ ...json, ...variant.headers }).filter(([, value]) => value !== ''));
      const answer = await send(`${url}${variant.path ?? WEBHOOK_PATH}`, { method: variant.method ?? 'POST', headers, body: variant.method === 'GET' ? undefined : (variant.body ?? body) });
      expect(answer).toMatchObject({ status: 418, body: 'express' });
      expect(endpointCalls).toEqual([]);
    });

    it('When a chunked body grows past 1 MiB, then 413 payload_too_large, the connection closes, and the endpoint is never called', async () => {
      const answer = await send(`${url}${WEBHOOK_PATH}`, { headers: json, body: 'x'.repeat(1024 * 1024 + 10), chunked: true });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatchObject({ code: 'payload_too_large', requestId: expect.any(String) });
      expect(answer.headers.connection).toBe('close');
      expect(endpointCalls).toEqual([]);
      // Within the limit, a chunked body is served like any other.
      expect((await send(`${url}${WEBHOOK_PATH}`, { headers: json, body, chunked: true })).status).toBe(202);
    });

    it.each([['not JSON', '{"version": "4",'], ['a JSON string', '"hello"'], ['JSON null', 'null']])('When the body is %s, then 400 invalid_json', async (_case, text) => {
      const answer = await send(`${url}${WEBHOOK_PATH}`, { headers: json, body: text });
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'invalid_json', message: 'the request body is not valid JSON' } } });
      expect(endpointCalls).toEqual([]);
    });

    it('When the body starts with a byte order mark, then it is read as JSON all the same', async () => {
      expect((await send(`${url}${WEBHOOK_PATH}`, { headers: json, body: `\uFEFF${body}` })).status).toBe(202);
    });

    it('When the endpoint refuses or Redis is down, then the answer is the error shape Express would send, with Retry-After for a 503', async () => {
      failWith = new ValidationError('invalid alert: labels: required', [{ path: 'labels', message: 'required' }]);
      const invalid = await send(`${url}${WEBHOOK_PATH}`, { headers: { ...json, 'x-request-id': 'r-1' }, body });
      expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', details: [{ path: 'labels', message: 'required' }], requestId: 'r-1' } } });

      failWith = new ServiceUnavailableError('redis', new Error('connect ECONNREFUSED'));
      const down = await send(`${url}${WEBHOOK_PATH}`, { headers: json, body });
      expect(down).toMatchObject({ status: 503, headers: { 'retry-after': '5' }, body: { error: { code: 'service_unavailable' } } });
    });

    it('When the endpoint fails unexpectedly, then 500 internal_error, and the log has the error with the request id', async () => {
      failWith = new Error('a bug');
      const answer = await send(`${url}${WEBHOOK_PATH}`, { headers: { ...json, 'x-request-id': 'r-500' }, body });
      expect(answer).toMatchObject({ status: 500, body: { error: { code: 'internal_error', message: 'internal error', requestId: 'r-500' } } });
      expect(entries()).toContainEqual(expect.objectContaining({ message: 'request failed', requestId: 'r-500', error: 'a bug' }));
    });

    it('When it answers, then the request is timed under its route and status', async () => {
      const count = async (status: string) => {
        const metric = await registry.getSingleMetricAsString('herald_http_request_duration_seconds');
        const line = metric.split('\n').find((l) => l.startsWith('herald_http_request_duration_seconds_count') && l.includes(`route="${WEBHOOK_PATH}"`) && l.includes(`status="${status}"`));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      const [before202, before400] = [await count('202'), await count('400')];
      await send(`${url}${WEBHOOK_PATH}`, { headers: json, body });
      await send(`${url}${WEBHOOK_PATH}`, { headers: json, body: 'nope' });
      expect([await count('202'), await count('400')]).toEqual([before202 + 1, before400 + 1]);
    });
  });

  describe('in the API, beside the Express routes', () => {
    const harness = new Harness();
    afterAll(() => harness.closeAll());

    it('When the same webhook comes plain (fast path) and gzip-encoded (Express), then both get the same answer and headers', async () => {
      const targets = targetsFrom('targets:\n  - { name: sink, type: webhook, url: "http://127.0.0.1:9/never" }\n');
      const { url } = await harness.api(testEnv({ API_TOKEN: TOKEN, DEDUP_TTL_MS: '0' }), targets);
      const body = JSON.stringify(alertmanagerPayload([{ labels: { alertname: 'Same' } }]));
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
      const plain = await send(`${url}${WEBHOOK_PATH}`, { headers, body });
      const gzipped = await send(`${url}${WEBHOOK_PATH}`, { headers: { ...headers, 'content-encoding': 'gzip' }, body: gzipSync(body) });

      for (const answer of [plain, gzipped]) {
        expect(answer.status).toBe(202);
        expect(answer.body).toMatchObject({ mode: 'publishing', alerts: 1, jobs: [{ target: 'sink', priority: 'medium', id: expect.stringMatching(/^medium-/) }] });
      }
      const comparable = (answer: Answer) => {
        const { date, 'content-length': _length, 'x-request-id': _id, ...rest } = answer.headers;
        return rest;
      };
      expect(comparable(plain)).toEqual(comparable(gzipped));
      expect(plain.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
