import { DtlsClient, DtlsServer, type DtlsSocket } from 'werift';
import type { SrtpKeyMaterial, SrtpProfileName } from '../srtp/SrtpProfile.ts';
import { srtpProfileFromDtlsId } from '../srtp/SrtpProfile.ts';
import { type DtlsCertificate, fingerprintOf } from './DtlsCertificate.ts';

/** DTLS use_srtp profile ids we offer, most preferred first (RFC 5764). */
const OFFERED_SRTP_PROFILES = [0x0001, 0x0002];
const SRTP_KEY_LENGTH = 16;
const SRTP_SALT_LENGTH = 14;

const RECORD_HEADER_LENGTH = 13;
const ContentType = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
const ALERT_FATAL = 2;
const ALERT_CLOSE_NOTIFY = 0;

/** The part of werift's record cipher we use to authenticate post-handshake alerts (AEAD: decrypting verifies). */
interface RecordDecryptor {
  decryptPacket(record: {
    recordLayerHeader: {
      contentType: number;
      protocolVersion: { major: number; minor: number };
      epoch: number;
      sequenceNumber: number;
      contentLen: number;
    };
    fragment: Buffer;
  }): Buffer;
}

export interface DtlsEndpointOptions {
  /** The ICE-lite server side is always the DTLS server (`a=setup:passive`); test clients are clients. */
  role: 'server' | 'client';
  certificate: DtlsCertificate;
  /** From the peer's SDP: the handshake fails unless its certificate matches one of them. */
  remoteFingerprints: ReadonlyArray<{ algorithm: string; value: string }>;
  /** Sends one DTLS datagram to the peer (over the selected ICE tuple). */
  send: (datagram: Buffer) => void;
}

export interface SrtpParameters {
  profile: SrtpProfileName;
  /** Protects what we send. */
  local: SrtpKeyMaterial;
  /** Unprotects what we receive. */
  remote: SrtpKeyMaterial;
}

export interface DtlsEndpointEvents {
  onConnected(srtp: SrtpParameters): void;
  onFailed(error: Error): void;
  /** The peer sent close_notify (or another alert). */
  onClosed(): void;
}

/**
 * One DTLS association, run by werift's DTLS state machine over our own ICE endpoint. It exists only
 * to agree SRTP keys (and verify the peer's certificate against its SDP fingerprint); no media goes
 * through it — that is SrtpSession's job on the hot path.
 */
export class DtlsEndpoint {
  readonly #options: DtlsEndpointOptions;
  readonly #events: DtlsEndpointEvents;
  /** werift's state machine; dropped by releaseHandshake, when only the record cipher is still needed. */
  #socket: DtlsSocket | undefined;
  #cipher: RecordDecryptor | undefined;
  readonly #transport: { onData: (data: Buffer) => void };
  #state: 'new' | 'connecting' | 'connected' | 'failed' | 'closed' = 'new';
  /** Datagrams or records refused before werift saw them (malformed, or not acceptable after the handshake). */
  droppedRecords = 0;

