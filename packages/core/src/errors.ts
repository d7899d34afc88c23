/**
 * Turns whatever a `catch` received into an Error, so logging and classification
 * never have to deal with thrown strings or plain objects.
 */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  try {
    return new Error(JSON.stringify(thrown));
  } catch {
    return new Error(String(thrown));
  }
}

/**
 * A ConfigError is an invalid environment variable or targets file. Processes print its
 * message and exit at start; a live reload keeps the running configuration instead.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super(message);
  }
}
