import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { quote } from './parseSdp.ts';
import { SdpError } from './SdpError.ts';
import type {
  CodecParameters,
  Direction,
  LocalIceDtls,
  MediaSection,
  NegotiatedTrack,
  RemoteIceDtls,
  SessionDescription,
} from './types.ts';

export const EXTENSION_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const EXTENSION_RTP_STREAM_ID = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
export const EXTENSION_REPAIRED_RTP_STREAM_ID = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';
export const EXTENSION_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
export const EXTENSION_TRANSPORT_WIDE_CC =
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
export const EXTENSION_AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

export const DEFAULT_PUBLISH_EXTENSIONS: readonly string[] = [
  EXTENSION_MID,
  EXTENSION_RTP_STREAM_ID,
  EXTENSION_REPAIRED_RTP_STREAM_ID,
  EXTENSION_ABS_SEND_TIME,
  EXTENSION_TRANSPORT_WIDE_CC,
  EXTENSION_AUDIO_LEVEL,
];

// A subscriber leg carries one layer per track, so the rid extensions have nothing to say there.
export const DEFAULT_SUBSCRIBE_EXTENSIONS: readonly string[] = [
  EXTENSION_MID,
  EXTENSION_ABS_SEND_TIME,
  EXTENSION_TRANSPORT_WIDE_CC,
  EXTENSION_AUDIO_LEVEL,
];

export const DEFAULT_RTCP_FEEDBACK: readonly string[] = [
  'nack',
  'nack pli',
  'ccm fir',
  'goog-remb',
  'transport-cc',
];

const ACCEPTED_PROTOCOLS = new Set(['UDP/TLS/RTP/SAVPF', 'RTP/SAVPF']);
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
const SHA256_FINGERPRINT = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31}$/;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
const HOST_CANDIDATE_PRIORITY = 2130706431;

export interface AcceptedSection {
  accepted: true;
  media: MediaSection;
  direction: Direction;
  track: NegotiatedTrack;
  /** Lines specific to the role (rid/simulcast, msid/ssrc), without the "a=" already prefixed. */
  extraAttributes: string[];
}

export interface RejectedSection {
  accepted: false;
  media: MediaSection;
  reason: string;
}

export type SectionPlan = AcceptedSection | RejectedSection;

/** The caller's own parameters: bad ones are a bug on our side (or an SDP injection), never the peer's fault. */
export function assertLocalIceDtls(local: LocalIceDtls): void {
  if (typeof local?.iceUfrag !== 'string' || !ICE_CHARS.test(local.iceUfrag) || local.iceUfrag.length < 4) {
    throw new RangeError('local iceUfrag must be 4-256 ICE characters (A-Z a-z 0-9 + /)');
  }
  if (local.iceUfrag.length > 256) throw new RangeError('local iceUfrag is longer than 256 characters');
  if (typeof local.icePwd !== 'string' || !ICE_CHARS.test(local.icePwd) || local.icePwd.length < 22) {
    throw new RangeError('local icePwd must be 22-256 ICE characters (A-Z a-z 0-9 + /)');
  }
  if (local.icePwd.length > 256) throw new RangeError('local icePwd is longer than 256 characters');
  if (local.fingerprint?.algorithm !== 'sha-256' || !SHA256_FINGERPRINT.test(local.fingerprint.value ?? '')) {
    throw new RangeError('local fingerprint must be sha-256 with 32 colon-separated hex bytes');
  }
  if (!Array.isArray(local.candidates)) throw new RangeError('local candidates must be an array');
  for (const candidate of local.candidates) {
    if (isIP(candidate?.ip) === 0)
      throw new RangeError(`local candidate ip ${quote(String(candidate?.ip))} is not an IP`);
    if (!Number.isInteger(candidate.port) || candidate.port < 1 || candidate.port > 65535) {
      throw new RangeError(`local candidate port ${candidate.port} is not 1-65535`);
    }
    if (candidate.protocol !== 'udp') throw new RangeError('local candidates must be udp');
  }
}

/** For ids we write into the answer: no spaces or line breaks, so nothing can be injected. */
export function assertSdpWord(value: string, what: string): void {
  if (typeof value !== 'string' || !VISIBLE_ASCII.test(value) || value.length > 256) {
    throw new RangeError(`${what} ${quote(String(value))} must be 1-256 visible ASCII characters`);
  }
}

function describeSection(media: MediaSection): string {
  return media.mid === undefined
    ? `m=${media.kind} (line ${media.line})`
    : `mid ${media.mid} (${media.kind})`;
}

/** Reasons shared by both roles to refuse an m-line before looking at codecs; undefined if it may be used. */
export function transportRejection(offer: SessionDescription, media: MediaSection): string | undefined {
  if (media.kind !== 'audio' && media.kind !== 'video') return `${media.kind} m-lines are not supported`;
  if (media.port === 0 && !media.bundleOnly) return 'the offer itself rejects it (port 0)';
  if (!ACCEPTED_PROTOCOLS.has(media.protocol)) {
    return `protocol ${media.protocol} is not supported (only UDP/TLS/RTP/SAVPF)`;
  }
  if (!media.rtcpMux) return 'no a=rtcp-mux (this server requires RTCP multiplexing)';
  if (offer.bundle !== undefined && !offer.bundle.includes(media.mid ?? '')) {
    return "not in the offer's a=group:BUNDLE";
  }
  return undefined;
}

