import { EXT_ABS_SEND_TIME, EXT_MID, EXT_TRANSPORT_CC, type RemoteDescription } from './RemoteDescription.ts';

/** Our side of the transport, written into every offer or answer. */
export interface LocalTransport {
  iceUfrag: string;
  icePwd: string;
  /** sha-256, `AB:CD:…`. */
  fingerprint: string;
  address: string;
  port: number;
}

/** What a publisher sends: one SSRC per kind, announced as a browser does. */
export interface LocalSources {
  audioSsrc: number;
  videoSsrc: number;
  cname: string;
  streamId: string;
}

export const OPUS_PAYLOAD_TYPE = 111;
export const VP8_PAYLOAD_TYPE = 96;

/**
 * The header extensions we offer, with a browser's ids. Publishers offer transport-cc like Chromium
 * does (each server then decides); viewers do not, because they send no transport-cc feedback.
 */
const PUBLISH_EXTENSIONS: Array<[number, string]> = [
  [4, EXT_MID],
  [2, EXT_ABS_SEND_TIME],
  [3, EXT_TRANSPORT_CC],
];
const VIEW_EXTENSIONS: Array<[number, string]> = [
  [4, EXT_MID],
  [2, EXT_ABS_SEND_TIME],
];
const VIEW_FEEDBACK = ['nack', 'nack pli', 'ccm fir'];
const PUBLISH_VIDEO_FEEDBACK = ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli'];

/**
 * A Chromium-shaped offer for one bundled transport with an audio and a video m-line: sendonly with
 * our SSRCs for a publisher, recvonly for a viewer. Non-trickle: the one host candidate and
 * end-of-candidates are in it.
 */
export function buildOffer(
  local: LocalTransport,
  direction: 'sendonly' | 'recvonly',
  sources?: LocalSources,
): string {
  const lines = sessionHeader();
  lines.push('a=group:BUNDLE 0 1');
  if (sources) lines.push(`a=msid-semantic: WMS ${sources.streamId}`);
  const extensions = direction === 'sendonly' ? PUBLISH_EXTENSIONS : VIEW_EXTENSIONS;
  for (const kind of ['audio', 'video'] as const) {
    const payloadType = kind === 'audio' ? OPUS_PAYLOAD_TYPE : VP8_PAYLOAD_TYPE;
    const mid = kind === 'audio' ? '0' : '1';
    lines.push(`m=${kind} ${local.port} UDP/TLS/RTP/SAVPF ${payloadType}`);
    lines.push(`c=IN IP4 ${local.address}`);
    transportLines(lines, local, 'actpass');
    lines.push(`a=mid:${mid}`);
    for (const [id, uri] of extensions) {
      if (kind === 'audio' && uri === EXT_ABS_SEND_TIME) continue;
      lines.push(`a=extmap:${id} ${uri}`);
    }
    lines.push(`a=${direction}`);
    lines.push('a=rtcp-mux');
    lines.push('a=rtcp-rsize');
    if (kind === 'audio') {
      lines.push(`a=rtpmap:${payloadType} opus/48000/2`);
      if (direction === 'sendonly') lines.push(`a=rtcp-fb:${payloadType} transport-cc`);
      lines.push(`a=fmtp:${payloadType} minptime=10;useinbandfec=1`);
    } else {
      lines.push(`a=rtpmap:${payloadType} VP8/90000`);
      const feedback = direction === 'sendonly' ? PUBLISH_VIDEO_FEEDBACK : VIEW_FEEDBACK;
      for (const fb of feedback) lines.push(`a=rtcp-fb:${payloadType} ${fb}`);
    }
    if (sources) {
      const ssrc = kind === 'audio' ? sources.audioSsrc : sources.videoSsrc;
      const trackId = `${sources.streamId}-${kind}`;
      lines.push(`a=msid:${sources.streamId} ${trackId}`);
      lines.push(`a=ssrc:${ssrc} cname:${sources.cname}`);
      lines.push(`a=ssrc:${ssrc} msid:${sources.streamId} ${trackId}`);
    }
    candidateLines(lines, local);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * A viewer's answer to a server's offer (Janus offers to its subscribers): every audio/video m-line
 * with our codec is accepted recvonly in the offer's payload type and extension ids; anything else is
 * rejected with port 0. We take the DTLS client role (a=setup:active).
 */
export function buildViewerAnswer(local: LocalTransport, offer: RemoteDescription): string {
  const lines = sessionHeader();
  const accepted = offer.sections.filter((s) => s.usable !== undefined).map((s) => s.mid);
  lines.push(`a=group:BUNDLE ${accepted.join(' ')}`);
  for (const section of offer.sections) {
    const media = section.usable;
    if (!media) {
      lines.push(`m=${section.kind} 0 ${section.protocol} ${section.formats.join(' ')}`);
      lines.push('c=IN IP4 0.0.0.0');
      if (section.mid) lines.push(`a=mid:${section.mid}`);
      lines.push('a=inactive');
      continue;
    }
    lines.push(`m=${media.kind} ${local.port} UDP/TLS/RTP/SAVPF ${media.payloadType}`);
    lines.push(`c=IN IP4 ${local.address}`);
    transportLines(lines, local, 'active');
    lines.push(`a=mid:${media.mid}`);
    for (const [, uri] of VIEW_EXTENSIONS) {
      const id = media.extensionIds.get(uri);
      if (id !== undefined) lines.push(`a=extmap:${id} ${uri}`);
    }
    lines.push('a=recvonly');
    lines.push('a=rtcp-mux');
    if (media.kind === 'audio') {
      lines.push(`a=rtpmap:${media.payloadType} opus/48000/2`);
      lines.push(`a=fmtp:${media.payloadType} minptime=10;useinbandfec=1`);
    } else {
      lines.push(`a=rtpmap:${media.payloadType} VP8/90000`);
      for (const fb of VIEW_FEEDBACK) {
        if (media.feedback.includes(fb)) lines.push(`a=rtcp-fb:${media.payloadType} ${fb}`);
      }
    }
    candidateLines(lines, local);
  }
  return `${lines.join('\r\n')}\r\n`;
}

function sessionHeader(): string[] {
  const sessionId = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  return ['v=0', `o=- ${sessionId} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0'];
}

function transportLines(lines: string[], local: LocalTransport, setup: 'actpass' | 'active'): void {
  lines.push(`a=ice-ufrag:${local.iceUfrag}`);
  lines.push(`a=ice-pwd:${local.icePwd}`);
  lines.push(`a=fingerprint:sha-256 ${local.fingerprint}`);
  lines.push(`a=setup:${setup}`);
}

function candidateLines(lines: string[], local: LocalTransport): void {
  lines.push(`a=candidate:1 1 udp 2130706431 ${local.address} ${local.port} typ host`);
  lines.push('a=end-of-candidates');
}
