import type { WebSocketConstructor, WebSocketLike } from '../../../src/client/SignallingChannel.ts';

/** A scripted WebSocket: tests open, feed and drop it by hand and read what was sent. */
export class FakeWebSocket implements WebSocketLike {
  readonly url: string;
  readonly sent: Record<string, unknown>[] = [];
  closed = false;
  closeCode: number | undefined;
  onopen: ((event: Event) => unknown) | null = null;
  onmessage: ((event: MessageEvent) => unknown) | null = null;
  onclose: ((event: CloseEvent) => unknown) | null = null;
  onerror: ((event: Event) => unknown) | null = null;
  /** Called for every sent message (after it is recorded). */
  onSend: ((message: Record<string, unknown>) => void) | undefined;

  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    if (this.closed) throw new Error('send on a closed socket');
    const message = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(message);
    this.onSend?.(message);
  }

  close(code?: number): void {
    this.closed = true;
    this.closeCode = code;
  }

  open(): void {
    this.onopen?.(new Event('open'));
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }

  /** The server or the network went away. */
  drop(code = 1006): void {
    this.closed = true;
    this.onclose?.({ code, reason: '' } as CloseEvent);
  }

  respond(id: unknown, data: unknown): void {
    this.receive({ type: 'response', id, ok: true, data });
  }

  respondError(id: unknown, code: string, message = code): void {
    this.receive({ type: 'response', id, ok: false, error: { code, message } });
  }

  lastSent(type?: string): Record<string, unknown> | undefined {
    const matching = type ? this.sent.filter((message) => message.type === type) : this.sent;
    return matching[matching.length - 1];
  }
}

/** A constructor to inject plus the list of every socket it made. */
export function fakeWebSocketClass(onCreate?: (socket: FakeWebSocket) => void): {
  WebSocket: WebSocketConstructor;
  sockets: FakeWebSocket[];
} {
  const sockets: FakeWebSocket[] = [];
  class TrackedWebSocket extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      onCreate?.(this);
    }
  }
  return { WebSocket: TrackedWebSocket, sockets };
}
