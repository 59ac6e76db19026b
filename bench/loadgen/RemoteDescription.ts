import { parseSdp } from '../../src/media/sdp/parseSdp.ts';
import type { DtlsSetup, Fingerprint, MediaSection } from '../../src/media/sdp/types.ts';

export const EXT_MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
export const EXT_ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
export const EXT_TRANSPORT_CC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

export type MediaKind = 'audio' | 'video';

/** One audio or video m-line of the peer's SDP, reduced to what a headless client needs. */
export interface RemoteMedia {
  kind: MediaKind;
  mid: string;
  /** The peer's payload type for our codec (opus or VP8). */
  payloadType: number;
  /** Negotiated header extension ids by URI. */
  extensionIds: Map<string, number>;
  /** The SSRC the peer announces for what it sends on this m-line, if any. */
  ssrc: number | undefined;
  /** rtcp-fb values of our codec, lower case. */
  feedback: string[];
}

/** The transport parameters and media lines of a peer's offer or answer (single BUNDLE transport). */
export interface RemoteDescription {
  iceUfrag: string;
  icePwd: string;
  iceLite: boolean;
  fingerprints: Fingerprint[];
  setup: DtlsSetup;
  candidate: { address: string; port: number };
  bundle: string[];
  /** Every m-line in order (rejected ones included, with payloadType -1), to answer them in order. */
  sections: Array<{
    kind: string;
    mid: string;
    protocol: string;
    formats: string[];
    usable: RemoteMedia | undefined;
  }>;
  audio: RemoteMedia | undefined;
  video: RemoteMedia | undefined;
}

const CODEC_OF: Record<MediaKind, string> = { audio: 'opus', video: 'vp8' };

/**
 * Reads a peer's SDP. Picks the first usable UDP IPv4 candidate, preferring loopback (the benchmark
 * runs on one machine). Throws when the SDP lacks ICE credentials, a fingerprint or a candidate.
 */
export function readRemoteDescription(sdp: string): RemoteDescription {
  const description = parseSdp(sdp);
  const first = description.media.find((m) => m.port !== 0) ?? description.media[0];
  if (!first) throw new Error('remote SDP has no m-line');
  const iceUfrag = first.iceUfrag ?? description.iceUfrag;
  const icePwd = first.icePwd ?? description.icePwd;
  const fingerprints = first.fingerprints.length > 0 ? first.fingerprints : description.fingerprints;
  const setup = first.setup ?? description.setup ?? 'actpass';
  if (!iceUfrag || !icePwd) throw new Error('remote SDP has no ICE credentials');
  if (fingerprints.length === 0) throw new Error('remote SDP has no DTLS fingerprint');
  const candidates = description.media.flatMap((m) => m.candidates);
  const udp4 = candidates.filter(
    (c) => c.transport.toLowerCase() === 'udp' && /^\d+\.\d+\.\d+\.\d+$/.test(c.address) && c.component === 1,
  );
  const chosen = udp4.find((c) => c.address === '127.0.0.1') ?? udp4[0];
  if (!chosen) throw new Error('remote SDP has no UDP IPv4 candidate');
  const sections = description.media.map((media) => ({
    kind: media.kind,
    mid: media.mid ?? '',
    protocol: media.protocol,
    formats: media.formats,
    usable: usableMedia(media),
  }));
  return {
    iceUfrag,
    icePwd,
    iceLite: description.iceLite,
    fingerprints,
    setup,
    candidate: { address: chosen.address, port: chosen.port },
    bundle: description.bundle ?? sections.map((s) => s.mid),
    sections,
    audio: sections.find((s) => s.usable?.kind === 'audio')?.usable,
    video: sections.find((s) => s.usable?.kind === 'video')?.usable,
  };
}

function usableMedia(media: MediaSection): RemoteMedia | undefined {
  if (media.port === 0 && !media.bundleOnly) return undefined;
  if (media.kind !== 'audio' && media.kind !== 'video') return undefined;
  const kind = media.kind;
  const codec = media.codecs.find((c) => c.name.toLowerCase() === CODEC_OF[kind]);
  if (!codec || media.mid === undefined) return undefined;
  const extensionIds = new Map<string, number>();
  for (const extmap of media.extmaps) extensionIds.set(extmap.uri, extmap.id);
  const ssrcLine = media.ssrcs[0];
  return {
    kind,
    mid: media.mid,
    payloadType: codec.payloadType,
    extensionIds,
    ssrc: ssrcLine?.ssrc,
    feedback: codec.rtcpFeedback.map((f) => f.toLowerCase()),
  };
}
