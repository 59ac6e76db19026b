import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './HttpError.ts';

/** Reads a request body, refusing it early (413) once it passes the limit rather than buffering it all. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new HttpError(
      413,
      'body-too-large',
      `request body is ${declared} bytes; the limit is ${limitBytes}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      throw new HttpError(413, 'body-too-large', `request body exceeds the limit of ${limitBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a text body (SDP, JSON, sdpfrag). Invalid UTF-8 is refused rather than decoded to U+FFFD, so
 * binary junk never reaches a parser looking like text.
 */
export async function readText(
  req: IncomingMessage,
  limitBytes: number,
  what: string,
  code = 'bad-request',
): Promise<string> {
  const body = await readBody(req, limitBytes);
  try {
    return UTF8.decode(body);
  } catch {
    const at = firstInvalidUtf8(body);
    throw new HttpError(
      400,
      code,
      `${what} is not valid UTF-8 (byte 0x${body[at]?.toString(16).padStart(2, '0')} at offset ${at})`,
    );
  }
}

function firstInvalidUtf8(bytes: Buffer): number {
  for (let at = 0; at < bytes.length; ) {
    const lead = bytes[at]!;
    const length =
      lead < 0x80
        ? 1
        : lead >= 0xc2 && lead < 0xe0
          ? 2
          : lead >= 0xe0 && lead < 0xf0
            ? 3
            : lead >= 0xf0 && lead < 0xf5
              ? 4
              : 0;
    if (length === 0) return at;
    try {
      UTF8.decode(bytes.subarray(at, at + length));
    } catch {
      return at;
    }
    at += length;
  }
  return 0;
}

export function requireContentType(req: IncomingMessage, expected: string): void {
  const given = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (given !== expected) {
    throw new HttpError(
      415,
      'unsupported-media-type',
      `Content-Type must be ${expected}, got ${given || 'none'}`,
    );
  }
}

/** A JSON object body, or {} when the request has none at all (`curl -X POST` with no data). */
export async function readOptionalJson(
  req: IncomingMessage,
  limitBytes: number,
): Promise<Record<string, unknown>> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) return {};
  return readJson(req, limitBytes);
}

export async function readJson(req: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  requireContentType(req, 'application/json');
  const text = await readText(req, limitBytes, 'request body', 'bad-json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad-json', 'request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'bad-json', 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

export function bearerToken(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    // Only a scheme word is echoed, never credentials (a bare token sent without "Bearer " is not quoted back).
    const scheme = /^([A-Za-z][A-Za-z0-9-]{0,19})\s/.exec(header)?.[1];
    throw new HttpError(
      401,
      'unauthorized',
      header.trim() === ''
        ? 'missing "Authorization: Bearer <token>" header'
        : `the Authorization header must be "Bearer <token>"${scheme ? ` (got "${scheme} ...")` : ''}`,
      { 'WWW-Authenticate': 'Bearer' },
    );
  }
  return match[1]!;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A refused request whose body was not read (too large, wrong type, no token) leaves the rest of that
  // body on the connection: reusing it would parse those bytes as the next request, or wait for them.
  const unread: Record<string, string> =
    res.req !== undefined && !res.req.complete ? { Connection: 'close' } : {};
  if (error instanceof HttpError) {
    sendJson(
      res,
      error.status,
      { error: { code: error.code, message: error.message } },
      { ...error.headers, ...unread },
    );
    return;
  }
  sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } }, unread);
}

/** Validates one string field of a JSON body. */
export function stringField(
  body: Record<string, unknown>,
  name: string,
  options: { optional?: boolean; max?: number } = {},
): string {
  const value = body[name];
  if (value === undefined && options.optional) return '';
  if (typeof value !== 'string' || value.trim() === '') {
    throw new HttpError(400, 'bad-request', `"${name}" must be a non-empty string`);
  }
  const max = options.max ?? 200;
  if (value.length > max)
    throw new HttpError(400, 'bad-request', `"${name}" is longer than ${max} characters`);
  return value.trim();
}
