import express, { type RequestHandler } from 'express';
import { HttpError } from './http-errors';

export const MAX_BODY_BYTES = 1024 * 1024;

const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true, type: () => true });

/**
 * Parses a JSON body of at most 1 MiB. Anything not declared `application/json` (or a
 * `+json` type) is refused before its body is read.
 */
export const jsonBody: RequestHandler[] = [
  (req, _res, next) => {
    if (!req.is(['application/json', '+json'])) {
      throw new HttpError(400, 'unsupported_media_type', 'the request body must be JSON with "Content-Type: application/json"');
    }
    next();
  },
  parseJson,
];
