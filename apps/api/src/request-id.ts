import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `X-Request-Id` when it is a sane token, a new UUID otherwise. */
export function requestIdFrom(offered: string | string[] | undefined): string {
  return typeof offered === 'string' && ACCEPTABLE.test(offered) ? offered : randomUUID();
}

/**
 * Gives every request an id (`requestIdFrom`). It is sent back in the `X-Request-Id`
 * header and error bodies, and logged with every line about the request, so a client's
 * report finds its log lines.
 */
export const requestId: RequestHandler = (req, res, next) => {
  const id = requestIdFrom(req.headers['x-request-id']);
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};
