import { mock } from 'node:test';
import type { LegTransport } from '../../../src/media/otm/LegTransport.ts';
import { OtmForwarder, type OtmForwarderOptions } from '../../../src/media/otm/OtmForwarder.ts';
import { PublisherLeg } from '../../../src/media/otm/PublisherLeg.ts';
import { SubscriberLeg } from '../../../src/media/otm/SubscriberLeg.ts';
import { parseRtcpCompound, type RtcpPacket } from '../../../src/media/rtcp/compound.ts';
import { EXTENSION_MID, EXTENSION_TRANSPORT_WIDE_CC } from '../../../src/media/sdp/answerCommon.ts';
import type { MediaKind, NegotiatedTrack } from '../../../src/media/sdp/types.ts';
import { SRTP_MAX_TRAILER } from '../../../src/media/srtp/SrtpProfile.ts';
import type { TransportState } from '../../../src/media/transport/WebRtcTransport.ts';
import { buildTestRtp, type TestRtpPacket } from '../rtp/rtpTestPackets.ts';

/** A connected transport that keeps copies of everything sent through it. */
export class RecordingTransport implements LegTransport {
  state: TransportState = 'connected';
  readonly rtp: Buffer[] = [];
  readonly rtcp: Buffer[] = [];

  sendRtp(packet: Buffer, length: number): void {
    this.rtp.push(Buffer.from(packet.subarray(0, length)));
  }

  sendRtcp(packet: Buffer, length = packet.length): void {
    this.rtcp.push(Buffer.from(packet.subarray(0, length)));
  }

  restartIce(): { ufrag: string; pwd: string } {
    return { ufrag: 'ufrag', pwd: 'pwd' };
  }

  close(): void {
    this.state = 'closed';
  }

  /** Every RTCP packet sent so far, compounds split. */
  rtcpPackets(): RtcpPacket[] {
    return this.rtcp.flatMap((compound) => parseRtcpCompound(compound, compound.length));
  }
}

export const VP8_PT = 96;
export const OPUS_PT = 111;
export const MID_EXTENSION_ID = 4;
export const TWCC_EXTENSION_ID = 3;

/** What answerPublish would have negotiated with a Chromium publisher. */
export function publisherTracks(
  options: { transportCc?: boolean; audioSsrcs?: number[]; videoSsrcs?: number[] } = {},
): NegotiatedTrack[] {
  const extensions = [{ id: MID_EXTENSION_ID, uri: EXTENSION_MID }];
  if (options.transportCc) extensions.push({ id: TWCC_EXTENSION_ID, uri: EXTENSION_TRANSPORT_WIDE_CC });
  const congestion = options.transportCc ? ['transport-cc'] : ['goog-remb'];
  return [
    {
      mid: '0',
      kind: 'audio',
      codec: { payloadType: OPUS_PT, name: 'opus', clockRate: 48000, channels: 2, rtcpFeedback: congestion },
      extensions,
      ssrcs: options.audioSsrcs ?? [],
      rids: [],
    },
    {
      mid: '1',
      kind: 'video',
      codec: {
        payloadType: VP8_PT,
        name: 'VP8',
        clockRate: 90000,
        rtcpFeedback: ['nack', 'nack pli', 'ccm fir', ...congestion],
      },
      extensions,
      ssrcs: options.videoSsrcs ?? [],
      rids: [],
    },
  ];
}

export function createForwarder(options: Partial<OtmForwarderOptions> = {}): OtmForwarder {
  return new OtmForwarder({
    nackCachePackets: 2048,
    keyframeRequestIntervalMs: 500,
    publisherMaxBitrateBps: 3_000_000,
    cname: 'dotm-test',
    ...options,
  });
}

export function connectPublisher(
  forwarder: OtmForwarder,
  tracks: NegotiatedTrack[] = publisherTracks(),
): { leg: PublisherLeg; transport: RecordingTransport } {
  const transport = new RecordingTransport();
  const leg = new PublisherLeg('publisher', transport, tracks);
  forwarder.setPublisher(leg);
  return { leg, transport };
}

