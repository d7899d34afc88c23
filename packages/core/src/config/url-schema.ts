import Joi from 'joi';

/**
 * A URL string whose scheme is one of `schemes`, as Node's own URL parser reads it (the
 * parser ioredis, pg and undici use on it later).
 *
 * Not joi's `string().uri()`: that runs an RFC 3986 regular expression which V8 compiles on
 * its first use, about 20 ms per schema, and which takes about 5 ms a value after that. With
 * REDIS_URL, DATABASE_URL and each target's URL it cost every worker and API about 60 ms of
 * its start (bench/README.md, finding 54).
 *
 * The messages never quote the value: a URL may carry a password or a webhook's token.
 */
export function urlWithScheme(schemes: readonly string[]): Joi.StringSchema {
  const allowed = new Set(schemes.map((scheme) => `${scheme}:`));
  return Joi.string().custom((value: string, helpers) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return helpers.message({ custom: '{{#label}} must be a valid URL' });
    }
    if (!allowed.has(url.protocol)) return helpers.message({ custom: `{{#label}} must be a URL starting ${schemes.map((s) => `${s}://`).join(' or ')}` });
    return value;
  }, 'URL');
}
