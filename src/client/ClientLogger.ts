/** Where the SDK reports what it recovered from; shaped like the server's Logger so either fits. */
export interface ClientLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** Warnings to the console, debug lines only when asked for. */
export function consoleLogger(debug = false): ClientLogger {
  return {
    debug: (message, fields) => {
      if (debug) console.debug(`[dotm] ${message}`, fields ?? '');
    },
    warn: (message, fields) => console.warn(`[dotm] ${message}`, fields ?? ''),
  };
}
