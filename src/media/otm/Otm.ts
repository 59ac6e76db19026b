import type { DtlsCertificate } from '../dtls/DtlsCertificate.ts';
import type { UdpMux } from '../ice/UdpMux.ts';
import {
  DEFAULT_PUBLISH_EXTENSIONS,
  DEFAULT_RTCP_FEEDBACK,
  EXTENSION_TRANSPORT_WIDE_CC,
} from '../sdp/answerCommon.ts';
import { answerPublish } from '../sdp/answerPublish.ts';
import { answerSubscribe } from '../sdp/answerSubscribe.ts';
import { SdpError } from '../sdp/SdpError.ts';
import type { PublishOptions, SourceTrack } from '../sdp/types.ts';
import { WebRtcTransport } from '../transport/WebRtcTransport.ts';
import type { LegTransport } from './LegTransport.ts';
import { OtmError } from './OtmError.ts';
import { type OtmCounters, OtmForwarder } from './OtmForwarder.ts';
import { PublisherLeg } from './PublisherLeg.ts';
import { SubscriberLeg } from './SubscriberLeg.ts';

export type { OtmCounters } from './OtmForwarder.ts';

/**
 * How the publisher's browser learns what bit rate it may send (see media.publisherCongestionControl
 * in src/config/reference.ts for the measurements behind the default):
 * - 'remb' (default): transport-cc is left out of the answer, so Chromium takes our REMB as its
 *   estimate and lowers it on the loss our receiver reports show;
 * - 'transport-cc': we agree to transport-wide congestion control and send its feedback every
 *   100 ms; Chromium's own delay-based estimator runs, capped by the REMB.
 */
export type PublisherCongestionControl = 'transport-cc' | 'remb';

/** Which endpoint a resource belongs to: the publisher's (WHIP) or a viewer's (WHEP). */
export type ResourceEndpoint = 'whip' | 'whep';

export interface OtmOptions {
  streamId: string;
  room: string;
  mux: UdpMux;
  certificate: DtlsCertificate;
  consentTimeoutMs: number;
  nackCachePackets: number;
  keyframeRequestIntervalMs: number;
  publisherMaxBitrateBps: number;
  publisherCongestionControl?: PublisherCongestionControl;
}

export interface OtmEvents {
  onPublisherConnected(otm: Otm, tracks: { hasAudio: boolean; hasVideo: boolean }): void;
  onPublisherDisconnected(otm: Otm, reason: string): void;
  onSubscriberConnected(otm: Otm, participantId: string): void;
  onSubscriberDisconnected(otm: Otm, participantId: string, reason: string): void;
}

/** What the publish answer agrees to, per congestion control. */
const PUBLISH_ANSWER_OPTIONS: Record<PublisherCongestionControl, PublishOptions> = {
  'transport-cc': {},
  remb: {
    extensions: DEFAULT_PUBLISH_EXTENSIONS.filter((uri) => uri !== EXTENSION_TRANSPORT_WIDE_CC),
    rtcpFeedback: DEFAULT_RTCP_FEEDBACK.filter((feedback) => feedback !== 'transport-cc'),
  },
};

/**
 * OneToMany broadcaster: one published stream in, one copy per subscriber out, each over its own
 * DTLS-SRTP transport. This class is the signalling side (WHIP/WHEP negotiation, legs, lifecycle);
 * the packets go through its OtmForwarder. Closing it closes the publisher and every subscriber
 * transport and its timers.
 */
export class Otm {
  readonly streamId: string;
  readonly room: string;
  readonly #options: OtmOptions;
  readonly #events: OtmEvents;
  readonly #forwarder: OtmForwarder;
  #closed = false;

