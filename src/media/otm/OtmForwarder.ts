import { parseRtcpCompound } from '../rtcp/compound.ts';
import { buildFir } from '../rtcp/fir.ts';
import { KeyframeRequestAggregator, type KeyframeRequestKind } from '../rtcp/KeyframeRequestAggregator.ts';
import { buildPli } from '../rtcp/pli.ts';
import { RoundTripEstimator } from '../rtcp/RoundTripEstimator.ts';
import type { ReportBlock } from '../rtcp/reportBlock.ts';
import { buildSenderReport } from '../rtcp/senderReport.ts';
import { isH264Keyframe } from '../rtp/h264.ts';
import type { NackGeneratorOptions } from '../rtp/NackGenerator.ts';
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
import type { MediaKind } from '../sdp/types.ts';
import { OtmTrack } from './OtmTrack.ts';
import { PublisherFeedback } from './PublisherFeedback.ts';
import type { PublisherLeg } from './PublisherLeg.ts';
import type { SubscriberLeg } from './SubscriberLeg.ts';

export interface OtmForwarderOptions {
  /** Packets of each outgoing track kept to answer viewers' NACKs. */
  nackCachePackets: number;
  /** Least time between two keyframe requests to the publisher. */
  keyframeRequestIntervalMs: number;
  /** The REMB sent to the publisher. */
  publisherMaxBitrateBps: number;
  /** CNAME of our RTCP toward the publisher. */
  cname: string;
  /** How the OTM asks the publisher for lost video packets (defaults of NackGenerator otherwise). */
  upstreamNack?: NackGeneratorOptions;
}

export interface OtmCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** Viewers' NACKs answered from the cache, and those whose packet it did not have. */
  nacksAnswered: number;
  nacksMissed: number;
  /** Publisher packets dropped: malformed, of no negotiated track, or refused by the renumbering. */
  packetsDropped: number;
  /** Lost publisher packets asked for again (retries included), and those that came back. */
  upstreamNacked: number;
  upstreamRecovered: number;
  keyframeRequestsSent: number;
}

/** Receiver reports and REMB toward the publisher: RFC 3550's minimum is 5 s, browsers use ~1 s. */
const REPORT_INTERVAL_MS = 1000;
/** libwebrtc's default transport-cc feedback interval. */
const TRANSPORT_FEEDBACK_INTERVAL_MS = 100;
/** NACK cache retention: this many RTTs of the farthest viewer (its NACK and two retries, as libwebrtc's sender keeps)… */
const NACK_RETENTION_RTTS = 3;
/** …but at least this long (a burst of loss, the viewer's own delay before it asks; Janus keeps 200 ms)… */
const MIN_NACK_RETENTION_MS = 250;
/** …and at most this long (the cache's index covers about 5 s of a 3 Mbit/s camera). */
const MAX_NACK_RETENTION_MS = 3000;
/** Until a viewer reports its RTT (browsers do from their second receiver report): libwebrtc's floor. */
const UNKNOWN_RTT_NACK_RETENTION_MS = 1000;

/**
 * How long the OTM keeps its packets for viewers' NACKs, given the largest recent viewer RTT. Sized by
 * RTT, like Janus's NACK queue, rather than one figure for every network: the cache is most of what an
 * OTM's viewers cost in memory, and on a LAN a second of 3 Mbit/s video (512 KiB a camera) is held for
 * NACKs that come within milliseconds.
 */
export function nackRetentionMs(maxViewerRttMs: number | undefined): number {
  if (maxViewerRttMs === undefined) return UNKNOWN_RTT_NACK_RETENTION_MS;
  const ms = Math.round(NACK_RETENTION_RTTS * maxViewerRttMs);
  return Math.min(MAX_NACK_RETENTION_MS, Math.max(MIN_NACK_RETENTION_MS, ms));
}

/**
 * The media path of one OTM, without signalling: publisher RTP in, renumbered once into the OTM's
 * tracks, cached and copied to every subscriber; viewers' feedback answered (NACK from the cache) or
 * aggregated (keyframe requests); the publisher kept informed (RR + REMB, NACK, transport-cc).
 */
