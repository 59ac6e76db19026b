import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../../log/Logger.ts';
import { StunAttributeType, StunClass, StunErrorCode, StunMethod } from '../stun/constants.ts';
import { isStunPacket, StunMessage } from '../stun/StunMessage.ts';
import {
  IceEndpoint,
  type IceEndpointHandler,
  type IceEndpointHost,
  type IceEndpointOptions,
  type TupleBinding,
  type UdpMuxCounters,
} from './IceEndpoint.ts';
import { ICE_UFRAG_LENGTH, randomIceString } from './iceCredentials.ts';
import { ipLiteralLookup } from './ipLiteralLookup.ts';
import { remoteTuple } from './RemoteTuple.ts';

export type { IceEndpointHandler, IceEndpointOptions } from './IceEndpoint.ts';

export interface UdpMuxOptions {
  /** IP literal to bind (IPv4, or IPv6 for a udp6 socket). */
  listenIp: string;
  /** The address put in our candidates; defaults to listenIp. */
  announcedIp?: string;
  port?: number;
  /** Inclusive; the first free port is taken. Ignored when `port` is given. */
  portRange?: [number, number];
  /** Default 4 MiB: a keyframe burst from many publishers must not overflow (Linux caps it at net.core.rmem_max). */
  recvBufferBytes?: number;
  /** Default 4 MiB (capped at net.core.wmem_max). */
  sendBufferBytes?: number;
  /** Period of the one consent timer of the mux; default 1000 ms. */
  consentCheckIntervalMs?: number;
  /** Where handler exceptions and socket errors are reported. */
  logger?: Logger;
}

export interface UdpMuxStats {
  endpoints: number;
  tuples: number;
  droppedDatagrams: number;
  stunRequests: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  /** Exceptions thrown by IceEndpointHandler callbacks (caught, so one bad handler cannot stop the socket). */
  handlerErrors: number;
}

const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
const DEFAULT_CONSENT_CHECK_INTERVAL_MS = 1000;

/**
 * One UDP socket shared by every ICE endpoint of a media worker (like mediasoup's WebRtcServer): the
 * server side of ICE-lite (RFC 8445 2.5), demultiplexed per RFC 7983. STUN binding requests are
 * routed by the local ufrag in USERNAME and, once authenticated, bind their source tuple to the
 * endpoint; every other datagram is routed by source tuple alone.
 */
export class UdpMux {
  readonly localPort: number;
  readonly listenIp: string;
  readonly announcedIp: string;
  /** What the kernel granted (Linux reports twice the usable size). */
  readonly recvBufferBytes: number;
  readonly sendBufferBytes: number;

