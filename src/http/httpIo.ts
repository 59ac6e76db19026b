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

export async function readJson(req: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  requireContentType(req, 'application/json');
  const body = await readBody(req, limitBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
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
  if (!match)
    throw new HttpError(401, 'unauthorized', 'missing "Authorization: Bearer <token>" header', {
      'WWW-Authenticate': 'Bearer',
    });
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
  if (error instanceof HttpError) {
    sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
    return;
  }
  sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
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