  constructor(options: DtlsEndpointOptions, events: DtlsEndpointEvents) {
    this.#options = options;
    this.#events = events;
    // The object werift calls a "transport": it assigns onData itself and calls send for each datagram.
    const transport = {
      type: 'ice',
      address: {},
      closed: false,
      onData: (_data: Buffer) => {},
      send: async (data: Buffer) => {
        if (this.#state !== 'closed') options.send(data);
      },
      close: async () => {},
    };
    this.#transport = transport;
    const common = {
      cert: options.certificate.certPem,
      key: options.certificate.keyPem,
      signatureHash: options.certificate.signatureHash as never,
      transport: transport as never,
      srtpProfiles: OFFERED_SRTP_PROFILES as never,
      extendedMasterSecret: true,
    };
    this.#socket =
      options.role === 'server'
        ? new DtlsServer({ ...common, certificateRequest: true })
        : new DtlsClient(common);
    this.#socket.onConnect.subscribe(() => this.#handleConnected());
    this.#socket.onError.subscribe((error: Error) =>
      this.#fail(error instanceof Error ? error : new Error(String(error))),
    );
    this.#socket.onClose.subscribe(() => {
      if (this.#state === 'closed' || this.#state === 'failed') return;
      this.#state = 'closed';
      this.#events.onClosed();
    });
  }

  get state(): string {
    return this.#state;
  }

  /** Clients start the handshake; servers wait for the ClientHello. */
  start(): void {
    if (this.#state !== 'new') return;
    this.#state = 'connecting';
    if (this.#socket instanceof DtlsClient) {
      this.#socket
        .connect()
        .catch((error: unknown) => this.#fail(error instanceof Error ? error : new Error(String(error))));
    }
  }

  /**
   * One DTLS datagram from the peer; the buffer must not be reused by the caller afterwards.
   *
   * werift's DTLS was written for a peer it trusts: a record of an unknown content type or a plaintext
   * alert closes the association, a ClientHello restarts it, and a short record throws. Anything that
   * can reach a bound ICE tuple (a spoofed source address is enough) would then end a live session, so
   * records are framed and checked here first, and once keys are agreed only authenticated records count
   * (RFC 6347 section 4.1.2.7: invalid records are silently discarded).
   */
  handleDatagram(datagram: Buffer): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (!isWellFramed(datagram)) {
      this.droppedRecords++;
      return;
    }
    if (this.#state === 'connected') {
      this.#handleAfterHandshake(datagram);
      return;
    }
    if (this.#state === 'new') this.#state = 'connecting';
    this.#deliver(datagram);
  }

  #deliver(datagram: Buffer): void {
    try {
      this.#transport.onData(datagram);
    } catch (error) {
      // werift's parser throws on some malformed records; a hostile datagram must not take the worker down.
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * After the handshake the peer has only two things to say: its Finished again (epoch 1, when our last
   * flight was lost: werift answers it) and an encrypted alert. Plaintext (epoch 0) records, renegotiation
   * and application data (no data channels here) are dropped; an alert counts only if it decrypts.
   */
  #handleAfterHandshake(datagram: Buffer): void {
    for (let at = 0; at < datagram.length; ) {
      const length = RECORD_HEADER_LENGTH + datagram.readUInt16BE(at + 11);
      const record = datagram.subarray(at, at + length);
      at += length;
      const contentType = record[0]!;
      const epoch = record.readUInt16BE(3);
      if (epoch === 0) {
        this.droppedRecords++;
      } else if (contentType === ContentType.handshake && this.#socket !== undefined) {
        this.#deliver(Buffer.from(record));
      } else if (contentType === ContentType.alert) {
        const alert = this.#decrypt(record);
        if (alert === undefined || alert.length !== 2) {
          this.droppedRecords++;
          continue;
        }
        if (alert[0] === ALERT_FATAL || alert[1] === ALERT_CLOSE_NOTIFY) {
          this.#state = 'closed';
          this.#events.onClosed();
          return;
        }
      } else {
        this.droppedRecords++;
      }
    }
  }

  #decrypt(record: Buffer): Buffer | undefined {
    const cipher =
      this.#cipher ?? (this.#socket as unknown as { cipher?: RecordDecryptor } | undefined)?.cipher;
    if (!cipher) return undefined;
    try {
      return cipher.decryptPacket({
        recordLayerHeader: {
          contentType: record[0]!,
          protocolVersion: { major: record[1]!, minor: record[2]! },
          epoch: record.readUInt16BE(3),
          sequenceNumber: record.readUIntBE(5, 6),
          contentLen: record.length - RECORD_HEADER_LENGTH,
        },
        fragment: Buffer.from(record.subarray(RECORD_HEADER_LENGTH)),
      });
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#state = 'closed';
    if (wasConnected && this.#socket !== undefined) {
      try {
        this.#socket.close();
      } catch {
        // Already torn down by werift; nothing to release.
      }
    }
  }

  /**
   * Called once the peer has shown that it finished the handshake (it sent us SRTP or SRTCP, which needs
   * our last flight): werift's handshake state (flights, handshake cache, certificates, key exchange,
   * ~100 KiB per association) is dropped, keeping only the record cipher that authenticates a later
   * alert. A retransmitted Finished can no longer come (the peer has ours), so it is dropped if it does.
   */
  releaseHandshake(): void {
    const socket = this.#socket;
    if (this.#state !== 'connected' || socket === undefined) return;
    this.#cipher = recordDecryptorOf(socket);
    this.#socket = undefined;
    this.#transport.onData = () => {};
  }

  get handshakeReleased(): boolean {
    return this.#socket === undefined && this.#state === 'connected';
  }

  #handleConnected(): void {
    const socket = this.#socket;
    if (this.#state === 'connected' || this.#state === 'closed' || socket === undefined) return;
    try {
      this.#verifyRemoteCertificate();
      const profileId = socket.srtp.srtpProfile as number | undefined;
      const profile = profileId === undefined ? undefined : srtpProfileFromDtlsId(profileId);
      if (!profile) throw new Error(`peer negotiated no supported SRTP profile (${String(profileId)})`);
      const keys = socket.extractSessionKeys(SRTP_KEY_LENGTH, SRTP_SALT_LENGTH);
      this.#state = 'connected';
      this.#events.onConnected({
        profile,
        local: { masterKey: Buffer.from(keys.localKey), masterSalt: Buffer.from(keys.localSalt) },
        remote: { masterKey: Buffer.from(keys.remoteKey), masterSalt: Buffer.from(keys.remoteSalt) },
      });
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  #verifyRemoteCertificate(): void {
    const der = this.#socket?.remoteCertificate;
    if (!der) throw new Error('peer presented no DTLS certificate');
    const matches = this.#options.remoteFingerprints.some(
      ({ algorithm, value }) =>
        isSupportedHash(algorithm) && fingerprintOf(Buffer.from(der), algorithm) === value.toUpperCase(),
    );
    if (!matches) throw new Error('peer DTLS certificate does not match the SDP fingerprint');
  }

  #fail(error: Error): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    this.#events.onFailed(error);
  }
}

