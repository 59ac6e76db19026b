/**
 * Structured logs: one JSON object per line (for machines) or a readable line (for people at a
 * terminal). Child loggers carry bound fields (component, nodeId, room…) so every line says where
 * it came from without string formatting at the call site.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';
export type LogFields = Record<string, unknown>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Defaults to stderr, so stdout stays free for a command's own output (e.g. `dotm secret`). */
  write?: (line: string) => void;
}

export class Logger {
  readonly #options: Required<LoggerOptions>;
  readonly #fields: LogFields;

  constructor(options: LoggerOptions, fields: LogFields = {}) {
    this.#options = { write: (line) => process.stderr.write(line), ...options };
    this.#fields = fields;
  }

  child(fields: LogFields): Logger {
    return new Logger(this.#options, { ...this.#fields, ...fields });
  }

  get level(): LogLevel {
    return this.#options.level;
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.#options.level];
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  #log(level: LogLevel, message: string, fields?: LogFields): void {
    if (!this.isEnabled(level)) return;
    const record: LogFields = { time: new Date().toISOString(), level, msg: message, ...this.#fields };
    if (fields) {
      for (const [key, value] of Object.entries(fields)) {
        record[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
      }
    }
    this.#options.write(this.#options.format === 'json' ? `${JSON.stringify(record)}\n` : pretty(record));
  }
}

function pretty(record: LogFields): string {
  const { time, level, msg, component, ...rest } = record;
  const extra = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const where = component ? `[${String(component)}] ` : '';
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${where}${String(msg)}${extra ? ` ${extra}` : ''}\n`;
}

/** For tests and library use: a logger that prints nothing unless DOTM_LOG_LEVEL says so. */
export function quietLogger(): Logger {
  const level = (process.env.DOTM_LOG_LEVEL as LogLevel | undefined) ?? 'silent';
  return new Logger({ level, format: 'pretty' });
}
