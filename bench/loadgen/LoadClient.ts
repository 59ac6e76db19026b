import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { DtlsCertificate } from '../../src/media/dtls/DtlsCertificate.ts';
import { DtlsEndpoint, type SrtpParameters } from '../../src/media/dtls/DtlsEndpoint.ts';
import { IceClient } from '../../src/media/ice/IceClient.ts';
import { randomIceString } from '../../src/media/ice/iceCredentials.ts';
import { ipLiteralLookup } from '../../src/media/ice/ipLiteralLookup.ts';
import { createSrtpSession, type SrtpSession } from '../../src/media/srtp/SrtpSession.ts';
import { StunClass, StunMethod } from '../../src/media/stun/constants.ts';
import { isStunPacket, StunMessage } from '../../src/media/stun/StunMessage.ts';
import { type RemoteDescription, readRemoteDescription } from './RemoteDescription.ts';
import type { LocalTransport } from './SdpBuilder.ts';

export interface LoadClientOptions {
  certificate: DtlsCertificate;
  /** IP literal the client's UDP socket binds to. */
  bindAddress: string;
  /** Socket receive buffer: a viewer must not drop a keyframe burst itself and blame the server. */
  recvBufferBytes: number;
  connectTimeoutMs: number;
}

export interface LoadClientCounters {
  rtpPacketsIn: number;
  rtpBytesIn: number;
  rtcpPacketsIn: number;
  rtpPacketsOut: number;
  rtpBytesOut: number;
  rtcpPacketsOut: number;
  srtpErrors: number;
}

/**
 * One headless WebRTC transport (what a browser's RTCPeerConnection with one BUNDLE group is on the
 * wire): a UDP socket, controlling ICE with one candidate pair, DTLS to agree keys, SRTP both ways.
 * No jitter buffer, no decoding: RTP and RTCP reach `onRtp`/`onRtcp` decrypted, in place.
 */
export class LoadClient {
  onRtp: (buf: Buffer, len: number) => void = () => {};
  onRtcp: (buf: Buffer, len: number) => void = () => {};
  onClosed: (reason: string) => void = () => {};
  readonly counters: LoadClientCounters = {
    rtpPacketsIn: 0,
    rtpBytesIn: 0,
    rtcpPacketsIn: 0,
    rtpPacketsOut: 0,
    rtpBytesOut: 0,
    rtcpPacketsOut: 0,
    srtpErrors: 0,
  };
  readonly local: LocalTransport;
  remote: RemoteDescription | undefined;
  readonly #socket: Socket;
  readonly #options: LoadClientOptions;
  #ice: IceClient | undefined;
  #dtls: DtlsEndpoint | undefined;
  #srtpIn: SrtpSession | undefined;
  #srtpOut: SrtpSession | undefined;
  #remotePort = 0;
  #remoteAddress = '';
  #closed = false;
  #everConnected = false;

