import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One callback as a receiver sees it. */
export interface ReceivedCallback {
  /** The request target: path and query, checksum included. */
  target: string;
  contentType: string;
  /** The raw form body. */
  body: string;
  domain: string;
  timestamp: number;
  events: ReceivedEvent[];
}

export interface ReceivedEvent {
  data: {
    type: string;
    id: string;
    attributes: {
      meeting: Record<string, unknown>;
      user?: Record<string, unknown>;
    };
    event: { ts: number };
  };
}

/**
 * A portal's webhook endpoint on a real local HTTP server: records every POST, answers with the
 * statuses it is told to (then 200), or never answers at all while `hang` is set.
 */
export class HookReceiver {
  readonly received: ReceivedCallback[] = [];
  /** Statuses for the next requests, in order; 200 once used up. */
  readonly statuses: number[] = [];
  /** Requests answered with each status, for retry tests. */
  readonly answered: number[] = [];
  hang = false;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<HookReceiver> {
    const receiver = new HookReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    receiver.#port = (receiver.#server.address() as { port: number }).port;
    return receiver;
  }

  /** The callback URL to register for `path` (which may carry a query of its own). */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** What a receiver checks: the checksum is sha1(registered URL + raw body + shared secret). */
  signedBy(callback: ReceivedCallback, registeredUrl: string, secret: string): boolean {
    const checksum = createHash('sha1')
      .update(registeredUrl + callback.body + secret)
      .digest('hex');
    const separator = registeredUrl.includes('?') ? '&' : '?';
    return this.url(callback.target) === `${registeredUrl}${separator}checksum=${checksum}`;
  }

  /** Every event received so far, in arrival order, as `id external-user-id?`. */
  eventIds(): string[] {
    return this.received.flatMap((c) => c.events.map((e) => e.data.id));
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline)
        throw new Error(
          `expected ${count} callbacks, got ${this.received.length}: ${this.eventIds().join(', ')}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (this.hang) return;
      const body = Buffer.concat(chunks).toString('utf8');
      const form = new URLSearchParams(body);
      const status = this.statuses.shift() ?? 200;
      this.answered.push(status);
      if (status === 200 && req.method === 'POST') {
        this.received.push({
          target: req.url ?? '',
          contentType: req.headers['content-type'] ?? '',
          body,
          domain: form.get('domain') ?? '',
          timestamp: Number(form.get('timestamp')),
          events: JSON.parse(form.get('event') ?? '[]') as ReceivedEvent[],
        });
      }
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'no');
    });
  }
}
