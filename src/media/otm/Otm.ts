import type { DtlsCertificate } from '../dtls/DtlsCertificate.ts';
import type { UdpMux } from '../ice/UdpMux.ts';
import { parseRtcpCompound } from '../rtcp/compound.ts';
import { buildPli } from '../rtcp/pli.ts';
import { buildRemb } from '../rtcp/remb.ts';
import { buildSenderReport } from '../rtcp/senderReport.ts';
import { isH264Keyframe } from '../rtp/h264.ts';
import { PacketCache } from '../rtp/PacketCache.ts';
import {
  isValidRtp,
  rtpPayloadRange,
  rtpPayloadType,
  rtpSequence,
  rtpSsrc,
  rtpTimestamp,
} from '../rtp/rtpHeader.ts';
import { isVp8Keyframe } from '../rtp/vp8.ts';
import { answerPublish } from '../sdp/answerPublish.ts';
import { answerSubscribe } from '../sdp/answerSubscribe.ts';
import { SdpError } from '../sdp/SdpError.ts';
import type { MediaKind, SourceTrack } from '../sdp/types.ts';
import { WebRtcTransport } from '../transport/WebRtcTransport.ts';
import { KeyframeRequester } from './KeyframeRequester.ts';
import { OtmError } from './OtmError.ts';
import { OtmTrack } from './OtmTrack.ts';
import { PublisherLeg } from './PublisherLeg.ts';
import { SubscriberLeg } from './SubscriberLeg.ts';

export interface OtmOptions {
  streamId: string;
  room: string;
  mux: UdpMux;
  certificate: DtlsCertificate;
  consentTimeoutMs: number;
  nackCachePackets: number;
  keyframeRequestIntervalMs: number;
  publisherMaxBitrateBps: number;
}

export interface OtmEvents {
  onPublisherConnected(otm: Otm, tracks: { hasAudio: boolean; hasVideo: boolean }): void;
  onPublisherDisconnected(otm: Otm, reason: string): void;
  onSubscriberConnected(otm: Otm, participantId: string): void;
  onSubscriberDisconnected(otm: Otm, participantId: string, reason: string): void;
}

export interface OtmCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  nacksAnswered: number;
  nacksMissed: number;
}

const RTCP_REPORT_INTERVAL_MS = 1000;

/**
 * OneToMany broadcaster: one published stream in, one copy per subscriber out, each over its own
 * DTLS-SRTP transport. Incoming packets are renumbered once into the OTM's own SSRC/sequence space
 * (so publisher reconnects are invisible to viewers), cached for NACKs, and fanned out.
 * Closing it closes the publisher and every subscriber transport and its timers.
 */
