import type { Socket } from 'node:dgram';
import { egressScratch } from '../transport/EgressScratch.ts';
import { ICE_PWD_LENGTH, randomIceString } from './iceCredentials.ts';
import type { RemoteTuple } from './RemoteTuple.ts';

export interface IceEndpointHandler {
  /** The first valid (or nominated) tuple was selected, or the selection moved to another tuple. */
  onConnected(tuple: RemoteTuple): void;
  /** Every non-STUN datagram (DTLS/RTP/RTCP) from a tuple bound to this endpoint; `buf` may be reused afterwards. */
  onPacket(buf: Buffer, len: number, tuple: RemoteTuple): void;
  /**
   * 'consent-timeout': nothing arrived on the selected tuple for consentTimeoutMs (or no valid check came
   * within connectTimeoutMs). The endpoint then stops sending and unbinds its tuples but keeps its
   * credentials: a later valid check reconnects it (onConnected again). 'closed': close() was called,
   * directly or by UdpMux.close(); fired once, even after a consent timeout.
   */
  onDisconnected(reason: 'consent-timeout' | 'closed'): void;
}

export interface IceEndpointOptions {
  /** Silence on the selected tuple after which consent is lost (RFC 7675 uses 30 s; browsers check every 2.5–5 s). */
  consentTimeoutMs?: number;
  /** How long a new endpoint waits for its first valid check before reporting 'consent-timeout'. */
  connectTimeoutMs?: number;
}

export type IceEndpointState = 'new' | 'connected' | 'disconnected' | 'closed';

/** A remote tuple bound to one endpoint, plus what the consent timer needs to know about it. */
export interface TupleBinding {
  readonly tuple: RemoteTuple;
  readonly endpoint: IceEndpoint;
  /** Set on every datagram (a store, not a clock read); the consent timer folds it into lastActivityMs. */
  active: boolean;
  lastActivityMs: number;
}

/** Counters shared by a mux and its endpoints: endpoints count their own sends. */
export interface UdpMuxCounters {
  droppedDatagrams: number;
  stunRequests: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  handlerErrors: number;
}

/** What an endpoint needs from the mux that owns it (kept off the mux's public surface). */
export interface IceEndpointHost {
  readonly socket: Socket;
  readonly counters: UdpMuxCounters;
  allocateUfrag(): string;
  registerUfrag(ufrag: string, endpoint: IceEndpoint): void;
  unregisterUfrag(ufrag: string): void;
  unbindTuple(binding: TupleBinding): void;
  endpointClosed(endpoint: IceEndpoint): void;
  handlerError(error: unknown, callback: string): void;
}

interface PreviousCredentials {
  ufrag: string;
  pwd: string;
  remoteUfrag: string | undefined;
}

export const DEFAULT_CONSENT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Bound on candidate pairs per endpoint, so a peer cannot grow our tables without limit. */
const MAX_TUPLES_PER_ENDPOINT = 8;

/**
 * The ICE-lite (controlled) side of one peer connection, sharing the UDP socket of its UdpMux.
 * Created by `UdpMux.createEndpoint`; the mux authenticates checks and routes datagrams here.
 */
export class IceEndpoint {
  /** When set (from the remote SDP), a check's USERNAME must be `${localUfrag}:${remoteUfrag}`. */
  remoteUfrag?: string;
  readonly handler: IceEndpointHandler;
  readonly consentTimeoutMs: number;
  readonly connectTimeoutMs: number;

  #localUfrag: string;
  #localPwd: string;
  /** Credentials before the last restart, honoured until a check with the new ones arrives. */
  #previous: PreviousCredentials | undefined;
  #selected: TupleBinding | undefined;
  #nominated = false;
  #bindings: TupleBinding[] = [];
  #state: IceEndpointState = 'new';
  #stateSinceMs: number;
  readonly #host: IceEndpointHost;
  readonly #socket: Socket;
  readonly #counters: UdpMuxCounters;

