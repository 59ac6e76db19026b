import type { DtlsCertificate } from '../dtls/DtlsCertificate.ts';
import { DtlsEndpoint, type SrtpParameters } from '../dtls/DtlsEndpoint.ts';
import type { IceEndpoint } from '../ice/IceEndpoint.ts';
import type { RemoteTuple } from '../ice/RemoteTuple.ts';
import type { UdpMux } from '../ice/UdpMux.ts';
import { isRtcpPacket } from '../rtp/rtpHeader.ts';
import type { LocalIceDtls, RemoteIceDtls } from '../sdp/types.ts';
import { SRTP_MAX_TRAILER } from '../srtp/SrtpProfile.ts';
import { createSrtpSession, type SrtpSession } from '../srtp/SrtpSession.ts';

export type TransportState = 'new' | 'connecting' | 'connected' | 'closed';
export type TransportCloseReason = 'closed' | 'consent-timeout' | 'dtls-failed' | 'dtls-closed';

export interface WebRtcTransportEvents {
  /** ICE and DTLS are up and SRTP keys are agreed: media can flow. */
  onConnected(): void;
  /** Plain RTP in a buffer the callee may modify; valid only during the call. */
  onRtp(packet: Buffer, length: number): void;
  /** Plain compound RTCP; valid only during the call. */
  onRtcp(packet: Buffer, length: number): void;
  onClosed(reason: TransportCloseReason): void;
}

export interface WebRtcTransportOptions {
  mux: UdpMux;
  certificate: DtlsCertificate;
  consentTimeoutMs: number;
  /** 'server' for everything the media node negotiates; 'client' for Node test and load clients. */
  dtlsRole?: 'server' | 'client';
}

export interface TransportCounters {
  rtpPacketsIn: number;
  rtpBytesIn: number;
  rtpPacketsOut: number;
  rtpBytesOut: number;
  rtcpPacketsIn: number;
  rtcpPacketsOut: number;
  /** SRTP/SRTCP packets that failed authentication or replay checks. */
  srtpErrors: number;
}

/**
 * One ICE-lite + DTLS-SRTP connection over a worker's shared UDP socket: the per-participant
 * encryption context of the seed paper. Everything above it (OTMs) sees plain RTP/RTCP buffers.
 */
export class WebRtcTransport {
  readonly counters: TransportCounters = {
    rtpPacketsIn: 0,
    rtpBytesIn: 0,
    rtpPacketsOut: 0,
    rtpBytesOut: 0,
    rtcpPacketsIn: 0,
    rtcpPacketsOut: 0,
    srtpErrors: 0,
  };
  readonly #options: WebRtcTransportOptions;
  readonly #events: WebRtcTransportEvents;
  readonly #ice: IceEndpoint;
  #dtls: DtlsEndpoint | undefined;
  #srtpOut: SrtpSession | undefined;
  #srtpIn: SrtpSession | undefined;
  #state: TransportState = 'new';
  /** The peer has sent authenticated SRTP/SRTCP, so the DTLS handshake state was released. */
  #peerConfirmed = false;

