import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from './http-errors';

/**
 * Whether an `Authorization` header carries `Bearer <token>` matching one of `tokens`; with
 * no token configured, every request passes. Tokens are compared as SHA-256 digests in
 * constant time, so neither their content nor their length leaks through timing.
 */
export function bearerCheck(tokens: readonly (string | undefined)[]): (authorization: string | undefined) => boolean {
  const digests = tokens.filter((token): token is string => Boolean(token)).map(digest);
  if (digests.length === 0) return () => true;
  return (header) => {
    const presented = header?.startsWith('Bearer ') ? digest(header.slice(7).trim()) : undefined;
    // Compare against every token, never stopping early, so timing says nothing about which one matched.
    let valid = false;
    for (const expected of digests) valid = (presented !== undefined && timingSafeEqual(presented, expected)) || valid;
    return valid;
  };
}

/** Requires a bearer token that `bearerCheck` accepts; the route is open when none is configured. */
export function requireBearer(tokens: readonly (string | undefined)[]): RequestHandler {
  const authorized = bearerCheck(tokens);
  return (req, _res, next) => {
    if (!authorized(req.headers.authorization)) throw new UnauthorizedError();
    next();
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Guards pages a browser opens (the queue UI): the admin token as a Bearer token or as a
 * Basic-auth password, so a browser can prompt for it. Open when no token is configured.
 */
export function requireAdminPage(adminToken: string | undefined): RequestHandler {
  if (!adminToken) return (_req, _res, next) => next();
  const expected = digest(adminToken);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    let presented: string | undefined;
    if (header.startsWith('Bearer ')) presented = header.slice(7).trim();
    if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      presented = decoded.slice(decoded.indexOf(':') + 1);
    }
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="Herald admin", charset="UTF-8"');
    throw new UnauthorizedError();
  };
}