export class OtmForwarder {
  readonly counters: OtmCounters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsOut: 0,
    bytesOut: 0,
    nacksAnswered: 0,
    nacksMissed: 0,
    packetsDropped: 0,
    upstreamNacked: 0,
    upstreamRecovered: 0,
    keyframeRequestsSent: 0,
  };
  readonly #options: OtmForwarderOptions;
  readonly #tracks = new Map<MediaKind, OtmTrack>();
  readonly #subscribers = new Map<string, SubscriberLeg>();
  readonly #cache: PacketCache;
  readonly #keyframes: KeyframeRequestAggregator;
  /** Viewers' RTTs, from their receiver reports on the SRs we forward: they size the NACK cache. */
  readonly #roundTrips = new RoundTripEstimator();
  readonly #reportTimer: NodeJS.Timeout;
  #transportFeedbackTimer: NodeJS.Timeout | undefined;
  /** One timer for whatever feedback is due next: a NACK retry or a coalesced keyframe request. */
  #feedbackTimer: NodeJS.Timeout | undefined;
  #feedbackDueMs = Number.POSITIVE_INFINITY;
  #publisher: PublisherLeg | undefined;
  #feedback: PublisherFeedback | undefined;
  #closed = false;

  constructor(options: OtmForwarderOptions) {
    this.#options = options;
    this.#cache = new PacketCache({
      capacity: options.nackCachePackets,
      minRetentionMs: UNKNOWN_RTT_NACK_RETENTION_MS,
    });
    this.#keyframes = new KeyframeRequestAggregator({ intervalMs: options.keyframeRequestIntervalMs });
    this.#reportTimer = setInterval(() => {
      this.#cache.minRetentionMs = nackRetentionMs(this.#roundTrips.maxRttMs(Date.now()));
      this.#sendReports();
    }, REPORT_INTERVAL_MS);
  }

  /** How long packets are currently kept for viewers' NACKs (see nackRetentionMs). */
  get nackRetentionMs(): number {
    return this.#cache.minRetentionMs;
  }

  /** Memory the NACK cache holds, bytes. */
  get nackCacheBytes(): number {
    return this.#cache.heldBytes();
  }

  get tracks(): ReadonlyMap<MediaKind, OtmTrack> {
    return this.#tracks;
  }

  get subscribers(): ReadonlyMap<string, SubscriberLeg> {
    return this.#subscribers;
  }

  get publisher(): PublisherLeg | undefined {
    return this.#publisher;
  }

  /**
   * A new publisher connection (first publish or reconnect). Its tracks keep the OTM's outgoing SSRCs
   * and numbering; what we knew about the previous connection's SSRCs is forgotten.
   */
  setPublisher(leg: PublisherLeg): void {
    this.#dropPublisherState();
    this.#publisher = leg;
    for (const negotiated of leg.tracks) {
      const track = this.#tracks.get(negotiated.kind);
      if (track === undefined)
        this.#tracks.set(negotiated.kind, new OtmTrack(negotiated.kind, negotiated.codec));
      else track.codec = negotiated.codec;
    }
    this.#feedback = new PublisherFeedback({
      senderSsrc: leg.rtcpSsrc,
      cname: this.#options.cname,
      maxBitrateBps: this.#options.publisherMaxBitrateBps,
      transportCcExtensionId: leg.transportCcExtensionId,
      nack: this.#options.upstreamNack,
    });
    if (this.#feedback.usesTransportCc) {
      this.#transportFeedbackTimer = setInterval(
        () => this.#sendTransportFeedback(),
        TRANSPORT_FEEDBACK_INTERVAL_MS,
      );
    }
  }

  /** The publisher left; the tracks stay so a reconnect continues them. */
  removePublisher(leg: PublisherLeg): void {
    if (leg !== this.#publisher) return;
    this.#dropPublisherState();
  }

  addSubscriber(leg: SubscriberLeg): void {
    this.#subscribers.set(leg.resourceId, leg);
  }

  removeSubscriber(leg: SubscriberLeg): boolean {
    return this.#subscribers.get(leg.resourceId) === leg && this.#subscribers.delete(leg.resourceId);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reportTimer);
    this.#dropPublisherState();
    this.#subscribers.clear();
    this.#cache.close();
  }

  // ── ingress ──────────────────────────────────────────────────────────────────────

  /** The hot path: a plain RTP packet from `leg`, in a buffer we may modify until we return. */
  handlePublisherRtp(leg: PublisherLeg, packet: Buffer, length: number): void {
    const feedback = this.#feedback;
    if (leg !== this.#publisher || feedback === undefined) return;
    if (!isValidRtp(packet, length)) {
      this.counters.packetsDropped++;
      return;
    }
    feedback.onTransportPacket(packet, length, performance.now() * 1000);
    const ssrc = rtpSsrc(packet);
    const negotiated = leg.trackOf(ssrc, packet, length);
    // Routing is by SSRC; the payload type is still checked, because a packet of a codec we did not
    // negotiate (RED, FEC) would reach viewers labelled as the one we did.
    if (negotiated === undefined || rtpPayloadType(packet) !== negotiated.codec.payloadType) {
      this.counters.packetsDropped++;
      return;
    }
    const track = this.#tracks.get(negotiated.kind)!;
    const nowMs = Date.now();
    if (track.inboundSsrc !== ssrc) this.#switchInboundSsrc(track, ssrc, negotiated.codec.rtcpFeedback);
    const inboundSequence = rtpSequence(packet);
    const inboundTimestamp = rtpTimestamp(packet);
    const outcome = feedback.onRtp(ssrc, inboundSequence, inboundTimestamp, nowMs);
    if (outcome === 'gap') this.#sendNacks(nowMs);
    else if (outcome === 'recovered') this.counters.upstreamRecovered++;

    if (!track.rewriter.rewrite(inboundSequence, inboundTimestamp, nowMs)) {
      this.counters.packetsDropped++;
      return;
    }
    track.timestampOffset = (track.rewriter.timestamp - inboundTimestamp) >>> 0;
    packet.writeUInt16BE(track.rewriter.sequence, 2);
    packet.writeUInt32BE(track.rewriter.timestamp >>> 0, 4);
    packet.writeUInt32BE(track.ssrc, 8);
    this.counters.packetsIn++;
    this.counters.bytesIn += length;
    track.packets++;
    track.octets += length;
    if (track.kind === 'video' && this.#isKeyframe(track, packet, length))
      this.#keyframes.keyframeReceived(ssrc);
    this.#cache.put(packet, length, nowMs);
    for (const subscriber of this.#subscribers.values()) subscriber.forward(track.kind, packet, length);
    this.counters.packetsOut += this.#subscribers.size;
    this.counters.bytesOut += this.#subscribers.size * length;
  }

  handlePublisherRtcp(leg: PublisherLeg, packet: Buffer, length: number): void {
    const feedback = this.#feedback;
    if (leg !== this.#publisher || feedback === undefined) return;
    const nowMs = Date.now();
    for (const rtcp of parseRtcpCompound(packet, length)) {
      if (rtcp.type !== 'sr') continue;
      feedback.onSenderReport(rtcp.ssrc, rtcp.ntpSeconds, rtcp.ntpFraction, nowMs);
      // Viewers need the publisher's NTP↔RTP mapping for lip sync, in the OTM's SSRC and timestamps.
      let track: OtmTrack | undefined;
      for (const candidate of this.#tracks.values())
        if (candidate.inboundSsrc === rtcp.ssrc) track = candidate;
      if (track === undefined) continue;
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
      // The viewers' reports name this SR by its NTP time, which we pass on unchanged.
      this.#roundTrips.senderReportSent(rtcp.ntpSeconds, rtcp.ntpFraction, nowMs);
    }
  }

  // ── viewers' feedback ────────────────────────────────────────────────────────────

  /** A viewer's report blocks (from its RR or SR): those on our tracks give its RTT. */
  handleReceiverReports(blocks: readonly ReportBlock[]): void {
    const nowMs = Date.now();
    for (const block of blocks) {
      if (this.#trackSending(block.ssrc) !== undefined)
        this.#roundTrips.reportReceived(block.lastSr, block.delaySinceLastSr, nowMs);
    }
  }

  /** A viewer (or a newly connected one) needs a key frame: at most one request per interval goes up. */
  requestKeyframe(kind: KeyframeRequestKind): void {
    const ssrc = this.#tracks.get('video')?.inboundSsrc;
    if (this.#publisher === undefined || ssrc === undefined) return;
    const nowMs = Date.now();
    if (this.#keyframes.request(ssrc, kind, nowMs)) {
      this.#sendKeyframeRequest(ssrc, kind, this.#keyframes.firSequenceNumber(ssrc));
    } else {
      this.#scheduleFeedback();
    }
  }

  /** A viewer's NACK, in the OTM's numbering: resent from the cache, through that viewer's transport only. */
  answerNack(subscriber: SubscriberLeg, ssrc: number, sequences: readonly number[]): void {
    const track = this.#trackSending(ssrc);
    if (track === undefined) return;
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

  /** Our track that viewers receive under `ssrc`, if any. */
  #trackSending(ssrc: number): OtmTrack | undefined {
    for (const track of this.#tracks.values()) if (track.ssrc === ssrc) return track;
    return undefined;
  }

  // ── toward the publisher ─────────────────────────────────────────────────────────

  /** A new SSRC feeds `track`: a reconnected publisher, or one that changed its SSRC. */
  #switchInboundSsrc(track: OtmTrack, ssrc: number, rtcpFeedback: readonly string[]): void {
    if (track.inboundSsrc !== undefined) {
      track.rewriter.switchSource();
      this.#keyframes.remove(track.inboundSsrc);
    }
    track.inboundSsrc = ssrc;
    // The first REMB goes out with the first packet, not up to a report interval later: Chromium
    // trusts a REMB at once only in its first seconds, and picks its starting resolution meanwhile.
    setImmediate(() => this.#sendReports());
    this.#feedback?.addSource(
      ssrc,
      track.codec.clockRate,
      track.kind === 'video' && rtcpFeedback.includes('nack'),
    );
  }

  #isKeyframe(track: OtmTrack, packet: Buffer, length: number): boolean {
    const range = rtpPayloadRange(packet, length);
    if (!range) return false;
    const codec = track.codec.name.toLowerCase();
    if (codec === 'vp8') return isVp8Keyframe(packet, range.start, range.end);
    if (codec === 'h264') return isH264Keyframe(packet, range.start, range.end);
    return false;
  }

  #sendKeyframeRequest(ssrc: number, kind: KeyframeRequestKind, firSequenceNumber: number): void {
    const publisher = this.#publisher;
    if (publisher === undefined) return;
    const accepted = publisher.track('video')?.codec.rtcpFeedback ?? [];
    const fir = accepted.includes('ccm fir');
    const pli = accepted.includes('nack pli');
    // Ask the way the viewer asked when the publisher agreed to it, else the other way.
    const useFir = kind === 'fir' ? fir || !pli : fir && !pli;
    publisher.transport.sendRtcp(
      useFir ? buildFir(publisher.rtcpSsrc, ssrc, firSequenceNumber) : buildPli(publisher.rtcpSsrc, ssrc),
    );
    this.counters.keyframeRequestsSent++;
  }

  #sendNacks(nowMs: number): void {
    const publisher = this.#publisher;
    const feedback = this.#feedback;
    if (publisher === undefined || feedback === undefined) return;
    const before = feedback.nackRequested;
    for (const nack of feedback.buildNacks(nowMs)) publisher.transport.sendRtcp(nack);
    this.counters.upstreamNacked += feedback.nackRequested - before;
    this.#scheduleFeedback();
  }

  #scheduleFeedback(): void {
    const nack = this.#feedback?.nextNackDueMs();
    const keyframe = this.#keyframes.nextDueMs();
    const due = Math.min(nack ?? Number.POSITIVE_INFINITY, keyframe ?? Number.POSITIVE_INFINITY);
    if (due === Number.POSITIVE_INFINITY || (this.#feedbackTimer !== undefined && this.#feedbackDueMs <= due))
      return;
    clearTimeout(this.#feedbackTimer);
    this.#feedbackDueMs = due;
    this.#feedbackTimer = setTimeout(() => this.#onFeedbackDue(), Math.max(0, due - Date.now()));
  }

  #onFeedbackDue(): void {
    this.#feedbackTimer = undefined;
    this.#feedbackDueMs = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const nowMs = Date.now();
    this.#keyframes.tick(nowMs, (ssrc, kind, firSequenceNumber) =>
      this.#sendKeyframeRequest(ssrc, kind, firSequenceNumber),
    );
    this.#sendNacks(nowMs);
  }

  #sendReports(): void {
    const publisher = this.#publisher;
    if (publisher?.transport.state !== 'connected') return;
    const report = this.#feedback?.buildReport(Date.now());
    if (report !== undefined) publisher.transport.sendRtcp(report);
  }

  #sendTransportFeedback(): void {
    const publisher = this.#publisher;
    if (publisher?.transport.state !== 'connected') return;
    for (const packet of this.#feedback?.buildTransportFeedback() ?? []) publisher.transport.sendRtcp(packet);
  }

  #dropPublisherState(): void {
    // The next connection's first packet starts a new source in each track's numbering, even if it
    // happens to reuse an SSRC.
    for (const track of this.#tracks.values()) {
      if (track.inboundSsrc === undefined) continue;
      this.#keyframes.remove(track.inboundSsrc);
      track.rewriter.switchSource();
      track.inboundSsrc = undefined;
    }
    clearInterval(this.#transportFeedbackTimer);
    this.#transportFeedbackTimer = undefined;
    clearTimeout(this.#feedbackTimer);
    this.#feedbackTimer = undefined;
    this.#feedbackDueMs = Number.POSITIVE_INFINITY;
    this.#publisher = undefined;
    this.#feedback = undefined;
  }
}