  constructor(options: WebRtcTransportOptions, events: WebRtcTransportEvents) {
    this.#options = options;
    this.#events = events;
    this.#ice = options.mux.createEndpoint(
      {
        onConnected: (tuple) => this.#handleIceConnected(tuple),
        onPacket: (buf, len) => this.#handleDatagram(buf, len),
        onDisconnected: (reason) => this.close(reason === 'consent-timeout' ? 'consent-timeout' : 'closed'),
      },
      { consentTimeoutMs: options.consentTimeoutMs },
    );
  }

  get state(): TransportState {
    return this.#state;
  }

  get selectedTuple(): RemoteTuple | undefined {
    return this.#ice.selectedTuple;
  }

  /** What goes into our SDP answer. */
  localParameters(): LocalIceDtls {
    return {
      iceUfrag: this.#ice.localUfrag,
      icePwd: this.#ice.localPwd,
      fingerprint: { algorithm: 'sha-256', value: this.#options.certificate.sha256Fingerprint },
      candidates: [{ ip: this.#options.mux.announcedIp, port: this.#options.mux.localPort, protocol: 'udp' }],
    };
  }

  /** From the peer's SDP offer. Must be called before the peer's first ICE check arrives. */
  setRemoteParameters(remote: RemoteIceDtls): void {
    if (this.#dtls) throw new Error('remote parameters are already set');
    this.#ice.remoteUfrag = remote.iceUfrag;
    this.#dtls = new DtlsEndpoint(
      {
        role: this.#options.dtlsRole ?? 'server',
        certificate: this.#options.certificate,
        remoteFingerprints: remote.fingerprints,
        send: (datagram) => this.#ice.send(datagram, 0, datagram.length),
      },
      {
        onConnected: (srtp) => this.#handleDtlsConnected(srtp),
        onFailed: () => this.close('dtls-failed'),
        onClosed: () => this.close('dtls-closed'),
      },
    );
    this.#state = 'connecting';
  }

  /** ICE restart (WHIP/WHEP PATCH): new local credentials; DTLS and SRTP carry on. */
  restartIce(remoteUfrag: string): { ufrag: string; pwd: string } {
    return this.#ice.restart(remoteUfrag);
  }

  /**
   * Sends plain RTP. `packet` must have SRTP_MAX_TRAILER spare bytes after `length`; it is encrypted
   * in place, so it must not be shared with another transport.
   */
  sendRtp(packet: Buffer, length: number): void {
    const srtp = this.#srtpOut;
    if (!srtp) return;
    const protectedLength = srtp.protectRtp(packet, length);
    if (protectedLength < 0) return;
    this.#ice.send(packet, 0, protectedLength);
    this.counters.rtpPacketsOut++;
    this.counters.rtpBytesOut += protectedLength;
  }

  /** Sends plain compound RTCP; copies it, so the caller may reuse its buffer. */
  sendRtcp(packet: Buffer, length = packet.length): void {
    const srtp = this.#srtpOut;
    if (!srtp) return;
    const out = Buffer.allocUnsafe(length + SRTP_MAX_TRAILER);
    packet.copy(out, 0, 0, length);
    const protectedLength = srtp.protectRtcp(out, length);
    if (protectedLength < 0) return;
    this.#ice.send(out, 0, protectedLength);
    this.counters.rtcpPacketsOut++;
  }

  close(reason: TransportCloseReason = 'closed'): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#srtpIn = undefined;
    this.#srtpOut = undefined;
    this.#dtls?.close();
    this.#ice.close();
    this.#events.onClosed(reason);
  }

  #handleIceConnected(_tuple: RemoteTuple): void {
    // A server waits for the ClientHello; a client starts the handshake once ICE has a path.
    if (this.#options.dtlsRole === 'client') this.#dtls?.start();
  }

  #handleDatagram(buf: Buffer, len: number): void {
    const first = buf[0]!;
    if (first >= 20 && first <= 63) {
      // DTLS: werift keeps references to what it parses, so hand it its own copy.
      this.#dtls?.handleDatagram(Buffer.from(buf.subarray(0, len)));
      return;
    }
    if (first < 128 || first > 191) return;
    const srtp = this.#srtpIn;
    if (!srtp) return;
    if (isRtcpPacket(buf, len)) {
      const plain = srtp.unprotectRtcp(buf, len);
      if (plain < 0) {
        this.counters.srtpErrors++;
        return;
      }
      this.counters.rtcpPacketsIn++;
      if (!this.#peerConfirmed) this.#confirmPeer();
      this.#events.onRtcp(buf, plain);
      return;
    }
    const plain = srtp.unprotectRtp(buf, len);
    if (plain < 0) {
      this.counters.srtpErrors++;
      return;
    }
    this.counters.rtpPacketsIn++;
    this.counters.rtpBytesIn += len;
    if (!this.#peerConfirmed) this.#confirmPeer();
    this.#events.onRtp(buf, plain);
  }

  #confirmPeer(): void {
    this.#peerConfirmed = true;
    this.#dtls?.releaseHandshake();
  }

  #handleDtlsConnected(srtp: SrtpParameters): void {
    if (this.#state === 'closed') return;
    this.#srtpOut = createSrtpSession(srtp.profile, srtp.local);
    this.#srtpIn = createSrtpSession(srtp.profile, srtp.remote);
    this.#state = 'connected';
    this.#events.onConnected();
  }
}
