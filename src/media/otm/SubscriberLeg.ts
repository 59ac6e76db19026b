import { randomBytes } from 'node:crypto';
import { parseRtcpCompound } from '../rtcp/compound.ts';
import type { KeyframeRequestKind } from '../rtcp/KeyframeRequestAggregator.ts';
import { nackToSequenceNumbers } from '../rtcp/nack.ts';
import type { ReportBlock } from '../rtcp/reportBlock.ts';
import { type RtpRewrite, writeEgressPacket } from '../rtp/RtpEgressWriter.ts';
import { rtpSequence, rtpTimestamp } from '../rtp/rtpHeader.ts';
import type { MediaKind, NegotiatedTrack } from '../sdp/types.ts';
import { SRTP_MAX_TRAILER } from '../srtp/SrtpProfile.ts';
import { egressScratch } from '../transport/EgressScratch.ts';
import type { TransportCloseReason } from '../transport/WebRtcTransport.ts';
import type { LegTransport } from './LegTransport.ts';

/** Room for one-byte header extensions we may add, so writeEgressPacket never runs short. */
const EGRESS_HEADROOM = 64;

export interface SubscriberLegEvents {
  onConnected(leg: SubscriberLeg): void;
  onKeyframeRequest(leg: SubscriberLeg, kind: KeyframeRequestKind): void;
  onNack(leg: SubscriberLeg, ssrc: number, sequences: number[]): void;
  /** The viewer's receiver report blocks, on what it receives from us. */
  onReceiverReports(leg: SubscriberLeg, blocks: readonly ReportBlock[]): void;
  onClosed(leg: SubscriberLeg, reason: TransportCloseReason | 'deleted' | 'otm-closed'): void;
}

interface EgressTrack {
  ssrc: number;
  payloadType: number;
}

/** One viewer of an OTM: its own DTLS-SRTP transport and the payload types it negotiated. */
export class SubscriberLeg {
  readonly resourceId = randomBytes(12).toString('base64url');
  readonly participantId: string;
  readonly transport: LegTransport;
  readonly #tracks = new Map<MediaKind, EgressTrack>();
  readonly #rewrite: RtpRewrite = { ssrc: 0, payloadType: 0, sequence: 0, timestamp: 0 };
  readonly #events: SubscriberLegEvents;
  #closed = false;

  constructor(participantId: string, transport: LegTransport, events: SubscriberLegEvents) {
    this.participantId = participantId;
    this.transport = transport;
    this.#events = events;
  }

  /** Called once the answer is built: which of our tracks this viewer takes, under which payload type. */
  setTracks(tracks: readonly NegotiatedTrack[]): void {
    for (const track of tracks) {
      const ssrc = track.ssrcs[0];
      if (ssrc !== undefined) this.#tracks.set(track.kind, { ssrc, payloadType: track.codec.payloadType });
    }
  }

  get connected(): boolean {
    return this.transport.state === 'connected';
  }

  /** The hot path: one packet of the OTM's track, already in the OTM's numbering, to this viewer. */
  forward(kind: MediaKind, packet: Buffer, length: number): void {
    const track = this.#tracks.get(kind);
    if (!track || this.transport.state !== 'connected') return;
    const rewrite = this.#rewrite;
    rewrite.ssrc = track.ssrc;
    rewrite.payloadType = track.payloadType;
    rewrite.sequence = rtpSequence(packet);
    rewrite.timestamp = rtpTimestamp(packet);
    // One scratch for every viewer: the send has copied it into the kernel when sendRtp returns, and
    // SRTP encrypts in place, so nothing of one viewer's copy outlives the call.
    const out = egressScratch.take(length + EGRESS_HEADROOM + SRTP_MAX_TRAILER);
    const written = writeEgressPacket(packet, length, rewrite, out);
    if (written > 0) this.transport.sendRtp(out, written);
  }

  handleRtcp(packet: Buffer, length: number): void {
    for (const rtcp of parseRtcpCompound(packet, length)) {
      switch (rtcp.type) {
        case 'pli':
        case 'fir':
          this.#events.onKeyframeRequest(this, rtcp.type);
          break;
        case 'nack':
          this.#events.onNack(this, rtcp.mediaSsrc, nackToSequenceNumbers(rtcp));
          break;
        case 'rr':
        case 'sr':
          if (rtcp.reports.length > 0) this.#events.onReceiverReports(this, rtcp.reports);
          break;
        default:
          break;
      }
    }
  }

  handleClosed(reason: TransportCloseReason | 'deleted' | 'otm-closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.onClosed(this, reason);
  }

  close(reason: 'deleted' | 'otm-closed'): void {
    if (this.#closed) return;
    this.handleClosed(reason);
    this.transport.close();
  }
}
