import { WebSocket } from 'ws';
import { backoffDelay } from '../../src/client/backoff.ts';
import type {
  ClientRequest,
  JoinResult,
  RejoinTicket,
  ResponseMap,
  ServerMessage,
} from '../../src/protocol/roomSignalling.ts';

type RequestType = ClientRequest['type'];
type Fields<T extends RequestType> = Omit<Extract<ClientRequest, { type: T }>, 'id' | 'type'>;

export interface Reconnection {
  droppedAt: number;
  closeCode: number;
  /** When the rejoin was answered, and whether it resumed the same participant. */
  resumedAt?: number;
  resumed?: boolean;
  attempts: number;
}

/**
 * A headless participant speaking the signalling protocol over `ws`, the way the browser SDK
 * does: it joins through one URL, and when its socket drops it reconnects (with the SDK's backoff)
 * to `reconnectUrl` — a load balancer in front of the controllers — presenting its rejoin ticket.
 */
export class WsParticipant {
  readonly name: string;
  readonly room: string;
  readonly reconnectUrl: string;
  readonly events: Array<{ at: number; message: ServerMessage }> = [];
  readonly reconnections: Reconnection[] = [];
  /**
   * Called with every room event as it arrives: what a headless client does with its media when
   * the room says so (a drain's `streamMigrating`, `streamMoved`, `streamMigrated`: see
   * test/integration/drain.test.ts), as the SDK's DotmClient does in a browser.
   */
  readonly listeners = new Set<(message: ServerMessage) => void>();
  ticket: RejoinTicket | undefined;
  lastJoin: JoinResult | undefined;
  #socket: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (data: unknown) => void; reject: (error: Error) => void }>();
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnecting: Reconnection | undefined;

  constructor(name: string, room: string, reconnectUrl: string) {
    this.name = name;
    this.room = room;
    this.reconnectUrl = reconnectUrl;
  }

  /** Opens a socket to `url` and joins (with the ticket, when it has one). */
  async join(url: string): Promise<JoinResult> {
    await this.#open(url);
    const result = await this.request('join', {
      room: this.room,
      name: this.name,
      ...(this.ticket ? { rejoin: this.ticket } : {}),
    });
    this.ticket = result.rejoin;
    this.lastJoin = result;
    return result;
  }

  request<T extends RequestType>(type: T, fields: Fields<T>): Promise<ResponseMap[T]> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error(`${this.name}: not connected`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject });
      socket.send(JSON.stringify({ id, type, ...fields }));
    });
  }

  /** Runs `listener` on every event of `type` from now on. */
  on<T extends ServerMessage['type']>(
    type: T,
    listener: (message: Extract<ServerMessage, { type: T }>) => void,
  ): void {
    this.listeners.add((message) => {
      if (message.type === type) listener(message as Extract<ServerMessage, { type: T }>);
    });
  }

  of<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.events
      .map((e) => e.message)
      .filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Leaves the room and closes for good. */
  async leave(): Promise<void> {
    await this.request('leave', {});
    this.close();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#socket?.close(1000);
  }

  async #open(url: string): Promise<void> {
    const wsUrl = new URL('/ws', url);
    wsUrl.protocol = 'ws:';
    const socket = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.on('error', () => {});
    this.#socket = socket;
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.type === 'response') {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.ok) pending?.resolve(message.data);
        else pending?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
        return;
      }
      this.events.push({ at: Date.now(), message });
      for (const listener of this.listeners) listener(message);
    });
    socket.on('close', (code) => {
      if (socket !== this.#socket) return;
      for (const [id, pending] of this.#pending) {
        this.#pending.delete(id);
        pending.reject(new Error(`${this.name}: socket closed (${code})`));
      }
      if (this.#closed || !this.ticket || this.#reconnecting) return;
      const reconnection: Reconnection = { droppedAt: Date.now(), closeCode: code, attempts: 0 };
      this.reconnections.push(reconnection);
      this.#reconnecting = reconnection;
      this.#scheduleReconnect(reconnection);
    });
  }

  #scheduleReconnect(reconnection: Reconnection): void {
    const delay = backoffDelay(reconnection.attempts);
    this.#reconnectTimer = setTimeout(() => {
      if (this.#closed) return;
      reconnection.attempts++;
      this.join(this.reconnectUrl).then(
        (result) => {
          reconnection.resumedAt = Date.now();
          reconnection.resumed = result.resumed;
          this.#reconnecting = undefined;
        },
        () => {
          // Refused, or dropped again: as the SDK does, try again after the next backoff step.
          if (this.#closed) return;
          if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.close(1000);
          this.#scheduleReconnect(reconnection);
        },
      );
    }, delay);
  }
}