/** A viewer wired to the forwarder as Otm wires it, taking our tracks under its own payload types. */
export function connectSubscriber(
  forwarder: OtmForwarder,
  payloadTypes: Partial<Record<MediaKind, number>> = { audio: 109, video: 98 },
): { leg: SubscriberLeg; transport: RecordingTransport } {
  const transport = new RecordingTransport();
  const leg = new SubscriberLeg('viewer', transport, {
    onConnected: () => {},
    onKeyframeRequest: (_subscriber, kind) => forwarder.requestKeyframe(kind),
    onNack: (subscriber, ssrc, sequences) => forwarder.answerNack(subscriber, ssrc, sequences),
    onReceiverReports: (_subscriber, blocks) => forwarder.handleReceiverReports(blocks),
    onClosed: (subscriber) => forwarder.removeSubscriber(subscriber),
  });
  const tracks: NegotiatedTrack[] = [];
  for (const [kind, track] of forwarder.tracks) {
    const payloadType = payloadTypes[kind];
    if (payloadType === undefined) continue;
    tracks.push({
      mid: kind,
      kind,
      codec: { ...track.codec, payloadType, rtcpFeedback: [] },
      extensions: [],
      ssrcs: [track.ssrc],
      rids: [],
    });
  }
  leg.setTracks(tracks);
  forwarder.addSubscriber(leg);
  return { leg, transport };
}

const VP8_KEYFRAME_PAYLOAD = [0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
const VP8_DELTA_PAYLOAD = [0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

/**
 * A video packet as Chromium sends it; the last payload bytes carry `sequence` so a forwarded copy
 * can be matched to what went in. In a buffer with room for SRTP, as the transport delivers it.
 */
export function videoPacket(
  p: TestRtpPacket & { keyframe?: boolean; transportSequence?: number; mid?: string },
): Buffer {
  const elements: Array<{ id: number; data: number[] }> = [];
  if (p.mid !== undefined) elements.push({ id: MID_EXTENSION_ID, data: [...Buffer.from(p.mid, 'ascii')] });
  if (p.transportSequence !== undefined) {
    elements.push({ id: TWCC_EXTENSION_ID, data: [p.transportSequence >> 8, p.transportSequence & 0xff] });
  }
  const sequence = p.sequence ?? 1;
  return buildTestRtp({
    payloadType: VP8_PT,
    ...p,
    extension: elements.length > 0 ? { form: 'one', elements } : p.extension,
    payload: p.payload ?? [
      ...(p.keyframe ? VP8_KEYFRAME_PAYLOAD : VP8_DELTA_PAYLOAD),
      sequence >> 8,
      sequence & 0xff,
    ],
  });
}

export function audioPacket(p: TestRtpPacket): Buffer {
  return buildTestRtp({ payloadType: OPUS_PT, payload: [0xfc, 0xff, 0xfe], ...p });
}

/** Hands a packet to the forwarder as the transport would: in a larger receive buffer. */
export function receive(forwarder: OtmForwarder, leg: PublisherLeg, packet: Buffer): void {
  const buffer = Buffer.alloc(packet.length + SRTP_MAX_TRAILER);
  packet.copy(buffer);
  forwarder.handlePublisherRtp(leg, buffer, packet.length);
}

/** The sequence number the test wrote into the payload's last two bytes. */
export function payloadTag(packet: Buffer): number {
  return (packet[packet.length - 2]! << 8) | packet[packet.length - 1]!;
}

/**
 * Moves the mocked clock forward in small steps: node:test's `tick(ms)` sets the clock to the end
 * before running due timers and does not run timers those timers arm, so one long tick would hide
 * the OTM's timer-driven retries.
 */
export function advance(ms: number, stepMs = 5): void {
  for (let left = ms; left > 0; left -= stepMs) mock.timers.tick(Math.min(stepMs, left));
}
