import type { TransportState } from '../transport/WebRtcTransport.ts';

/**
 * What an OTM leg needs of its connection: a WebRtcTransport in the node, a recording fake in tests,
 * so the OTM's RTP/RTCP handling is tested on packets without DTLS.
 */
export interface LegTransport {
  readonly state: TransportState;
  /** Plain RTP, encrypted in place: `packet` needs SRTP trailer room after `length` and must not be shared. */
  sendRtp(packet: Buffer, length: number): void;
  /** Plain compound RTCP; copied, so the caller may reuse the buffer. */
  sendRtcp(packet: Buffer, length?: number): void;
  restartIce(remoteUfrag: string): { ufrag: string; pwd: string };
  close(): void;
}
