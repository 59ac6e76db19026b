import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../http/HttpError.ts';
import { forwardedHeaders } from './SignallingProxy.ts';

const FORWARD_TIMEOUT_MS = 10_000;

/** Response headers of the home that describe the body, passed on to the client as they are. */
const PASSED_RESPONSE_HEADERS = [
  'content-type',
  'location',
  'etag',
  'www-authenticate',
  'link',
  'cache-control',
];

/**
 * Sends an API request about a room to the room's home controller and its answer back to the
 * client, as if this controller had answered. Resolves false when the home could not be reached
 * (nothing has been written to `res`), so the caller may look for the room's home again.
 */
export async function forwardHttp(
  homeUrl: string,
  req: IncomingMessage,
  body: Buffer | undefined,
  res: ServerResponse,
  controllerId: string,
): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(new URL(req.url ?? '/', homeUrl), {
      method: req.method,
      headers: forwardedHeaders(req.headers, req.socket.remoteAddress, controllerId),
      body: body && req.method !== 'GET' && req.method !== 'HEAD' ? new Uint8Array(body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
  } catch {
    return false;
  }
  let payload: Buffer;
  try {
    payload = Buffer.from(await response.arrayBuffer());
  } catch {
    // The request reached the home, which may have acted on it: not safe to send it again.
    throw new HttpError(
      502,
      'bad-gateway',
      "the room's controller went away while answering; check and retry",
    );
  }
  const headers: Record<string, string> = { 'Content-Length': String(payload.length) };
  for (const name of PASSED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  res.writeHead(response.status, headers);
  res.end(payload);
  return true;
}
