import { randomBytes } from 'node:crypto';
import { headerExtensionDataLength, headerExtensionOffset, rtpPayloadType } from '../rtp/rtpHeader.ts';
import { EXTENSION_MID, EXTENSION_TRANSPORT_WIDE_CC } from '../sdp/answerCommon.ts';
import type { MediaKind, NegotiatedTrack } from '../sdp/types.ts';
import type { LegTransport } from './LegTransport.ts';

/**
 * SSRCs learned from packets beyond those the offer announced. Chromium sends one per track; the bound
 * keeps a publisher that invents SSRCs from growing the table.
 */
const MAX_LEARNED_SSRCS = 8;

/**
 * The one ingress of an OTM: the publisher's transport, what it negotiated, and which of its SSRCs
 * feeds which track.
 */
export class PublisherLeg {
  readonly resourceId = randomBytes(12).toString('base64url');
  readonly participantId: string;
  readonly transport: LegTransport;
  readonly tracks: readonly NegotiatedTrack[];
  /** Our RTCP sender SSRC toward the publisher (RR, REMB, PLI, NACK). */
  readonly rtcpSsrc = randomBytes(4).readUInt32BE(0) || 1;
  /** Header extension id of transport-wide sequence numbers when transport-cc feedback was agreed; 0 otherwise. */
  readonly transportCcExtensionId: number;
  /** Packets whose SSRC could not be tied to a track. */
  unroutedPackets = 0;

  readonly #trackBySsrc = new Map<number, NegotiatedTrack>();
  readonly #midExtensionId: number;
  #learnedSsrcs = 0;

  constructor(participantId: string, transport: LegTransport, tracks: readonly NegotiatedTrack[]) {
    this.participantId = participantId;
    this.transport = transport;
    this.tracks = tracks;
    for (const track of tracks) for (const ssrc of track.ssrcs) this.#trackBySsrc.set(ssrc, track);
    this.#midExtensionId = extensionId(tracks, EXTENSION_MID);
    const transportCc = extensionId(tracks, EXTENSION_TRANSPORT_WIDE_CC);
    const feedbackAgreed = tracks.some((track) => track.codec.rtcpFeedback.includes('transport-cc'));
    this.transportCcExtensionId = feedbackAgreed ? transportCc : 0;
  }

  track(kind: MediaKind): NegotiatedTrack | undefined {
    return this.tracks.find((track) => track.kind === kind);
  }

  /**
   * The negotiated track a packet of `ssrc` belongs to. Known SSRCs (from a=ssrc, or learned) are one
   * map lookup; an unknown one is tied to a track once, by its MID header extension or else by its
   * payload type (each m-line negotiates exactly one codec, so payload types are unique).
   */
  trackOf(ssrc: number, packet: Buffer, length: number): NegotiatedTrack | undefined {
    const known = this.#trackBySsrc.get(ssrc);
    if (known !== undefined) return known;
    const learned = this.#learnedSsrcs < MAX_LEARNED_SSRCS ? this.#identify(packet, length) : undefined;
    if (learned === undefined) {
      this.unroutedPackets++;
      return undefined;
    }
    this.#learnedSsrcs++;
    this.#trackBySsrc.set(ssrc, learned);
    return learned;
  }

  #identify(packet: Buffer, length: number): NegotiatedTrack | undefined {
    if (this.#midExtensionId > 0) {
      const offset = headerExtensionOffset(packet, length, this.#midExtensionId);
      if (offset >= 0) {
        const midLength = headerExtensionDataLength(packet, offset);
        return this.tracks.find((track) => sameAscii(packet, offset, midLength, track.mid));
      }
    }
    const payloadType = rtpPayloadType(packet);
    return this.tracks.find((track) => track.codec.payloadType === payloadType);
  }
}

/** The id an extension got (BUNDLE makes it the same on every m-line); 0 when not negotiated. */
function extensionId(tracks: readonly NegotiatedTrack[], uri: string): number {
  for (const track of tracks) {
    const extension = track.extensions.find((e) => e.uri === uri);
    if (extension !== undefined) return extension.id;
  }
  return 0;
}

function sameAscii(buf: Buffer, offset: number, length: number, text: string): boolean {
  if (length !== text.length) return false;
  for (let i = 0; i < length; i++) if (buf[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}
