import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server with the timeouts every dotm endpoint uses (slow or stuck clients are cut off). */
export function createDotmServer(listener: RequestListener): Server {
  const server = createServer(listener);
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  return server;
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