/** rtcp-fb values both sides support, in the offer's order. */
export function negotiateFeedback(offered: string[], accepted: readonly string[]): string[] {
  const acceptedLower = new Set(accepted.map((feedback) => feedback.toLowerCase()));
  return offered.filter((feedback) => acceptedLower.has(feedback.toLowerCase()));
}

/** The offer's extmaps we accept, keeping the offer's ids. */
export function negotiateExtensions(
  media: MediaSection,
  accepted: readonly string[],
): Array<{ id: number; uri: string }> {
  const answered: Array<{ id: number; uri: string }> = [];
  for (const extmap of media.extmaps) {
    if (!accepted.includes(extmap.uri) || extmap.direction === 'inactive') continue;
    if (answered.some((existing) => existing.uri === extmap.uri)) continue;
    answered.push({ id: extmap.id, uri: extmap.uri });
  }
  return answered;
}

/** The SSRCs that carry media: everything listed except the repair streams of FID and FEC-FR groups. */
export function mediaSsrcs(media: MediaSection): number[] {
  const repair = new Set<number>();
  for (const group of media.ssrcGroups) {
    if (group.semantics === 'FID' || group.semantics === 'FEC-FR') {
      for (const ssrc of group.ssrcs.slice(1)) repair.add(ssrc);
    }
  }
  const ssrcs: number[] = [];
  const consider = (ssrc: number): void => {
    if (!repair.has(ssrc) && !ssrcs.includes(ssrc)) ssrcs.push(ssrc);
  };
  for (const group of media.ssrcGroups) if (group.semantics === 'SIM') group.ssrcs.forEach(consider);
  for (const group of media.ssrcGroups) consider(group.ssrcs[0]);
  for (const line of media.ssrcs) consider(line.ssrc);
  return ssrcs;
}

export function remoteMsid(media: MediaSection): { streamId: string; trackId: string } | undefined {
  for (const msid of media.msids) {
    if (msid.trackId !== undefined) return { streamId: msid.streamId, trackId: msid.trackId };
  }
  for (const line of media.ssrcs) {
    if (line.attribute !== 'msid' || line.value === undefined) continue;
    const [streamId, trackId] = line.value.split(' ');
    if (streamId && trackId) return { streamId, trackId };
  }
  return undefined;
}

/**
 * Offer-wide preconditions. Every m-line needs a mid: answers repeat them, BUNDLE lists them and RTP is
 * demultiplexed by them. Two ICE-lite agents never connect.
 */
export function assertOfferShape(offer: SessionDescription): void {
  if (offer.iceLite) {
    throw new SdpError(
      'unsupported',
      'the offer is ICE-lite and so is this server; one side must run full ICE',
    );
  }
  for (const media of offer.media) {
    if (media.mid === undefined) {
      throw new SdpError(
        'unsupported',
        `the m=${media.kind} line on line ${media.line} has no a=mid; this server needs mids (BUNDLE)`,
      );
    }
  }
}

/**
 * Applies the rules both roles share (mids, BUNDLE, at least one accepted m-line, the offerer's ICE/DTLS)
 * and writes the answer.
 */
