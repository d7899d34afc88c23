import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { coerceError, type HttpDelivery } from '@herald/core/delivery';
import type { Logger } from '@herald/core';

const WARM_UP_TIMEOUT_MS = 5000;

/**
 * Sends one request through `http` to a server of its own on 127.0.0.1, never to a target.
 *
 * A thread's first delivery pays for compiling undici's HTTP parser (WebAssembly) and for
 * running undici's and Herald's delivery code before it is optimised: on the bench machine
 * the urgent lane's first critical alert took 26–53 ms from Redis to the target, against
 * about 5 ms for the next ones, and it was the slowest critical alert of nearly every run
 * (bench/README.md, finding 28). The lane pays this before it fetches instead, and as soon
 * as its thread has loaded, while the main thread still reads the configuration (finding 41).
 *
 * Never rejects: it resolves to why it failed, if it did, for the caller to warn of once it
 * has a logger. A warm-up that fails costs nothing else: delivery then starts cold.
 */
export async function warmUpDelivery(http: HttpDelivery): Promise<Error | undefined> {
  const server = createServer((req, res) => {
    req.resume();
    res.end();
  });
  try {
    await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).once('error', reject));
    const { port } = server.address() as AddressInfo;
    await http.send({ method: 'POST', url: `http://127.0.0.1:${port}/herald-warm-up`, headers: { 'content-type': 'application/json' }, body: '{}' }, WARM_UP_TIMEOUT_MS);
    return undefined;
  } catch (error) {
    return coerceError(error);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

/** Warns of a warm-up that failed, once the caller has a logger to warn with. */
export function reportWarmUp(failure: Error | undefined, logger: Logger): void {
  if (failure) logger.warn('could not warm up delivery; the first delivery starts cold', { error: failure.message });
}
