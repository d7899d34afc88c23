import { createServer, type Server } from 'node:http';

export interface MetricsServerOptions {
  readonly port: number;
  /** The exposition text, and its content type. */
  readonly render: () => Promise<string>;
  readonly contentType: string;
  readonly health: () => Record<string, unknown>;
}

/** The worker's own small HTTP server: `/metrics` for Prometheus and `/healthz`. */
export function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      options.render().then(
        (body) => {
          res.writeHead(200, { 'content-type': options.contentType });
          res.end(body);
        },
        () => {
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', ...options.health() }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'not_found', message: 'try /metrics or /healthz' } }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => resolve(server));
  });
}