  private constructor(socket: Socket, options: LoadClientOptions) {
    this.#socket = socket;
    this.#options = options;
    this.local = {
      iceUfrag: randomIceString(8),
      icePwd: randomIceString(24),
      fingerprint: options.certificate.sha256Fingerprint,
      address: options.bindAddress,
      port: socket.address().port,
    };
    socket.on('message', this.#answerBindingRequest);
  }

  static async create(options: LoadClientOptions): Promise<LoadClient> {
    const socket = createSocket({
      type: 'udp4',
      lookup: ipLiteralLookup(4),
      recvBufferSize: options.recvBufferBytes,
    });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    if (options.recvBufferBytes > 0) socket.setRecvBufferSize(options.recvBufferBytes);
    return new LoadClient(socket, options);
  }

  /** Whether DTLS ever completed (a session that dies later is a lost session, not a failed setup). */
  get everConnected(): boolean {
    return this.#everConnected;
  }

  get connected(): boolean {
    return this.#srtpOut !== undefined && !this.#closed;
  }

  get localPort(): number {
    return this.local.port;
  }

  /**
   * Runs ICE and DTLS against the peer described by `remoteSdp` (its answer to our offer, or the offer
   * we answered). `dtlsRole` is ours: 'client' when the peer is passive.
   */
  async connect(remoteSdp: string, dtlsRole: 'client' | 'server'): Promise<void> {
    const remote = readRemoteDescription(remoteSdp);
    this.remote = remote;
    this.#remoteAddress = remote.candidate.address;
    this.#remotePort = remote.candidate.port;
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const dtlsUp = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // Observed even when ICE fails first and nobody awaits it.
    dtlsUp.catch(() => undefined);
    this.#dtls = new DtlsEndpoint(
      {
        role: dtlsRole,
        certificate: this.#options.certificate,
        remoteFingerprints: remote.fingerprints,
        // Straight to the socket: a DTLS server may have to answer before IceClient.connect resolves.
        send: (datagram) => this.#send(datagram, 0, datagram.length),
      },
      {
        onConnected: (srtp: SrtpParameters) => {
          this.#srtpOut = createSrtpSession(srtp.profile, srtp.local);
          this.#srtpIn = createSrtpSession(srtp.profile, srtp.remote);
          this.#everConnected = true;
          settle?.resolve();
        },
        onFailed: (error) => {
          settle?.reject(error);
          this.close(`dtls failed: ${error.message}`);
        },
        onClosed: () => this.close('dtls closed by peer'),
      },
    );
    const timeout = setTimeout(
      () => settle?.reject(new Error(`DTLS not up after ${this.#options.connectTimeoutMs} ms`)),
      this.#options.connectTimeoutMs,
    );
    try {
      this.#ice = await IceClient.connect({
        socket: this.#socket,
        localUfrag: this.local.iceUfrag,
        localPwd: this.local.icePwd,
        remoteUfrag: remote.iceUfrag,
        remotePwd: remote.icePwd,
        remote: remote.candidate,
        timeoutMs: this.#options.connectTimeoutMs,
        onPacket: (buf, len) => this.#handleDatagram(buf, len),
        onDisconnected: (reason) => {
          if (reason === 'consent-timeout') this.close('ICE consent timeout');
        },
      });
      if (dtlsRole === 'client') this.#dtls.start();
      await dtlsUp;
    } finally {
      clearTimeout(timeout);
    }
  }

  /** Encrypts RTP in place (buf needs 16 spare bytes after len) and sends it. */
  sendRtp(buf: Buffer, len: number): void {
    const srtp = this.#srtpOut;
    if (!srtp || this.#closed) return;
    const protectedLength = srtp.protectRtp(buf, len);
    if (protectedLength < 0) return;
    this.#send(buf, 0, protectedLength);
    this.counters.rtpPacketsOut++;
    this.counters.rtpBytesOut += protectedLength;
  }

  /** Encrypts compound RTCP (copied, so the caller may reuse its buffer) and sends it. */
  sendRtcp(packet: Buffer): void {
    const srtp = this.#srtpOut;
    if (!srtp || this.#closed) return;
    const out = Buffer.allocUnsafe(packet.length + 16);
    packet.copy(out);
    const protectedLength = srtp.protectRtcp(out, packet.length);
    if (protectedLength < 0) return;
    this.#send(out, 0, protectedLength);
    this.counters.rtcpPacketsOut++;
  }

  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dtls?.close();
    this.#ice?.close();
    this.#socket.close();
    this.#srtpIn = undefined;
    this.#srtpOut = undefined;
    this.onClosed(reason);
  }

  /**
   * IceClient only sends checks. libnice (Janus) runs triggered checks back even in ICE-lite mode and
   * will not select the pair until they succeed, so requests for our ufrag get a success response.
   */
  readonly #answerBindingRequest = (buf: Buffer, rinfo: RemoteInfo): void => {
    if (buf.length < 20 || buf[0]! > 3 || !isStunPacket(buf, buf.length)) return;
    const request = StunMessage.parse(buf, buf.length);
    if (request?.method !== StunMethod.Binding || request.messageClass !== StunClass.Request) return;
    if (!request.username?.startsWith(`${this.local.iceUfrag}:`)) return;
    if (!request.verifyIntegrity(this.local.icePwd)) return;
    const response = new StunMessage({
      method: StunMethod.Binding,
      messageClass: StunClass.SuccessResponse,
      transactionId: request.transactionId,
    }).setXorMappedAddress(rinfo.address, rinfo.port);
    if (!this.#closed)
      this.#socket.send(
        response.serialize({ integrityKey: this.local.icePwd, fingerprint: true }),
        rinfo.port,
        rinfo.address,
      );
  };

  #send(buf: Buffer, offset: number, len: number): void {
    if (this.#closed) return;
    this.#socket.send(buf, offset, len, this.#remotePort, this.#remoteAddress);
  }

  #handleDatagram(buf: Buffer, len: number): void {
    const first = buf[0]!;
    if (first >= 20 && first <= 63) {
      // werift keeps references into what it parses: give it its own copy.
      this.#dtls?.handleDatagram(Buffer.from(buf.subarray(0, len)));
      return;
    }
    if (first < 128 || first > 191) return;
    const srtp = this.#srtpIn;
    if (!srtp) return;
    const second = buf[1]!;
    if (second >= 192 && second <= 223) {
      const plain = srtp.unprotectRtcp(buf, len);
      if (plain < 0) {
        this.counters.srtpErrors++;
        return;
      }
      this.counters.rtcpPacketsIn++;
      this.onRtcp(buf, plain);
      return;
    }
    const plain = srtp.unprotectRtp(buf, len);
    if (plain < 0) {
      this.counters.srtpErrors++;
      return;
    }
    this.counters.rtpPacketsIn++;
    this.counters.rtpBytesIn += len;
    this.onRtp(buf, plain);
  }
}
