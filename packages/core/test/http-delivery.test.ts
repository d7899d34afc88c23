import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpDelivery } from '../src/delivery/http-delivery';

/** A local server that answers 204 and records each request's method and path. */
async function recordingServer(): Promise<{ server: Server; origin: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('HttpDelivery', () => {
  it('When its pools are closed by two owners, then both closes resolve (undici itself rejects the second)', async () => {
    const http = createHttpDelivery();

    const closes = [http.close(), http.close()];

    await expect(Promise.all(closes)).resolves.toHaveLength(2);
    await expect(http.close()).resolves.not.toBeInstanceOf(Error);
  });

  it('When targets share an origin, then each request goes to its own URL\'s path and query, without the fragment', async () => {
    const { server, origin, seen } = await recordingServer();
    const http = createHttpDelivery();
    try {
      const send = (url: string) => http.send({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{}' }, 5000);

      for (const url of [`${origin}/hooks/a?token=1`, `${origin}/hooks/b#ignored`, `${origin}/hooks/a?token=1`, origin]) await expect(send(url)).resolves.toEqual({ httpStatus: 204 });

      expect(seen).toEqual(['POST /hooks/a?token=1', 'POST /hooks/b', 'POST /hooks/a?token=1', 'POST /']);
    } finally {
      await http.close();
      server.close();
    }
  });
});
