import winston from 'winston';

export type Logger = winston.Logger;

/**
 * JSON-lines logger for one process. Child loggers add context such as
 * `{ jobId, target }`; nothing logged here ever carries a target's URL or token.
 */
export function createLogger(options: { service: string; level: string; silent?: boolean }): Logger {
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    defaultMeta: { service: options.service },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
