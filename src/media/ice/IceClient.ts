import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP, isIPv6 } from 'node:net';
import { StunClass, StunErrorCode, StunMethod } from '../stun/constants.ts';
import { isStunPacket, type StunAddress, StunMessage } from '../stun/StunMessage.ts';
import { ipLiteralLookup } from './ipLiteralLookup.ts';

export interface IceClientCredentials {
  localUfrag: string;
  localPwd: string;
  remoteUfrag: string;
  remotePwd: string;
}

export interface IceClientOptions extends IceClientCredentials {
  /** A bound or unbound socket to use; the client binds its own (on an ephemeral port) when omitted. */
  socket?: Socket;
  /** Where the client's own socket binds; the unspecified address of the remote's family by default. */
  localAddress?: string;
  /** An IP literal (no DNS on this path). */
  remote: { address: string; port: number };
  /** How long connect() (and restart()) waits for a success response; default 10 s. */
  timeoutMs?: number;
  /** Range of the random interval between consent checks; default [2000, 5000] ms. */
  consentIntervalMs?: [number, number];
  /** After this long without a consent response the client gives up (RFC 7675: 30 s). */
  consentTimeoutMs?: number;
  priority?: number;
  tieBreaker?: bigint;
  onPacket?: (buf: Buffer, len: number) => void;
  onDisconnected?: (reason: 'consent-timeout' | 'closed') => void;
}

/** Peer-reflexive priority of a host-ish candidate, component 1 (RFC 8445 5.1.2.1). */
const DEFAULT_PRIORITY = (110 << 24) + (65535 << 8) + 255;
const FIRST_RETRANSMIT_MS = 50;
const MAX_RETRANSMIT_MS = 1600;
const DEFAULT_CONSENT_TIMEOUT_MS = 30_000;

interface PendingCheck {
  transactionId: Buffer;
  remotePwd: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The controlling side of ICE with one candidate pair, for Node clients (load generator, tests) that
 * talk to our ICE-lite server without a full WebRTC stack: nominates on the first check, then sends
 * consent checks (RFC 7675) until close().
 */
export class IceClient {
  onPacket: ((buf: Buffer, len: number) => void) | undefined;
  onDisconnected: ((reason: 'consent-timeout' | 'closed') => void) | undefined;
  readonly socket: Socket;
  readonly remote: { address: string; port: number };
  /** Our address as the server saw it (XOR-MAPPED-ADDRESS of the last success response). */
  mappedAddress: StunAddress | undefined;

  #credentials: IceClientCredentials;
  readonly #ownsSocket: boolean;
  readonly #priority: number;
  readonly #tieBreaker: bigint;
  readonly #consentIntervalMs: [number, number];
  readonly #consentTimeoutMs: number;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, PendingCheck>();
  #lastConsentMs = performance.now();
  #consentTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(socket: Socket, ownsSocket: boolean, options: IceClientOptions) {
    this.socket = socket;
    this.#ownsSocket = ownsSocket;
    this.remote = { address: options.remote.address, port: options.remote.port };
    this.#credentials = {
      localUfrag: options.localUfrag,
      localPwd: options.localPwd,
      remoteUfrag: options.remoteUfrag,
      remotePwd: options.remotePwd,
    };
    this.#priority = options.priority ?? DEFAULT_PRIORITY;
    this.#tieBreaker = options.tieBreaker ?? randomBytes(8).readBigUInt64BE(0);
    this.#consentIntervalMs = options.consentIntervalMs ?? [2000, 5000];
    this.#consentTimeoutMs = options.consentTimeoutMs ?? DEFAULT_CONSENT_TIMEOUT_MS;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.onPacket = options.onPacket;
    this.onDisconnected = options.onDisconnected;
    socket.on('message', this.#onMessage);
  }

