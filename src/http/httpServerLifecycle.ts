import { createServer, type RequestListener, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** An HTTP server with the timeouts every dotm endpoint uses (slow or stuck clients are cut off). */
export function createDotmServer(listener: RequestListener): Server {
  const server = createServer(listener);
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.on('clientError', answerClientError);
  return server;
}

/**
 * Requests Node's parser refuses before any handler runs (garbage request line, header block over the
 * limit, bad Content-Length, timeouts) get the same JSON error body as every other refusal, not Node's
 * bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // The peer is gone, or a response has started on this socket: nothing sensible can be added (as Node does).
  const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'request headers are larger than the server accepts']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', 'the request was not received in time']
        : [
            400,
            'bad-request',
            `malformed HTTP request: ${(error as { reason?: string }).reason ?? error.message}`,
          ];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function listenHttp(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Stops accepting and drops open (keep-alive) connections, so closing never waits on idle clients. */
export async function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
