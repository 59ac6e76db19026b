import type { ClientRequest, ResponseMap, ServerMessage } from '../protocol/roomSignalling.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import type { ClientLogger } from './ClientLogger.ts';
import { DotmError } from './DotmError.ts';
import { TypedEmitter } from './TypedEmitter.ts';

export type RequestType = ClientRequest['type'];

/**
 * Close code a controller uses when it hands a room over to another (cluster mode: shutdown, a
 * room moved after a Redis restart): the room lives on elsewhere, so reconnect right away.
 */
const SERVICE_RESTART = 1012;
const HANDOVER_JITTER_MS = 100;
/** A request's fields without the `id` and `type` the channel fills in. */
export type RequestFields<T extends RequestType> = Omit<Extract<ClientRequest, { type: T }>, 'id' | 'type'>;
export type RoomEvent = Exclude<ServerMessage, { type: 'response' }>;
export type SendRequest = <T extends RequestType>(
  type: T,
  fields: RequestFields<T>,
  options?: RequestOptions,
) => Promise<ResponseMap[T]>;

export interface RequestOptions {
  timeoutMs?: number;
}

/**
 * idle → connecting → open ⇄ reconnecting, and closed for good after close() or a failed first
 * connection.
 */
export type SignallingState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of the browser WebSocket the channel uses, so tests can hand in a fake. */
export interface WebSocketLike {
  onopen: ((event: Event) => unknown) | null;
  onmessage: ((event: MessageEvent) => unknown) | null;
  onclose: ((event: CloseEvent) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SignallingChannelOptions {
  url: string;
  WebSocket?: WebSocketConstructor;
  requestTimeoutMs?: number;
  pingIntervalMs?: number;
  reconnect?: BackoffOptions;
  random?: () => number;
  logger?: ClientLogger;
  /**
   * Runs on every new socket after a drop, before queued requests go out: the place to rejoin.
   * `send` bypasses the queue. Throwing drops the socket and tries again later, unless the hook
   * closed the channel.
   */
  onReconnect?: (send: SendRequest) => Promise<void>;
}

export interface SignallingChannelEvents {
  state: [state: SignallingState];
  event: [event: RoomEvent];
}

interface PendingRequest {
  type: RequestType;
  payload: string;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (data: unknown) => void;
  reject: (error: DotmError) => void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_PING_INTERVAL_MS = 10_000;
const NORMAL_CLOSURE = 1000;

/**
 * The controller WebSocket: correlates requests with responses by id, times them out, keeps the
 * socket alive with pings and reconnects with backoff after a drop. While reconnecting, new
 * requests wait (still under their timeout) until the reconnect hook has rejoined the room.
 */
export class SignallingChannel extends TypedEmitter<SignallingChannelEvents> {
  readonly #url: string;
  readonly #WebSocket: WebSocketConstructor;
  readonly #requestTimeoutMs: number;
  readonly #pingIntervalMs: number;
  readonly #reconnectBackoff: BackoffOptions;
  readonly #random: () => number;
  readonly #logger: ClientLogger | undefined;
  readonly #onReconnect: ((send: SendRequest) => Promise<void>) | undefined;

  #state: SignallingState = 'idle';
  #socket: WebSocketLike | undefined;
  /** Requests may go out on the socket: it is open and, after a reconnect, the hook has run. */
  #ready = false;
  #nextId = 1;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #queue: number[] = [];
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #openTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SignallingChannelOptions) {
    super();
    this.#url = options.url;
    const WebSocketImpl = options.WebSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
    if (!WebSocketImpl) throw new DotmError('invalid-state', 'no WebSocket implementation available');
    this.#WebSocket = WebSocketImpl;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.#reconnectBackoff = options.reconnect ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    this.#onReconnect = options.onReconnect;
  }

  get state(): SignallingState {
    return this.#state;
  }

  /** Opens the first socket. Unlike later drops, failing here is final: the caller decides. */
  connect(): Promise<void> {
    if (this.#state !== 'idle') return Promise.reject(new DotmError('invalid-state', 'connect() runs once'));
    this.#setState('connecting');
    return new Promise((resolve, reject) => {
      this.#openSocket(
        () => {
          this.#markReady();
          resolve();
        },
        (error) => {
          this.#shutDown(error);
          reject(error);
        },
      );
    });
  }

  request<T extends RequestType>(
    type: T,
    fields: RequestFields<T>,
    options: RequestOptions = {},
  ): Promise<ResponseMap[T]> {
    return this.#enqueue(type, fields, options, false);
  }

  /** Closes for good: pending requests reject with 'closed', no reconnect. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#shutDown(new DotmError('closed', 'the signalling channel was closed'));
  }

  #enqueue<T extends RequestType>(
    type: T,
    fields: RequestFields<T>,
    options: RequestOptions,
    bypassQueue: boolean,
  ): Promise<ResponseMap[T]> {
    if (this.#state === 'closed')
      return Promise.reject(new DotmError('closed', 'the signalling channel is closed'));
    if (this.#state === 'idle') return Promise.reject(new DotmError('invalid-state', 'connect() first'));
    const id = this.#nextId++;
    const payload = JSON.stringify({ ...fields, id, type });
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    return new Promise<ResponseMap[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forget(id);
        reject(new DotmError('timeout', `no answer to '${type}' within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const entry: PendingRequest = {
        type,
        payload,
        sent: false,
        timer,
        resolve: resolve as (data: unknown) => void,
        reject,
      };
      this.#pending.set(id, entry);
      if (this.#ready || (bypassQueue && this.#socket)) this.#transmit(id, entry);
      else this.#queue.push(id);
    });
  }

  #forget(id: number): void {
    this.#pending.delete(id);
    const queued = this.#queue.indexOf(id);
    if (queued >= 0) this.#queue.splice(queued, 1);
  }

  #transmit(id: number, entry: PendingRequest): void {
    const socket = this.#socket;
    if (!socket) {
      this.#queue.push(id);
      return;
    }
    entry.sent = true;
    try {
      socket.send(entry.payload);
    } catch (error) {
      // A socket that cannot send is gone even if its close event has not arrived yet.
      this.#logger?.warn('signalling send failed', { error });
      this.#drop(socket);
    }
  }

  #openSocket(onOpen: () => void, onFailure: (error: DotmError) => void): void {
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(this.#url);
    } catch (error) {
      onFailure(new DotmError('network', `cannot open ${this.#url}`, { cause: error }));
      return;
    }
    this.#socket = socket;
    let opened = false;
    this.#openTimer = setTimeout(() => {
      if (socket !== this.#socket || opened) return;
      this.#detach(socket);
      onFailure(
        new DotmError('timeout', `${this.#url} did not open within ${this.#requestTimeoutMs / 1000} s`),
      );
    }, this.#requestTimeoutMs);
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      opened = true;
      clearTimeout(this.#openTimer);
      onOpen();
    };
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#handleMessage(event.data);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      clearTimeout(this.#openTimer);
      if (!opened) {
        this.#detach(socket);
        onFailure(new DotmError('network', `cannot connect to ${this.#url} (close code ${event.code})`));
        return;
      }
      this.#drop(socket, event.code === SERVICE_RESTART);
    };
    // Browsers follow every error with a close event, which is where the handling happens.
    socket.onerror = () => {};
  }

  #handleMessage(data: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(data)) as ServerMessage;
    } catch {
      this.#logger?.warn('signalling: ignoring a message that is not JSON');
      return;
    }
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return;
    if (message.type !== 'response') {
      this.emit('event', message);
      return;
    }
    const entry = this.#pending.get(message.id);
    if (!entry) return;
    this.#forget(message.id);
    clearTimeout(entry.timer);
    if (message.ok) entry.resolve(message.data);
    else entry.reject(DotmError.fromErrorBody(message.error));
  }

  #markReady(): void {
    this.#ready = true;
    this.#reconnectAttempt = 0;
    this.#setState('open');
    this.#schedulePing();
    const queued = this.#queue.splice(0);
    for (const id of queued) {
      const entry = this.#pending.get(id);
      if (entry) this.#transmit(id, entry);
    }
  }

  #schedulePing(): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = setTimeout(() => {
      const socket = this.#socket;
      if (!this.#ready || !socket) return;
      this.request('ping', {}).then(
        () => this.#schedulePing(),
        (error: DotmError) => {
          // An unanswered ping means the path is dead even if the socket has not noticed.
          if (error.code === 'timeout' && socket === this.#socket) this.#drop(socket);
        },
      );
    }, this.#pingIntervalMs);
  }

  /**
   * The open socket went away: fail what was on the wire, keep the queue, try again later — at
   * once (with a little jitter) when the controller said it is handing the room over (1012).
   */
  #drop(socket: WebSocketLike, handedOver = false): void {
    if (socket !== this.#socket || this.#state === 'closed') return;
    this.#detach(socket);
    this.#ready = false;
    clearTimeout(this.#pingTimer);
    for (const [id, entry] of [...this.#pending]) {
      if (!entry.sent) continue;
      this.#forget(id);
      clearTimeout(entry.timer);
      entry.reject(
        new DotmError('disconnected', `the connection dropped before '${entry.type}' was answered`),
      );
    }
    this.#setState('reconnecting');
    this.#scheduleReconnect(handedOver);
  }

  #scheduleReconnect(immediately = false): void {
    // Jitter keeps a room's participants from all arriving at the new home in the same millisecond.
    const delay = immediately
      ? Math.floor(this.#random() * HANDOVER_JITTER_MS)
      : backoffDelay(this.#reconnectAttempt++, this.#reconnectBackoff, this.#random);
    this.#logger?.debug('signalling: reconnecting', { delayMs: delay, attempt: this.#reconnectAttempt });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#reconnect(), delay);
  }

  #reconnect(): void {
    if (this.#state !== 'reconnecting') return;
    this.#openSocket(
      () => void this.#afterReconnect(),
      (error) => {
        this.#logger?.debug('signalling: reconnect attempt failed', { error });
        if (this.#state === 'reconnecting') this.#scheduleReconnect();
      },
    );
  }

  async #afterReconnect(): Promise<void> {
    const socket = this.#socket;
    try {
      await this.#onReconnect?.((type, fields, options = {}) => this.#enqueue(type, fields, options, true));
    } catch (error) {
      if (this.#state === 'closed') return;
      this.#logger?.warn('signalling: rejoin failed', { error });
      if (socket && socket === this.#socket) this.#drop(socket);
      return;
    }
    if (socket === this.#socket && this.#state === 'reconnecting') this.#markReady();
  }

  #detach(socket: WebSocketLike): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    try {
      socket.close(NORMAL_CLOSURE);
    } catch {
      // Closing a socket that never opened may throw in some implementations; it is gone either way.
    }
    if (socket === this.#socket) this.#socket = undefined;
  }

  #shutDown(error: DotmError): void {
    this.#ready = false;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#openTimer);
    if (this.#socket) this.#detach(this.#socket);
    this.#setState('closed');
    for (const [id, entry] of [...this.#pending]) {
      this.#forget(id);
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  #setState(state: SignallingState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
