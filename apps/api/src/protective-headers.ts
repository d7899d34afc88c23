import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** Protective headers on every answer; the default CSP also suits the queue UI, which loads only its own scripts. */
export const protectiveHeaders = helmet();

/**
 * The headers `protectiveHeaders` sets, read once by running it against a recording
 * response: the ingest fast path, which bypasses Express, sends the very same ones.
 */
export function protectiveHeaderValues(middleware: typeof protectiveHeaders = protectiveHeaders): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name] = String(value);
      return recorder;
    },
    removeHeader() {},
  };
  let called = false;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    called = true;
  });
  // Helmet's defaults answer synchronously; a configuration that did not would leave headers out.
  if (!called) throw new Error('helmet did not finish synchronously; its headers cannot be read once');
  return headers;
}