  constructor(options: OtmOptions, events: OtmEvents) {
    this.streamId = options.streamId;
    this.room = options.room;
    this.#options = options;
    this.#events = events;
    this.#forwarder = new OtmForwarder({
      nackCachePackets: options.nackCachePackets,
      keyframeRequestIntervalMs: options.keyframeRequestIntervalMs,
      publisherMaxBitrateBps: options.publisherMaxBitrateBps,
      cname: this.#cname,
    });
  }

  get counters(): OtmCounters {
    return this.#forwarder.counters;
  }

  /** How long this OTM keeps packets for its viewers' NACKs, ms, and the memory that takes. */
  get nackRetentionMs(): number {
    return this.#forwarder.nackRetentionMs;
  }

  get nackCacheBytes(): number {
    return this.#forwarder.nackCacheBytes;
  }

  get subscriberCount(): number {
    return this.#forwarder.subscribers.size;
  }

  get publisherConnected(): boolean {
    return this.#forwarder.publisher?.transport.state === 'connected';
  }

  get #cname(): string {
    return `dotm-${this.streamId.slice(0, 8)}`;
  }

  /** WHIP: negotiates the publisher's offer. A new publish replaces the previous one (a reconnect). */
  acceptPublisher(participantId: string, offer: string): { answer: string; resourceId: string } {
    this.#assertOpen();
    const forwarder = this.#forwarder;
    let leg: PublisherLeg | undefined;
    const transport = new WebRtcTransport(
      {
        mux: this.#options.mux,
        certificate: this.#options.certificate,
        consentTimeoutMs: this.#options.consentTimeoutMs,
      },
      {
        onConnected: () => {
          if (leg && leg === forwarder.publisher) this.#handlePublisherConnected(leg);
        },
        onRtp: (packet, length) => {
          if (leg) forwarder.handlePublisherRtp(leg, packet, length);
        },
        onRtcp: (packet, length) => {
          if (leg) forwarder.handlePublisherRtcp(leg, packet, length);
        },
        onClosed: (reason) => {
          if (leg && leg === forwarder.publisher) {
            forwarder.removePublisher(leg);
            this.#events.onPublisherDisconnected(this, reason);
          }
        },
      },
    );
    let negotiated: ReturnType<typeof answerPublish>;
    try {
      negotiated = answerPublish(
        offer,
        transport.localParameters(),
        PUBLISH_ANSWER_OPTIONS[this.#options.publisherCongestionControl ?? 'remb'],
      );
    } catch (error) {
      transport.close();
      throw asOtmError(error);
    }
    transport.setRemoteParameters(negotiated.remote);
    leg = new PublisherLeg(participantId, transport, negotiated.tracks);
    const previous = forwarder.publisher;
    forwarder.setPublisher(leg);
    previous?.transport.close();
    return { answer: negotiated.answer, resourceId: leg.resourceId };
  }

  /** WHEP: negotiates a viewer's offer against the tracks the publisher sends. */
  acceptSubscriber(participantId: string, offer: string): { answer: string; resourceId: string } {
    this.#assertOpen();
    const forwarder = this.#forwarder;
    if (forwarder.tracks.size === 0) throw new OtmError('conflict', 'the stream has no publisher yet');
    const sources: SourceTrack[] = [...forwarder.tracks.values()].map((track) => ({
      kind: track.kind,
      codec: {
        name: track.codec.name,
        clockRate: track.codec.clockRate,
        channels: track.codec.channels,
        fmtp: track.codec.fmtp,
      },
      ssrc: track.ssrc,
      cname: this.#cname,
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
          forwarder.requestKeyframe('pli');
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
      onKeyframeRequest: (_subscriber, kind) => forwarder.requestKeyframe(kind),
      onNack: (subscriber, ssrc, sequences) => forwarder.answerNack(subscriber, ssrc, sequences),
      onReceiverReports: (_subscriber, blocks) => forwarder.handleReceiverReports(blocks),
      onClosed: (subscriber, reason) => {
        if (forwarder.removeSubscriber(subscriber)) {
          this.#events.onSubscriberDisconnected(this, subscriber.participantId, reason);
        }
      },
    });
    leg.setTracks(negotiated.tracks);
    forwarder.addSubscriber(leg);
    return { answer: negotiated.answer, resourceId: leg.resourceId };
  }

  /** ICE restart (PATCH with new credentials) for the publisher or one subscriber. */
  restartIce(
    resourceId: string,
    endpoint: ResourceEndpoint,
    remoteUfrag: string,
  ): { ufrag: string; pwd: string; candidate: { ip: string; port: number } } {
    const { ufrag, pwd } = this.#transportOf(resourceId, endpoint).restartIce(remoteUfrag);
    return {
      ufrag,
      pwd,
      candidate: { ip: this.#options.mux.announcedIp, port: this.#options.mux.localPort },
    };
  }

  /** A resource exists only at its own endpoint: a viewer's id is unknown to WHIP and vice versa. */
  hasResource(resourceId: string, endpoint: ResourceEndpoint): boolean {
    return endpoint === 'whip'
      ? this.#forwarder.publisher?.resourceId === resourceId
      : this.#forwarder.subscribers.has(resourceId);
  }

  /** DELETE of a WHIP/WHEP resource. */
  removeResource(resourceId: string, endpoint: ResourceEndpoint): void {
    if (!this.hasResource(resourceId, endpoint)) throw noSuchResource(endpoint);
    const publisher = this.#forwarder.publisher;
    if (endpoint === 'whip' && publisher !== undefined) {
      this.#forwarder.removePublisher(publisher);
      publisher.transport.close();
      this.#events.onPublisherDisconnected(this, 'deleted');
      return;
    }
    this.#forwarder.subscribers.get(resourceId)?.close('deleted');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const publisher = this.#forwarder.publisher;
    if (publisher !== undefined) {
      this.#forwarder.removePublisher(publisher);
      publisher.transport.close();
    }
    for (const subscriber of [...this.#forwarder.subscribers.values()]) subscriber.close('otm-closed');
    this.#forwarder.close();
  }

  #handlePublisherConnected(leg: PublisherLeg): void {
    this.#events.onPublisherConnected(this, {
      hasAudio: leg.tracks.some((t) => t.kind === 'audio'),
      hasVideo: leg.tracks.some((t) => t.kind === 'video'),
    });
    // A reconnected publisher starts from a keyframe so viewers recover at once.
    if (this.#forwarder.subscribers.size > 0) this.#forwarder.requestKeyframe('pli');
  }

  #transportOf(resourceId: string, endpoint: ResourceEndpoint): LegTransport {
    const transport =
      endpoint === 'whip'
        ? this.#forwarder.publisher?.resourceId === resourceId
          ? this.#forwarder.publisher.transport
          : undefined
        : this.#forwarder.subscribers.get(resourceId)?.transport;
    if (!transport) throw noSuchResource(endpoint);
    return transport;
  }

  #assertOpen(): void {
    if (this.#closed) throw new OtmError('not-found', 'the OTM is closed');
  }
}

function asOtmError(error: unknown): Error {
  if (error instanceof SdpError) return new OtmError('bad-sdp', error.message);
  return error as Error;
}

function noSuchResource(endpoint: ResourceEndpoint): OtmError {
  return new OtmError('not-found', `no such ${endpoint.toUpperCase()} resource on this stream`);
}