  static async connect(options: IceClientOptions): Promise<IceClient> {
    const ownsSocket = options.socket === undefined;
    if (isIP(options.remote.address) === 0)
      throw new TypeError(`remote.address must be an IP: ${options.remote.address}`);
    const family = isIPv6(options.remote.address) ? 6 : 4;
    const socket =
      options.socket ??
      createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: ipLiteralLookup(family) });
    if (ownsSocket) {
      socket.on('error', () => {}); // errors surface as check timeouts
      await new Promise<void>((resolve) => socket.bind(0, options.localAddress, resolve));
    }
    const client = new IceClient(socket, ownsSocket, options);
    try {
      await client.#check(true, true);
    } catch (error) {
      client.#shutdown();
      throw error;
    }
    client.#lastConsentMs = performance.now();
    client.#scheduleConsent();
    return client;
  }

  /** Sends one datagram to the server; dropped after close(). */
  send(buf: Buffer, offset: number, len: number): void {
    if (this.#closed) return;
    this.socket.send(buf, offset, len, this.remote.port, this.remote.address);
  }

  /** ICE restart from the controlling side: checks (and nominates) with the new credentials. */
  async restart(credentials: IceClientCredentials): Promise<void> {
    if (this.#closed) throw new Error('IceClient is closed');
    this.#credentials = { ...credentials };
    await this.#check(true, true);
    this.#lastConsentMs = performance.now();
  }

  close(): void {
    if (this.#closed) return;
    this.#shutdown();
    this.onDisconnected?.('closed');
  }

  #shutdown(): void {
    this.#closed = true;
    clearTimeout(this.#consentTimer);
    for (const pending of this.#pending.values()) pending.reject(new Error('IceClient closed'));
    this.#pending.clear();
    this.socket.off('message', this.#onMessage);
    if (this.#ownsSocket) this.socket.close();
  }

  /** One transaction: retransmitted (50 ms, doubling up to 1.6 s) until answered or timed out when `retransmit`. */
  #check(useCandidate: boolean, retransmit: boolean): Promise<void> {
    const credentials = this.#credentials;
    const request = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
      .setUsername(`${credentials.remoteUfrag}:${credentials.localUfrag}`)
      .setPriority(this.#priority)
      .setIceControlling(this.#tieBreaker);
    if (useCandidate) request.setUseCandidate();
    const datagram = request.serialize({ integrityKey: credentials.remotePwd, fingerprint: true });
    const key = request.transactionId.toString('hex');
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        clearTimeout(deadline);
        this.#pending.delete(key);
        if (error) reject(error);
        else resolve();
      };
      deadline = setTimeout(
        () => finish(new Error(`ICE check timed out after ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      this.#pending.set(key, {
        transactionId: request.transactionId,
        remotePwd: credentials.remotePwd,
        resolve: () => finish(),
        reject: (error) => finish(error),
      });
      let delay = FIRST_RETRANSMIT_MS;
      const transmit = (): void => {
        if (this.#closed) return;
        this.socket.send(datagram, this.remote.port, this.remote.address);
        if (!retransmit) return;
        timer = setTimeout(transmit, delay);
        delay = Math.min(delay * 2, MAX_RETRANSMIT_MS);
      };
      transmit();
    });
  }

  #scheduleConsent(): void {
    if (this.#closed) return;
    const [min, max] = this.#consentIntervalMs;
    this.#consentTimer = setTimeout(
      () => {
        if (this.#closed) return;
        if (performance.now() - this.#lastConsentMs > this.#consentTimeoutMs) {
          this.#shutdown();
          this.onDisconnected?.('consent-timeout');
          return;
        }
        // Consent checks are not retransmitted (RFC 7675 5.1): the next one is the retry.
        this.#check(false, false).then(
          () => {
            this.#lastConsentMs = performance.now();
          },
          () => {},
        );
        this.#scheduleConsent();
      },
      min + Math.random() * (max - min),
    );
  }

  readonly #onMessage = (buf: Buffer, rinfo: RemoteInfo): void => {
    if (rinfo.port !== this.remote.port || !sameAddress(rinfo.address, this.remote.address)) return;
    const len = buf.length;
    if (len > 0 && buf[0] > 3) {
      this.onPacket?.(buf, len);
      return;
    }
    if (!isStunPacket(buf, len)) return;
    const message = StunMessage.parse(buf, len);
    if (message === undefined || message.method !== StunMethod.Binding) return;
    const pending = this.#pending.get(message.transactionId.toString('hex'));
    if (pending === undefined) return;
    if (message.hasFingerprint && !message.verifyFingerprint()) return;
    if (message.messageClass === StunClass.SuccessResponse) {
      if (!message.verifyIntegrity(pending.remotePwd)) return;
      this.mappedAddress = message.xorMappedAddress;
      pending.resolve();
    } else if (message.messageClass === StunClass.ErrorResponse) {
      const error = message.errorCode;
      // A 401 cannot carry integrity (the server could not authenticate us); other errors must.
      if (error?.code !== StunErrorCode.Unauthorized && !message.verifyIntegrity(pending.remotePwd)) return;
      pending.reject(new Error(`ICE check failed: ${error?.code ?? '?'} ${error?.reason ?? ''}`.trim()));
    }
  };
}

function sameAddress(a: string, b: string): boolean {
  return a === b || a === `::ffff:${b}` || b === `::ffff:${a}`;
}
