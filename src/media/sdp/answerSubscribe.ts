import {
  assertLocalIceDtls,
  assertOfferShape,
  assertSdpWord,
  DEFAULT_RTCP_FEEDBACK,
  DEFAULT_SUBSCRIBE_EXTENSIONS,
  finishAnswer,
  negotiateExtensions,
  negotiateFeedback,
  type SectionPlan,
  transportRejection,
} from './answerCommon.ts';
import { canReceiveSource, describeCodec, describeOfferedCodecs, isAuxiliaryCodec } from './codecs.ts';
import { parseSdp } from './parseSdp.ts';
import type {
  CodecParameters,
  LocalIceDtls,
  MediaKind,
  MediaSection,
  NegotiatedTrack,
  RemoteIceDtls,
  SessionDescription,
  SourceTrack,
  SubscribeOptions,
} from './types.ts';

export type { SubscribeOptions } from './types.ts';

/**
 * Answers a WHEP offer: each receiving audio/video m-line gets the first unused source of its kind, sendonly,
 * in the subscriber's payload type and extension ids; the rest are rejected with port 0.
 * Throws SdpError for a bad or unusable offer.
 */
export function answerSubscribe(
  offer: string,
  local: LocalIceDtls,
  sources: SourceTrack[],
  options: SubscribeOptions = {},
): { answer: string; tracks: NegotiatedTrack[]; remote: RemoteIceDtls } {
  assertLocalIceDtls(local);
  assertSources(sources);
  const description = parseSdp(offer);
  assertOfferShape(description);
  const unused = [...sources];
  const plans = description.media.map((media) => planSection(description, media, unused, options));
  const answered = plans.some((plan) => plan.accepted);
  return finishAnswer(description, local, plans, answered ? ['msid-semantic:WMS *'] : []);
}

function assertSources(sources: SourceTrack[]): void {
  if (!Array.isArray(sources)) throw new RangeError('sources must be an array');
  for (const source of sources) {
    if (source?.kind !== 'audio' && source?.kind !== 'video') {
      throw new RangeError(`source kind ${String(source?.kind)} is not audio or video`);
    }
    if (!Number.isInteger(source.ssrc) || source.ssrc < 0 || source.ssrc > 0xffffffff) {
      throw new RangeError(`source ssrc ${source.ssrc} is not a 32-bit unsigned integer`);
    }
    assertSdpWord(source.cname, 'source cname');
    assertSdpWord(source.streamId, 'source streamId');
    assertSdpWord(source.trackId, 'source trackId');
    if (typeof source.codec?.name !== 'string' || !/^[A-Za-z0-9_.+-]+$/.test(source.codec.name)) {
      throw new RangeError('source codec name must be an SDP encoding name');
    }
    if (!Number.isInteger(source.codec.clockRate) || source.codec.clockRate <= 0) {
      throw new RangeError('source codec clockRate must be a positive integer');
    }
  }
}

function planSection(
  offer: SessionDescription,
  media: MediaSection,
  unused: SourceTrack[],
  options: SubscribeOptions,
): SectionPlan {
  const rejection = transportRejection(offer, media);
  if (rejection !== undefined) return { accepted: false, media, reason: rejection };
  if (media.direction !== 'recvonly' && media.direction !== 'sendrecv') {
    return { accepted: false, media, reason: `it is ${media.direction}; a WHEP viewer must receive` };
  }
  const kind = media.kind as MediaKind;
  const candidates = unused.filter((source) => source.kind === kind);
  if (candidates.length === 0) return { accepted: false, media, reason: `no ${kind} source to send` };
  // The first unused source of this kind, so one camera stream fills one audio and one video m-line.
  const source = candidates[0];
  const offered = media.codecs.find(
    (codec) => !isAuxiliaryCodec(codec.name) && canReceiveSource(codec, source.codec),
  );
  if (offered === undefined) {
    const offeredNames = describeOfferedCodecs(media.codecs);
    return {
      accepted: false,
      media,
      reason: `no codec in common (the source is ${describeCodec(source.codec)}; the offer has ${offeredNames})`,
    };
  }
  unused.splice(unused.indexOf(source), 1);
  const codec: CodecParameters = {
    ...offered,
    rtcpFeedback: negotiateFeedback(offered.rtcpFeedback, options.rtcpFeedback ?? DEFAULT_RTCP_FEEDBACK),
  };
  const msid = { streamId: source.streamId, trackId: source.trackId };
  const track: NegotiatedTrack = {
    mid: media.mid!,
    kind,
    codec,
    extensions: negotiateExtensions(media, options.extensions ?? DEFAULT_SUBSCRIBE_EXTENSIONS),
    ssrcs: [source.ssrc],
    rids: [],
    msid,
  };
  const extraAttributes = [
    `msid:${msid.streamId} ${msid.trackId}`,
    `ssrc:${source.ssrc} cname:${source.cname}`,
    `ssrc:${source.ssrc} msid:${msid.streamId} ${msid.trackId}`,
  ];
  return { accepted: true, media, direction: 'sendonly', track, extraAttributes };
}
