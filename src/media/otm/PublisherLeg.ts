import { randomBytes } from 'node:crypto';
import type { NegotiatedTrack } from '../sdp/types.ts';
import type { WebRtcTransport } from '../transport/WebRtcTransport.ts';

/** The one ingress of an OTM: the publisher's transport and what it negotiated. */
export class PublisherLeg {
  readonly resourceId = randomBytes(12).toString('base64url');
  readonly participantId: string;
  readonly transport: WebRtcTransport;
  readonly tracks: readonly NegotiatedTrack[];
  /** Our RTCP sender SSRC toward the publisher (RR, REMB, PLI, NACK). */
  readonly rtcpSsrc = randomBytes(4).readUInt32BE(0) || 1;

  constructor(participantId: string, transport: WebRtcTransport, tracks: readonly NegotiatedTrack[]) {
    this.participantId = participantId;
    this.transport = transport;
    this.tracks = tracks;
  }
}
