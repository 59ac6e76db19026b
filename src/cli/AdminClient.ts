import type { ParseArgsOptionsConfig } from 'node:util';

/** Options every admin CLI command takes to reach a controller's admin API. */
export const ADMIN_TARGET_HELP = `  --url <url>          a controller's URL (default $DOTM_CONTROLLER_URL, else http://localhost:8080)
  --api-key <key>      an API key (default $DOTM_API_KEY, else the first of $DOTM_CONTROLLER_API_KEYS)`;

/** parseArgs options every admin CLI command takes (with ADMIN_TARGET_HELP's text). */
export const ADMIN_CLI_OPTIONS = {
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export interface AdminTargetFlags {
  url?: string;
  'api-key'?: string;
}

/**
 * A controller's JSON admin API (/api/v1/…) as the CLI calls it: bearer API key, a timeout, and
 * the server's own error message when it refuses.
 */
export class AdminClient {
  readonly #base: string;
  readonly #key: string;
  readonly #fetch: typeof fetch;

  constructor(base: string, key: string, fetchImpl: typeof fetch = fetch) {
    this.#base = base;
    this.#key = key;
    this.#fetch = fetchImpl;
  }

  /**
   * From --url/--api-key or the environment an operator already has for the controller; undefined
   * when no API key is to be found.
   */
  static fromFlags(
    flags: AdminTargetFlags,
    env: NodeJS.ProcessEnv,
    fetchImpl?: typeof fetch,
  ): AdminClient | undefined {
    const base = flags.url ?? env.DOTM_CONTROLLER_URL ?? 'http://localhost:8080';
    const key = flags['api-key'] ?? env.DOTM_API_KEY ?? env.DOTM_CONTROLLER_API_KEYS?.split(',')[0];
    return key ? new AdminClient(base, key, fetchImpl) : undefined;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.#base);
    const response = await this.#fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${this.#key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    }).catch((error: unknown) => {
      // fetch says only "fetch failed"; the cause (ECONNREFUSED, a timeout…) is what helps.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new Error(
        `cannot reach the controller at ${url.origin} (${why}); give --url or set DOTM_CONTROLLER_URL`,
      );
    });
    const text = await response.text();
    let parsed: unknown = {};
    try {
      if (text) parsed = JSON.parse(text);
    } catch {
      // A proxy's HTML error page: the status and the text say enough.
    }
    if (!response.ok) {
      const message = (parsed as { error?: { message?: string } }).error?.message ?? text.slice(0, 200);
      throw new Error(`${method} ${path} answered ${response.status}: ${message}`);
    }
    return parsed as T;
  }
}
