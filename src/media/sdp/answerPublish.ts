import {
  assertLocalIceDtls,
  assertOfferShape,
  DEFAULT_PUBLISH_EXTENSIONS,
  DEFAULT_RTCP_FEEDBACK,
  finishAnswer,
  mediaSsrcs,
  negotiateExtensions,
  negotiateFeedback,
  remoteMsid,
  type SectionPlan,
  transportRejection,
} from './answerCommon.ts';
import { describeOfferedCodecs, isUsablePublishCodec, publishScore } from './codecs.ts';
import { parseSdp } from './parseSdp.ts';
import type {
  CodecParameters,
  LocalIceDtls,
  MediaKind,
  MediaSection,
  NegotiatedTrack,
  PublishOptions,
  RemoteIceDtls,
  SessionDescription,
} from './types.ts';

export type { PublishOptions } from './types.ts';

const DEFAULT_AUDIO_CODECS = ['opus'];
const DEFAULT_VIDEO_CODECS = ['VP8', 'H264'];

/**
 * Answers a WHIP offer: every m-line the publisher sends on and we can forward is answered recvonly with one
 * codec; the rest are rejected with port 0. Throws SdpError for a bad or unusable offer.
 */
export function answerPublish(
  offer: string,
  local: LocalIceDtls,
  options: PublishOptions = {},
): { answer: string; tracks: NegotiatedTrack[]; remote: RemoteIceDtls } {
  assertLocalIceDtls(local);
  const description = parseSdp(offer);
  assertOfferShape(description);
  const plans = description.media.map((media) => planSection(description, media, options));
  return finishAnswer(description, local, plans, []);
}

function planSection(offer: SessionDescription, media: MediaSection, options: PublishOptions): SectionPlan {
  const rejection = transportRejection(offer, media);
  if (rejection !== undefined) return { accepted: false, media, reason: rejection };
  if (media.direction !== 'sendonly' && media.direction !== 'sendrecv') {
    return { accepted: false, media, reason: `it is ${media.direction}; a WHIP publisher must send` };
  }
  const kind = media.kind as MediaKind;
  const preferences =
    kind === 'audio'
      ? (options.audioCodecs ?? DEFAULT_AUDIO_CODECS)
      : (options.videoCodecs ?? DEFAULT_VIDEO_CODECS);
  const offered = chooseCodec(media.codecs, preferences);
  if (offered === undefined) {
    const offeredNames = describeOfferedCodecs(media.codecs);
    return {
      accepted: false,
      media,
      reason: `no codec in common (offer has ${offeredNames}; we accept ${preferences.join(', ')})`,
    };
  }
  const codec: CodecParameters = {
    ...offered,
    rtcpFeedback: negotiateFeedback(offered.rtcpFeedback, options.rtcpFeedback ?? DEFAULT_RTCP_FEEDBACK),
  };
  const rids = simulcastRids(media);
  const track: NegotiatedTrack = {
    mid: media.mid!,
    kind,
    codec,
    extensions: negotiateExtensions(media, options.extensions ?? DEFAULT_PUBLISH_EXTENSIONS),
    ssrcs: mediaSsrcs(media),
    rids,
  };
  const msid = remoteMsid(media);
  if (msid !== undefined) track.msid = msid;
  const extraAttributes = rids.map((rid) => `rid:${rid} recv`);
  if (rids.length > 0) extraAttributes.push(`simulcast:recv ${rids.join(';')}`);
  return { accepted: true, media, direction: 'recvonly', track, extraAttributes };
}

function chooseCodec(codecs: CodecParameters[], preferences: string[]): CodecParameters | undefined {
  for (const preference of preferences) {
    let best: CodecParameters | undefined;
    for (const codec of codecs) {
      if (codec.name.toLowerCase() !== preference.toLowerCase() || !isUsablePublishCodec(codec)) continue;
      if (best === undefined || publishScore(codec) > publishScore(best)) best = codec;
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/**
 * The layers the publisher will send, in its a=simulcast order: the first alternative of each stream that has
 * a matching a=rid ... send. We want every layer, so paused (~) layers are answered unpaused.
 */
function simulcastRids(media: MediaSection): string[] {
  const streams = media.simulcast?.send;
  if (streams === undefined) return [];
  const declared = new Set(media.rids.filter((rid) => rid.direction === 'send').map((rid) => rid.id));
  const rids: string[] = [];
  for (const alternatives of streams) {
    const layer = alternatives.find((alternative) => declared.has(alternative.rid));
    if (layer !== undefined && !rids.includes(layer.rid)) rids.push(layer.rid);
  }
  return rids;
}