export function finishAnswer(
  offer: SessionDescription,
  local: LocalIceDtls,
  plans: SectionPlan[],
  sessionAttributes: string[],
): { answer: string; tracks: NegotiatedTrack[]; remote: RemoteIceDtls } {
  const accepted = plans.filter((plan): plan is AcceptedSection => plan.accepted);
  if (accepted.length === 0) {
    const reasons = plans.map(
      (plan) => `${describeSection(plan.media)}: ${plan.accepted ? 'ok' : plan.reason}`,
    );
    throw new SdpError(
      'no-common-codec',
      reasons.length === 0
        ? 'the offer has no m-lines'
        : `no audio or video m-line of the offer can be accepted: ${reasons.join('; ')}`,
    );
  }
  if (offer.bundle === undefined && accepted.length > 1) {
    throw new SdpError(
      'unsupported',
      `the offer has ${accepted.length} usable m-lines but no a=group:BUNDLE; this server carries all media on one transport`,
    );
  }
  // The offer's BUNDLE order decides the tagged m-line (RFC 8843): keep it in the answer's group.
  const bundleOrder = offer.bundle ?? [];
  const bundled = [...accepted].sort(
    (a, b) => bundleOrder.indexOf(a.track.mid) - bundleOrder.indexOf(b.track.mid),
  );
  const remote = remoteIceDtls(offer, bundled[0].media);

  const lines = [
    'v=0',
    `o=- ${randomBytes(8).readBigUInt64BE() >> 2n} 1 IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
  ];
  if (offer.bundle !== undefined)
    lines.push(`a=group:BUNDLE ${bundled.map((plan) => plan.track.mid).join(' ')}`);
  for (const attribute of sessionAttributes) lines.push(`a=${attribute}`);
  for (const plan of plans) {
    if (plan.accepted) writeAcceptedSection(lines, plan, local, plan.media.rtcpRsize);
    else writeRejectedSection(lines, plan.media);
  }
  return { answer: `${lines.join('\r\n')}\r\n`, tracks: accepted.map((plan) => plan.track), remote };
}

function remoteIceDtls(offer: SessionDescription, media: MediaSection): RemoteIceDtls {
  const iceUfrag = media.iceUfrag ?? offer.iceUfrag;
  const icePwd = media.icePwd ?? offer.icePwd;
  const fingerprints = media.fingerprints.length > 0 ? media.fingerprints : offer.fingerprints;
  // RFC 4145: no a=setup means active, which suits a server that is always passive.
  const setup = media.setup ?? offer.setup ?? 'active';
  if (iceUfrag === undefined) throw new SdpError('malformed', 'offer has no a=ice-ufrag');
  if (icePwd === undefined) throw new SdpError('malformed', 'offer has no a=ice-pwd');
  if (!ICE_CHARS.test(iceUfrag) || iceUfrag.length < 4 || iceUfrag.length > 256) {
    throw new SdpError('malformed', `offer a=ice-ufrag ${quote(iceUfrag)} is not 4-256 ICE characters`);
  }
  if (!ICE_CHARS.test(icePwd) || icePwd.length < 22 || icePwd.length > 256) {
    throw new SdpError('malformed', 'offer a=ice-pwd is not 22-256 ICE characters');
  }
  if (fingerprints.length === 0) throw new SdpError('malformed', 'offer has no a=fingerprint');
  if (setup === 'passive' || setup === 'holdconn') {
    throw new SdpError(
      'unsupported',
      `offer has a=setup:${setup}, but this server is always the DTLS server (a=setup:passive); offer a=setup:actpass or active`,
    );
  }
  return { iceUfrag, icePwd, fingerprints: fingerprints.map((fingerprint) => ({ ...fingerprint })), setup };
}

function connectionLine(ip: string | undefined): string {
  if (ip === undefined) return 'c=IN IP4 0.0.0.0';
  return isIP(ip) === 6 ? `c=IN IP6 ${ip}` : `c=IN IP4 ${ip}`;
}

function rtpmapValue(codec: CodecParameters): string {
  const channels = codec.channels === undefined ? '' : `/${codec.channels}`;
  return `${codec.payloadType} ${codec.name}/${codec.clockRate}${channels}`;
}

function writeAcceptedSection(
  lines: string[],
  plan: AcceptedSection,
  local: LocalIceDtls,
  rtcpRsize: boolean,
): void {
  const { media, track } = plan;
  const codec = track.codec;
  const defaultCandidate = local.candidates[0];
  lines.push(`m=${media.kind} ${defaultCandidate?.port ?? 9} ${media.protocol} ${codec.payloadType}`);
  lines.push(connectionLine(defaultCandidate?.ip));
  lines.push(`a=mid:${track.mid}`);
  lines.push(`a=${plan.direction}`);
  lines.push(`a=ice-ufrag:${local.iceUfrag}`);
  lines.push(`a=ice-pwd:${local.icePwd}`);
  lines.push(`a=fingerprint:sha-256 ${local.fingerprint.value.toUpperCase()}`);
  lines.push('a=setup:passive');
  lines.push('a=rtcp-mux');
  if (rtcpRsize) lines.push('a=rtcp-rsize');
  for (const extension of negotiatedExtensionLines(plan)) lines.push(extension);
  lines.push(`a=rtpmap:${rtpmapValue(codec)}`);
  for (const feedback of codec.rtcpFeedback) lines.push(`a=rtcp-fb:${codec.payloadType} ${feedback}`);
  if (codec.fmtp !== undefined) lines.push(`a=fmtp:${codec.payloadType} ${codec.fmtp}`);
  for (const attribute of plan.extraAttributes) lines.push(`a=${attribute}`);
  local.candidates.forEach((candidate, index) => {
    lines.push(
      `a=candidate:${index + 1} 1 udp ${HOST_CANDIDATE_PRIORITY - index} ${candidate.ip} ${candidate.port} typ host`,
    );
  });
  lines.push('a=end-of-candidates');
}

function negotiatedExtensionLines(plan: AcceptedSection): string[] {
  const directions = new Map(plan.media.extmaps.map((extmap) => [extmap.id, extmap.direction]));
  return plan.track.extensions.map((extension) => {
    const offered = directions.get(extension.id);
    const answered = offered === 'sendonly' ? '/recvonly' : offered === 'recvonly' ? '/sendonly' : '';
    return `a=extmap:${extension.id}${answered} ${extension.uri}`;
  });
}

function writeRejectedSection(lines: string[], media: MediaSection): void {
  lines.push(`m=${media.kind} 0 ${media.protocol} ${media.formats.join(' ')}`);
  lines.push('c=IN IP4 0.0.0.0');
  if (media.mid !== undefined) lines.push(`a=mid:${media.mid}`);
  if (media.protocol.includes('RTP/')) lines.push('a=inactive');
}