  constructor(host: IceEndpointHost, handler: IceEndpointHandler, options: IceEndpointOptions = {}) {
    this.#host = host;
    this.#socket = host.socket;
    this.#counters = host.counters;
    this.handler = handler;
    this.consentTimeoutMs = options.consentTimeoutMs ?? DEFAULT_CONSENT_TIMEOUT_MS;
    this.connectTimeoutMs =
      options.connectTimeoutMs ?? Math.max(this.consentTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.#localUfrag = host.allocateUfrag();
    this.#localPwd = randomIceString(ICE_PWD_LENGTH);
    this.#stateSinceMs = performance.now();
    host.registerUfrag(this.#localUfrag, this);
  }

  get localUfrag(): string {
    return this.#localUfrag;
  }

  get localPwd(): string {
    return this.#localPwd;
  }

  get selectedTuple(): RemoteTuple | undefined {
    return this.#selected?.tuple;
  }

  get state(): IceEndpointState {
    return this.#state;
  }

  /** True once the controlling peer sent USE-CANDIDATE on the selected tuple. */
  get nominated(): boolean {
    return this.#nominated;
  }

  /** Every tuple currently bound to this endpoint (for stats and tests). */
  get tuples(): RemoteTuple[] {
    return this.#bindings.map((binding) => binding.tuple);
  }

  /** Hot path: to the selected tuple, or nowhere. Send errors (e.g. ENOBUFS) are dropped by Node without a callback. */
  send(buf: Buffer, offset: number, len: number): void {
    const selected = this.#selected;
    if (selected === undefined) return;
    const counters = this.#counters;
    counters.packetsOut++;
    counters.bytesOut += len;
    const socket = this.#socket;
    socket.send(buf, offset, len, selected.tuple.port, selected.tuple.address);
    // Not sent yet: libuv queued it and still reads `buf` (see EgressScratch).
    if (socket.getSendQueueCount() !== 0) egressScratch.queued(buf);
  }

  /** ICE restart: new local credentials; the old ones and the bound tuples keep working until a check with the new ones arrives. */
  restart(remoteUfrag?: string): { ufrag: string; pwd: string } {
    if (this.#state === 'closed') throw new Error('ICE endpoint is closed');
    if (this.#previous !== undefined) this.#host.unregisterUfrag(this.#previous.ufrag);
    this.#previous = { ufrag: this.#localUfrag, pwd: this.#localPwd, remoteUfrag: this.remoteUfrag };
    this.#localUfrag = this.#host.allocateUfrag();
    this.#localPwd = randomIceString(ICE_PWD_LENGTH);
    this.#host.registerUfrag(this.#localUfrag, this);
    this.remoteUfrag = remoteUfrag;
    return { ufrag: this.#localUfrag, pwd: this.#localPwd };
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#host.unregisterUfrag(this.#localUfrag);
    if (this.#previous !== undefined) this.#host.unregisterUfrag(this.#previous.ufrag);
    this.#previous = undefined;
    this.#unbindAll();
    this.#host.endpointClosed(this);
    this.#notifyDisconnected('closed');
  }

  /**
   * For the mux: the password a check addressed to `localUfrag` must be signed with, or undefined
   * when its remote ufrag is not the expected one.
   */
  passwordFor(localUfrag: string, remoteUfrag: string): string | undefined {
    if (localUfrag === this.#localUfrag) {
      return this.remoteUfrag === undefined || this.remoteUfrag === remoteUfrag ? this.#localPwd : undefined;
    }
    const previous = this.#previous;
    if (previous !== undefined && localUfrag === previous.ufrag) {
      return previous.remoteUfrag === undefined || previous.remoteUfrag === remoteUfrag
        ? previous.pwd
        : undefined;
    }
    return undefined;
  }

  /** For the mux: whether `binding` carries this endpoint's live media path. */
  isSelectedAndConnected(binding: TupleBinding): boolean {
    return this.#state === 'connected' && this.#selected === binding;
  }

  /** For the mux: a binding is now routed to this endpoint. Past the per-endpoint cap, the stalest unselected tuple is evicted. */
  attachBinding(binding: TupleBinding): void {
    if (this.#bindings.length >= MAX_TUPLES_PER_ENDPOINT) {
      let stalest: TupleBinding | undefined;
      for (const candidate of this.#bindings) {
        if (candidate === this.#selected) continue;
        if (stalest === undefined || candidate.lastActivityMs < stalest.lastActivityMs) stalest = candidate;
      }
      if (stalest !== undefined) this.#unbind(stalest);
    }
    this.#bindings.push(binding);
  }

  /** For the mux: the binding now belongs to another endpoint (the same remote tuple checked with other credentials). */
  detachBinding(binding: TupleBinding): void {
    const index = this.#bindings.indexOf(binding);
    if (index >= 0) this.#bindings.splice(index, 1);
    if (this.#selected === binding) {
      this.#selected = undefined;
      this.#nominated = false;
    }
  }

  /** For the mux: a check with valid integrity arrived on `binding` (already attached) addressed to `localUfrag`. */
  acceptCheck(localUfrag: string, binding: TupleBinding, useCandidate: boolean, nowMs: number): void {
    if (this.#state === 'closed') return;
    binding.active = true;
    binding.lastActivityMs = nowMs;
    if (this.#previous !== undefined && localUfrag === this.#localUfrag) {
      this.#host.unregisterUfrag(this.#previous.ufrag);
      this.#previous = undefined;
    }
    // Controlled role: follow the peer's nomination; without one, the first valid tuple serves until it nominates.
    const select = useCandidate
      ? this.#selected !== binding || !this.#nominated
      : this.#selected === undefined;
    if (useCandidate) this.#nominated = true;
    if (!select) return;
    const changed = this.#selected !== binding;
    this.#selected = binding;
    if (this.#state !== 'connected') {
      this.#state = 'connected';
      this.#stateSinceMs = nowMs;
    }
    if (changed) this.#notifyConnected(binding.tuple);
  }

  /** For the mux's consent timer, about once a second. */
  tick(nowMs: number): void {
    const bindings = this.#bindings;
    for (let i = bindings.length - 1; i >= 0; i--) {
      const binding = bindings[i];
      if (binding.active) {
        binding.active = false;
        binding.lastActivityMs = nowMs;
      } else if (binding !== this.#selected && nowMs - binding.lastActivityMs > this.consentTimeoutMs) {
        this.#unbind(binding);
      }
    }
    if (this.#state === 'connected') {
      const selected = this.#selected;
      if (selected === undefined || nowMs - selected.lastActivityMs > this.consentTimeoutMs)
        this.#loseConsent(nowMs);
    } else if (this.#state === 'new' && nowMs - this.#stateSinceMs > this.connectTimeoutMs) {
      this.#loseConsent(nowMs);
    }
  }

  #loseConsent(nowMs: number): void {
    this.#state = 'disconnected';
    this.#stateSinceMs = nowMs;
    this.#unbindAll();
    this.#notifyDisconnected('consent-timeout');
  }

  #unbind(binding: TupleBinding): void {
    this.detachBinding(binding);
    this.#host.unbindTuple(binding);
  }

  #unbindAll(): void {
    const bindings = this.#bindings;
    this.#bindings = [];
    this.#selected = undefined;
    this.#nominated = false;
    for (const binding of bindings) this.#host.unbindTuple(binding);
  }

  #notifyConnected(tuple: RemoteTuple): void {
    try {
      this.handler.onConnected(tuple);
    } catch (error) {
      this.#host.handlerError(error, 'onConnected');
    }
  }

  #notifyDisconnected(reason: 'consent-timeout' | 'closed'): void {
    try {
      this.handler.onDisconnected(reason);
    } catch (error) {
      this.#host.handlerError(error, 'onDisconnected');
    }
  }
}