export class Otm {
  readonly streamId: string;
  readonly room: string;
  readonly counters: OtmCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    nacksAnswered: 0,
    nacksMissed: 0,
  };
  readonly #options: OtmOptions;
  readonly #events: OtmEvents;
  readonly #tracks = new Map<MediaKind, OtmTrack>();
  /** Publisher payload type → track (each m-line negotiates exactly one codec, so PTs are unique). */
  readonly #trackByPayloadType = new Map<number, OtmTrack>();
  readonly #subscribers = new Map<string, SubscriberLeg>();
  readonly #cache: PacketCache;
  readonly #keyframes: KeyframeRequester;
  readonly #reportTimer: NodeJS.Timeout;
  #publisher: PublisherLeg | undefined;
  #closed = false;

  constructor(options: OtmOptions, events: OtmEvents) {
    this.streamId = options.streamId;
    this.room = options.room;
    this.#options = options;
    this.#events = events;
    this.#cache = new PacketCache({ capacity: options.nackCachePackets });
    this.#keyframes = new KeyframeRequester(options.keyframeRequestIntervalMs, () => this.#sendPli());
    this.#reportTimer = setInterval(() => this.#sendPublisherReports(), RTCP_REPORT_INTERVAL_MS);
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  get publisherConnected(): boolean {
    return this.#publisher?.transport.state === 'connected';
  }

  /** WHIP: negotiates the publisher's offer. A new publish replaces the previous one (a reconnect). */
  acceptPublisher(participantId: string, offer: string): { answer: string; resourceId: string } {
    this.#assertOpen();
    let leg: PublisherLeg | undefined;
    const transport = new WebRtcTransport(
      {
        mux: this.#options.mux,
        certificate: this.#options.certificate,
        consentTimeoutMs: this.#options.consentTimeoutMs,
      },
      {
        onConnected: () => {
          if (leg && leg === this.#publisher) this.#handlePublisherConnected(leg);
        },
        onRtp: (packet, length) => {
          if (leg === this.#publisher) this.#handlePublisherRtp(packet, length);
        },
        onRtcp: (packet, length) => {
          if (leg === this.#publisher) this.#handlePublisherRtcp(packet, length);
        },
        onClosed: (reason) => {
          if (leg && leg === this.#publisher) {
            this.#publisher = undefined;
            this.#events.onPublisherDisconnected(this, reason);
          }
        },
      },
    );
    let negotiated: ReturnType<typeof answerPublish>;
    try {
      negotiated = answerPublish(offer, transport.localParameters());
    } catch (error) {
      transport.close();
      throw asOtmError(error);
    }
    transport.setRemoteParameters(negotiated.remote);
    leg = new PublisherLeg(participantId, transport, negotiated.tracks);
    const previous = this.#publisher;
    this.#publisher = leg;
    previous?.transport.close();
    this.#trackByPayloadType.clear();
    for (const negotiatedTrack of negotiated.tracks) {
      let track = this.#tracks.get(negotiatedTrack.kind);
      if (!track) {
        track = new OtmTrack(negotiatedTrack.kind, negotiatedTrack.codec);
        this.#tracks.set(track.kind, track);
      } else {
        track.codec = negotiatedTrack.codec;
      }
      this.#trackByPayloadType.set(negotiatedTrack.codec.payloadType, track);
    }
    return { answer: negotiated.answer, resourceId: leg.resourceId };
  }

  /** WHEP: negotiates a viewer's offer against the tracks the publisher sends. */
  acceptSubscriber(participantId: string, offer: string): { answer: string; resourceId: string } {
    this.#assertOpen();
    if (this.#tracks.size === 0) throw new OtmError('conflict', 'the stream has no publisher yet');
    const sources: SourceTrack[] = [...this.#tracks.values()].map((track) => ({
      kind: track.kind,
      codec: {
        name: track.codec.name,
        clockRate: track.codec.clockRate,
        channels: track.codec.channels,
        fmtp: track.codec.fmtp,
      },
      ssrc: track.ssrc,
      cname: `dotm-${this.streamId.slice(0, 8)}`,
      streamId: this.streamId,
      trackId: track.trackId,
    }));
    let leg: SubscriberLeg | undefined;
    const transport = new WebRtcTransport(
      {
        mux: this.#options.mux,
        certificate: this.#options.certificate,
        consentTimeoutMs: this.#options.consentTimeoutMs,
      },
      {
        onConnected: () => {
          if (!leg) return;
          this.#events.onSubscriberConnected(this, leg.participantId);
          this.#keyframes.request();
        },
        onRtp: () => {},
        onRtcp: (packet, length) => leg?.handleRtcp(packet, length),
        onClosed: (reason) => leg?.handleClosed(reason),
      },
    );
    let negotiated: ReturnType<typeof answerSubscribe>;
    try {
      negotiated = answerSubscribe(offer, transport.localParameters(), sources);
    } catch (error) {
      transport.close();
      throw asOtmError(error);
    }
    transport.setRemoteParameters(negotiated.remote);
    leg = new SubscriberLeg(participantId, transport, {
      onConnected: () => {},
      onKeyframeRequest: () => this.#keyframes.request(),
      onNack: (subscriber, ssrc, sequences) => this.#answerNack(subscriber, ssrc, sequences),
      onClosed: (subscriber, reason) => {
        if (this.#subscribers.delete(subscriber.resourceId)) {
          this.#events.onSubscriberDisconnected(this, subscriber.participantId, reason);
        }
      },
    });
    leg.setTracks(negotiated.tracks);
    this.#subscribers.set(leg.resourceId, leg);
    return { answer: negotiated.answer, resourceId: leg.resourceId };
  }

  /** ICE restart (PATCH with new credentials) for the publisher or one subscriber. */
  restartIce(
    resourceId: string,
    remoteUfrag: string,
  ): { ufrag: string; pwd: string; candidate: { ip: string; port: number } } {
    const transport = this.#transportOf(resourceId);
    const { ufrag, pwd } = transport.restartIce(remoteUfrag);
    return {
      ufrag,
      pwd,
      candidate: { ip: this.#options.mux.announcedIp, port: this.#options.mux.localPort },
    };
  }

  hasResource(resourceId: string): boolean {
    return this.#publisher?.resourceId === resourceId || this.#subscribers.has(resourceId);
  }

  /** DELETE of a WHIP/WHEP resource. */
  removeResource(resourceId: string): void {
    if (this.#publisher?.resourceId === resourceId) {
      const publisher = this.#publisher;
      this.#publisher = undefined;
      publisher.transport.close();
      this.#events.onPublisherDisconnected(this, 'deleted');
      return;
    }
    const subscriber = this.#subscribers.get(resourceId);
    if (!subscriber) throw new OtmError('not-found', 'no such WHIP/WHEP resource');
    subscriber.close('deleted');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reportTimer);
    this.#keyframes.close();
    const publisher = this.#publisher;
    this.#publisher = undefined;
    publisher?.transport.close();
    for (const subscriber of [...this.#subscribers.values()]) subscriber.close('otm-closed');
    this.#subscribers.clear();
    this.#cache.close();
  }

  // ── ingress ──────────────────────────────────────────────────────────────────────

  #handlePublisherConnected(leg: PublisherLeg): void {
    this.#events.onPublisherConnected(this, {
      hasAudio: leg.tracks.some((t) => t.kind === 'audio'),
      hasVideo: leg.tracks.some((t) => t.kind === 'video'),
    });
    // A reconnected publisher starts from a keyframe so viewers recover at once.
    if (this.#subscribers.size > 0) this.#keyframes.request();
  }

  /** The hot path: a plain RTP packet from the publisher, in a buffer we may modify. */
  #handlePublisherRtp(packet: Buffer, length: number): void {
    if (!isValidRtp(packet, length)) return;
    const track = this.#trackByPayloadType.get(rtpPayloadType(packet));
    if (!track) return;
    const ssrc = rtpSsrc(packet);
    if (track.inboundSsrc !== ssrc) {
      if (track.inboundSsrc !== undefined) track.rewriter.switchSource();
      track.inboundSsrc = ssrc;
    }
    const inboundTimestamp = rtpTimestamp(packet);
    if (!track.rewriter.rewrite(rtpSequence(packet), inboundTimestamp, Date.now())) return;
    track.timestampOffset = (track.rewriter.timestamp - inboundTimestamp) >>> 0;
    packet.writeUInt16BE(track.rewriter.sequence, 2);
    packet.writeUInt32BE(track.rewriter.timestamp >>> 0, 4);
    packet.writeUInt32BE(track.ssrc, 8);
    this.counters.packetsIn++;
    this.counters.bytesIn += length;
    track.packets++;
    track.octets += length;
    if (track.kind === 'video' && this.#isKeyframe(track, packet, length)) this.#keyframes.keyframeArrived();
    this.#cache.put(packet, length);
    for (const subscriber of this.#subscribers.values()) {
      subscriber.forward(track.kind, packet, length);
    }
    this.counters.packetsOut += this.#subscribers.size;
    this.counters.bytesOut += this.#subscribers.size * length;
  }

  #isKeyframe(track: OtmTrack, packet: Buffer, length: number): boolean {
    const range = rtpPayloadRange(packet, length);
    if (!range) return false;
    const codec = track.codec.name.toLowerCase();
    if (codec === 'vp8') return isVp8Keyframe(packet, range.start, range.end);
    if (codec === 'h264') return isH264Keyframe(packet, range.start, range.end);
    return false;
  }

  #handlePublisherRtcp(packet: Buffer, length: number): void {
    for (const rtcp of parseRtcpCompound(packet, length)) {
      if (rtcp.type !== 'sr') continue;
      // Viewers need the publisher's NTP↔RTP mapping for lip sync, in the OTM's SSRC and timestamps.
      const track = [...this.#tracks.values()].find((t) => t.inboundSsrc === rtcp.ssrc);
      if (!track) continue;
      const report = buildSenderReport({
        ssrc: track.ssrc,
        ntpSeconds: rtcp.ntpSeconds,
        ntpFraction: rtcp.ntpFraction,
        rtpTimestamp: (rtcp.rtpTimestamp + track.timestampOffset) >>> 0,
        packetCount: track.packets >>> 0,
        octetCount: track.octets >>> 0,
      });
      for (const subscriber of this.#subscribers.values()) {
        if (subscriber.connected) subscriber.transport.sendRtcp(report);
      }
    }
  }

  // ── feedback ─────────────────────────────────────────────────────────────────────

  #answerNack(subscriber: SubscriberLeg, ssrc: number, sequences: number[]): void {
    const track = [...this.#tracks.values()].find((t) => t.ssrc === ssrc);
    if (!track) return;
    for (const sequence of sequences) {
      const cached = this.#cache.get(ssrc, sequence);
      if (!cached) {
        this.counters.nacksMissed++;
        continue;
      }
      this.counters.nacksAnswered++;
      subscriber.forward(track.kind, cached.buf, cached.len);
    }
  }

  #sendPli(): void {
    const publisher = this.#publisher;
    const video = this.#tracks.get('video');
    if (!publisher || video?.inboundSsrc === undefined) return;
    publisher.transport.sendRtcp(buildPli(publisher.rtcpSsrc, video.inboundSsrc));
  }

  /** REMB lets the publisher's browser use the bit rate we want (without it Chromium stays low). */
  #sendPublisherReports(): void {
    const publisher = this.#publisher;
    if (publisher?.transport.state !== 'connected') return;
    const ssrcs = [...this.#tracks.values()].flatMap((t) =>
      t.inboundSsrc === undefined ? [] : [t.inboundSsrc],
    );
    if (ssrcs.length === 0) return;
    publisher.transport.sendRtcp(buildRemb(publisher.rtcpSsrc, this.#options.publisherMaxBitrateBps, ssrcs));
  }

  #transportOf(resourceId: string): WebRtcTransport {
    if (this.#publisher?.resourceId === resourceId) return this.#publisher.transport;
    const subscriber = this.#subscribers.get(resourceId);
    if (!subscriber) throw new OtmError('not-found', 'no such WHIP/WHEP resource');
    return subscriber.transport;
  }

  #assertOpen(): void {
    if (this.#closed) throw new OtmError('not-found', 'the OTM is closed');
  }
}

function asOtmError(error: unknown): Error {
  if (error instanceof SdpError) return new OtmError('bad-sdp', error.message);
  return error as Error;
}