  readonly #socket: Socket;
  readonly #counters: UdpMuxCounters = {
    droppedDatagrams: 0,
    stunRequests: 0,
    bytesIn: 0,
    bytesOut: 0,
    packetsIn: 0,
    packetsOut: 0,
    handlerErrors: 0,
  };
  readonly #endpointsByUfrag = new Map<string, IceEndpoint>();
  readonly #endpoints = new Set<IceEndpoint>();
  /** address → port → binding: two lookups and no key string per datagram. */
  readonly #bindings = new Map<string, Map<number, TupleBinding>>();
  #tupleCount = 0;
  readonly #host: IceEndpointHost;
  readonly #timer: NodeJS.Timeout;
  readonly #logger: Logger | undefined;
  #closed: Promise<void> | undefined;

  private constructor(socket: Socket, options: UdpMuxOptions) {
    this.#socket = socket;
    this.#logger = options.logger;
    this.listenIp = options.listenIp;
    this.announcedIp = options.announcedIp ?? options.listenIp;
    this.localPort = socket.address().port;
    const wantedRecv = options.recvBufferBytes ?? DEFAULT_BUFFER_BYTES;
    const wantedSend = options.sendBufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.recvBufferBytes = setBufferSize(socket, 'recv', wantedRecv);
    this.sendBufferBytes = setBufferSize(socket, 'send', wantedSend);
    if (this.recvBufferBytes < wantedRecv || this.sendBufferBytes < wantedSend) {
      this.#logger?.warn('udp mux: the kernel capped the socket buffers; raise net.core.rmem_max/wmem_max', {
        wantedRecv,
        recv: this.recvBufferBytes,
        wantedSend,
        send: this.sendBufferBytes,
      });
    }
    this.#host = {
      socket,
      counters: this.#counters,
      allocateUfrag: () => this.#allocateUfrag(),
      registerUfrag: (ufrag, endpoint) => this.#endpointsByUfrag.set(ufrag, endpoint),
      unregisterUfrag: (ufrag) => this.#endpointsByUfrag.delete(ufrag),
      unbindTuple: (binding) => this.#unbindTuple(binding),
      endpointClosed: (endpoint) => this.#endpoints.delete(endpoint),
      handlerError: (error, callback) => this.#handlerError(error, callback),
    };
    socket.on('message', this.#onMessage);
    socket.on('error', (error) =>
      this.#logger?.warn('udp mux socket error', { port: this.localPort, error }),
    );
    this.#timer = setInterval(
      () => this.#tick(),
      options.consentCheckIntervalMs ?? DEFAULT_CONSENT_CHECK_INTERVAL_MS,
    );
    this.#timer.unref();
  }

  static async bind(options: UdpMuxOptions): Promise<UdpMux> {
    const family = isIP(options.listenIp);
    if (family === 0) throw new TypeError(`listenIp must be an IP address: ${options.listenIp}`);
    const ports = candidatePorts(options);
    for (let i = 0; i < ports.length; i++) {
      const socket = createSocket({
        type: family === 6 ? 'udp6' : 'udp4',
        reuseAddr: false,
        lookup: ipLiteralLookup(family === 6 ? 6 : 4),
      });
      try {
        await bindSocket(socket, ports[i], options.listenIp);
        return new UdpMux(socket, options);
      } catch (error) {
        socket.close();
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!inUse || i === ports.length - 1) throw error;
      }
    }
    throw new Error('unreachable: no candidate port');
  }

  createEndpoint(handler: IceEndpointHandler, options?: IceEndpointOptions): IceEndpoint {
    if (this.#closed !== undefined) throw new Error('UdpMux is closed');
    const endpoint = new IceEndpoint(this.#host, handler, options);
    this.#endpoints.add(endpoint);
    return endpoint;
  }

  /** The host candidate of this mux, without the `a=` prefix. */
  candidate(foundation = '1'): string {
    return `candidate:${foundation} 1 udp 2130706431 ${this.announcedIp} ${this.localPort} typ host`;
  }

  stats(): UdpMuxStats {
    return { endpoints: this.#endpoints.size, tuples: this.#tupleCount, ...this.#counters };
  }

  /** Closes every endpoint (each gets onDisconnected('closed')), then the socket. Idempotent. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    clearInterval(this.#timer);
    let socketClosed!: () => void;
    this.#closed = new Promise((resolve) => {
      socketClosed = resolve;
    });
    // Endpoints first (their handlers may still send), and after #closed is set, so none can be added.
    for (const endpoint of [...this.#endpoints]) endpoint.close();
    this.#socket.close(socketClosed);
    return this.#closed;
  }

  readonly #onMessage = (buf: Buffer, rinfo: RemoteInfo): void => {
    const counters = this.#counters;
    const len = buf.length;
    counters.packetsIn++;
    counters.bytesIn += len;
    if (len > 0 && buf[0] > 3) {
      const binding = this.#bindings.get(rinfo.address)?.get(rinfo.port);
      if (binding === undefined) {
        counters.droppedDatagrams++;
        return;
      }
      binding.active = true;
      try {
        binding.endpoint.handler.onPacket(buf, len, binding.tuple);
      } catch (error) {
        this.#handlerError(error, 'onPacket');
      }
      return;
    }
    try {
      this.#onStun(buf, len, rinfo);
    } catch (error) {
      counters.droppedDatagrams++;
      this.#logger?.warn('udp mux: STUN handling failed', { error });
    }
  };

  #onStun(buf: Buffer, len: number, rinfo: RemoteInfo): void {
    const counters = this.#counters;
    const message = isStunPacket(buf, len) ? StunMessage.parse(buf, len) : undefined;
    if (message === undefined || message.method !== StunMethod.Binding) {
      counters.droppedDatagrams++;
      return;
    }
    if (message.messageClass === StunClass.Indication) {
      // A keepalive (RFC 8445 11): fresh traffic from a bound tuple, nothing to answer.
      const binding = this.#bindings.get(rinfo.address)?.get(rinfo.port);
      if (binding === undefined) counters.droppedDatagrams++;
      else binding.active = true;
      return;
    }
    if (message.messageClass !== StunClass.Request) {
      counters.droppedDatagrams++;
      return;
    }
    counters.stunRequests++;
    const username = message.username ?? '';
    const colon = username.indexOf(':');
    const localUfrag = username.slice(0, colon);
    const endpoint = colon > 0 ? this.#endpointsByUfrag.get(localUfrag) : undefined;
    if (endpoint === undefined || (message.hasFingerprint && !message.verifyFingerprint())) {
      counters.droppedDatagrams++;
      return;
    }
    const pwd = endpoint.passwordFor(localUfrag, username.slice(colon + 1));
    if (!message.hasIntegrity) {
      this.#replyError(message, rinfo, StunErrorCode.BadRequest);
      return;
    }
    if (pwd === undefined || !message.verifyIntegrity(pwd)) {
      this.#replyError(message, rinfo, StunErrorCode.Unauthorized);
      return;
    }
    // We are always controlled (ICE-lite). A peer that also claims controlled loses the tie-break (RFC 8445 7.3.1.1).
    if (message.iceControlled !== undefined) {
      this.#replyError(message, rinfo, StunErrorCode.RoleConflict, pwd);
      return;
    }
    const existing = this.#bindings.get(rinfo.address)?.get(rinfo.port);
    if (
      existing !== undefined &&
      existing.endpoint !== endpoint &&
      existing.endpoint.isSelectedAndConnected(existing)
    ) {
      // The live path of another session is never taken over (that would let a spoofed check hijack it);
      // a tuple that is merely bound moves to whoever authenticates on it last.
      counters.droppedDatagrams++;
      return;
    }
    const response = new StunMessage({
      method: StunMethod.Binding,
      messageClass: StunClass.SuccessResponse,
      transactionId: message.transactionId,
    }).setXorMappedAddress(rinfo.address, rinfo.port);
    this.#sendTo(response.serialize({ integrityKey: pwd, fingerprint: true }), rinfo);
    const binding = this.#bindTuple(endpoint, rinfo);
    endpoint.acceptCheck(
      localUfrag,
      binding,
      message.hasAttribute(StunAttributeType.UseCandidate),
      performance.now(),
    );
  }

  #replyError(request: StunMessage, rinfo: RemoteInfo, code: number, integrityKey?: string): void {
    const response = new StunMessage({
      method: StunMethod.Binding,
      messageClass: StunClass.ErrorResponse,
      transactionId: request.transactionId,
    }).setErrorCode(code);
    this.#sendTo(response.serialize({ integrityKey, fingerprint: true }), rinfo);
  }

  #sendTo(datagram: Buffer, rinfo: RemoteInfo): void {
    this.#counters.packetsOut++;
    this.#counters.bytesOut += datagram.length;
    this.#socket.send(datagram, rinfo.port, rinfo.address);
  }

  #bindTuple(endpoint: IceEndpoint, rinfo: RemoteInfo): TupleBinding {
    let byPort = this.#bindings.get(rinfo.address);
    const existing = byPort?.get(rinfo.port);
    if (existing !== undefined) {
      if (existing.endpoint === endpoint) return existing;
      // The same remote tuple now authenticates for another endpoint (a reused client socket): move it.
      existing.endpoint.detachBinding(existing);
      this.#unbindTuple(existing);
      byPort = this.#bindings.get(rinfo.address);
    }
    const binding: TupleBinding = {
      tuple: remoteTuple(rinfo.address, rinfo.port, rinfo.family),
      endpoint,
      active: true,
      lastActivityMs: performance.now(),
    };
    if (byPort === undefined) {
      byPort = new Map();
      this.#bindings.set(rinfo.address, byPort);
    }
    byPort.set(rinfo.port, binding);
    this.#tupleCount++;
    endpoint.attachBinding(binding);
    return binding;
  }

  #unbindTuple(binding: TupleBinding): void {
    const byPort = this.#bindings.get(binding.tuple.address);
    if (byPort?.get(binding.tuple.port) !== binding) return;
    byPort.delete(binding.tuple.port);
    if (byPort.size === 0) this.#bindings.delete(binding.tuple.address);
    this.#tupleCount--;
  }

  #allocateUfrag(): string {
    for (;;) {
      const ufrag = randomIceString(ICE_UFRAG_LENGTH);
      if (!this.#endpointsByUfrag.has(ufrag)) return ufrag;
    }
  }

  #tick(): void {
    const now = performance.now();
    for (const endpoint of this.#endpoints) endpoint.tick(now);
  }

  #handlerError(error: unknown, callback: string): void {
    this.#counters.handlerErrors++;
    this.#logger?.error('ICE endpoint handler threw', { callback, error });
  }
}

function candidatePorts(options: UdpMuxOptions): number[] {
  if (options.port !== undefined) return [options.port];
  if (options.portRange === undefined) return [0];
  const [first, last] = options.portRange;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535 || first > last) {
    throw new RangeError(`invalid portRange [${first}, ${last}]`);
  }
  const ports: number[] = [];
  for (let port = first; port <= last; port++) ports.push(port);
  return ports;
}

function bindSocket(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    // exclusive: a cluster worker gets its own socket instead of sharing the primary's handle.
    socket.bind({ port, address, exclusive: true });
  });
}

function setBufferSize(socket: Socket, which: 'recv' | 'send', bytes: number): number {
  try {
    if (which === 'recv') {
      socket.setRecvBufferSize(bytes);
      return socket.getRecvBufferSize();
    }
    socket.setSendBufferSize(bytes);
    return socket.getSendBufferSize();
  } catch {
    return which === 'recv' ? socket.getRecvBufferSize() : socket.getSendBufferSize();
  }
}