/** The record cipher werift's context wraps, without the context (certificates, key exchange, handshake). */
interface WeriftCipherContext {
  sessionType: number;
  cipher?: {
    clientWriteKey?: Buffer;
    serverWriteKey?: Buffer;
    decrypt(
      sessionType: number,
      fragment: Buffer,
      header: { type: number; version: number; epoch: number; sequenceNumber: number },
    ): Buffer;
  };
}

/**
 * What werift's CipherContext.decryptPacket does, holding only the record cipher and the session type.
 * The cipher's write keys are slices of Node's shared Buffer pool, and kept for the association's life
 * each would keep a whole 64 KiB pool slab resident: they are replaced by copies of their own.
 */
function recordDecryptorOf(socket: DtlsSocket): RecordDecryptor | undefined {
  const context = (socket as unknown as { cipher?: WeriftCipherContext }).cipher;
  const aead = context?.cipher;
  if (context === undefined || aead === undefined) return undefined;
  aead.clientWriteKey = ownCopy(aead.clientWriteKey);
  aead.serverWriteKey = ownCopy(aead.serverWriteKey);
  const sessionType = context.sessionType;
  return {
    decryptPacket: ({ recordLayerHeader: header, fragment }) =>
      aead.decrypt(sessionType, fragment, {
        type: header.contentType,
        version: (header.protocolVersion.major << 8) | header.protocolVersion.minor,
        epoch: header.epoch,
        sequenceNumber: header.sequenceNumber,
      }),
  };
}

function ownCopy(buffer: Buffer | undefined): Buffer | undefined {
  if (buffer === undefined) return undefined;
  const copy = Buffer.allocUnsafeSlow(buffer.length);
  buffer.copy(copy);
  return copy;
}

/** One or more complete DTLS 1.x records of the four content types TLS 1.2 defines, and nothing else. */
function isWellFramed(datagram: Buffer): boolean {
  if (datagram.length < RECORD_HEADER_LENGTH) return false;
  for (let at = 0; at < datagram.length; ) {
    if (datagram.length - at < RECORD_HEADER_LENGTH) return false;
    const contentType = datagram[at]!;
    if (contentType < ContentType.changeCipherSpec || contentType > ContentType.applicationData) return false;
    // DTLS 1.0 (0xfeff) or 1.2 (0xfefd); a ClientHello's record may carry either.
    if (datagram[at + 1] !== 0xfe || (datagram[at + 2] !== 0xfd && datagram[at + 2] !== 0xff)) return false;
    at += RECORD_HEADER_LENGTH + datagram.readUInt16BE(at + 11);
    if (at > datagram.length) return false;
  }
  return true;
}

function isSupportedHash(algorithm: string): boolean {
  return ['sha-1', 'sha-256', 'sha-384', 'sha-512'].includes(algorithm.toLowerCase());
}
