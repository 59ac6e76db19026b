import type { ErrorBody } from '../protocol/roomSignalling.ts';

/**
 * Codes the SDK produces itself. The controller and the nodes add theirs (ErrorBody.code:
 * 'bad-request', 'not-found', 'cluster-full', 'forbidden', …), passed through unchanged.
 */
export type ClientErrorCode =
  | 'timeout'
  | 'disconnected'
  | 'closed'
  | 'network'
  | 'http-error'
  | 'protocol-error'
  | 'invalid-state'
  | 'superseded'
  | 'removed'
  | 'stream-removed'
  | 'media-unavailable'
  | 'media-permission-denied'
  | 'media-device-not-found'
  | 'media-device-busy'
  | 'media-error';

/** Codes after which asking the controller again cannot help. */
const PERMANENT_CODES = new Set([
  'not-found',
  'forbidden',
  'unauthorized',
  'bad-request',
  'closed',
  'invalid-state',
]);

export class DotmError extends Error {
  override readonly name = 'DotmError';
  readonly code: ClientErrorCode | (string & {});
  /** HTTP status when the error came from an HTTP endpoint. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }

  get permanent(): boolean {
    return PERMANENT_CODES.has(this.code);
  }

  static fromErrorBody(body: ErrorBody, status?: number): DotmError {
    return new DotmError(body.code, body.message, { status });
  }

  /** Reads an HTTP error answer: the `{ error: { code, message } }` body when there is one. */
  static async fromResponse(response: Response, what: string): Promise<DotmError> {
    let body = '';
    try {
      body = await response.text();
    } catch {
      // The body is optional; the status alone still says what went wrong.
    }
    return DotmError.fromHttp(response.status, response.statusText, body, what);
  }

  static fromHttp(status: number, statusText: string, body: string, what: string): DotmError {
    const parsed = parseErrorBody(body);
    if (parsed) return DotmError.fromErrorBody(parsed, status);
    const reason = `${status} ${statusText}`.trim();
    return new DotmError('http-error', `${what} failed: HTTP ${reason}`, { status });
  }

  static from(error: unknown, fallbackCode = 'unknown'): DotmError {
    if (error instanceof DotmError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new DotmError(fallbackCode, message, { cause: error });
  }
}

function parseErrorBody(text: string): ErrorBody | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    const error = (parsed as { error?: unknown } | null)?.error as Partial<ErrorBody> | undefined;
    if (typeof error?.code === 'string') {
      return { code: error.code, message: typeof error.message === 'string' ? error.message : error.code };
    }
  } catch {
    // Not JSON: a proxy's HTML error page, for instance.
  }
  return undefined;
}
