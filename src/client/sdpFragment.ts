/**
 * RFC 8840 SDP fragments (`application/trickle-ice-sdpfrag`) as WHIP/WHEP use them for ICE
 * restarts (RFC 9725 §4.3): the client PATCHes its new credentials, the server answers with its own.
 */
import { DotmError } from './DotmError.ts';

export const SDP_FRAGMENT_CONTENT_TYPE = 'application/trickle-ice-sdpfrag';

export interface SdpFragmentMedia {
  mid: string | undefined;
  iceUfrag?: string;
  icePwd?: string;
  /** Attribute values without the leading `a=`, e.g. `candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host`. */
  candidates: string[];
  endOfCandidates: boolean;
}

export interface SdpFragment {
  iceUfrag?: string;
  icePwd?: string;
  iceLite: boolean;
  /** Session-level candidates (unusual, but RFC 8840 does not forbid them). */
  candidates: string[];
  endOfCandidates: boolean;
  media: SdpFragmentMedia[];
}

interface SdpSections {
  session: string[];
  /** Each section starts with its `m=` line. */
  media: string[][];
}

function splitSdp(sdp: string): SdpSections {
  const sections: SdpSections = { session: [], media: [] };
  for (const line of sdp.split(/\r?\n/)) {
    if (line.length === 0) continue;
    if (line.startsWith('m=')) sections.media.push([line]);
    else if (sections.media.length > 0) sections.media[sections.media.length - 1].push(line);
    else sections.session.push(line);
  }
  return sections;
}

function attribute(lines: readonly string[], name: string): string | undefined {
  const prefix = `a=${name}:`;
  const line = lines.find((candidate) => candidate.startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/**
 * The PATCH body for an ICE restart, from the local offer made with `iceRestart: true`: the new
 * credentials, and every m-line with its mid and whatever candidates the offer already holds.
 */
export function buildIceRestartFragment(offerSdp: string): string {
  const { session, media } = splitSdp(offerSdp);
  const first = media[0] ?? [];
  const ufrag = attribute(first, 'ice-ufrag') ?? attribute(session, 'ice-ufrag');
  const pwd = attribute(first, 'ice-pwd') ?? attribute(session, 'ice-pwd');
  if (!ufrag || !pwd) throw new DotmError('protocol-error', 'the ICE restart offer has no ice-ufrag/ice-pwd');

  const lines: string[] = [];
  const iceOptions = attribute(session, 'ice-options') ?? attribute(first, 'ice-options');
  if (iceOptions) lines.push(`a=ice-options:${iceOptions}`);
  const bundle = session.find((line) => line.startsWith('a=group:BUNDLE'));
  if (bundle) lines.push(bundle);
  lines.push(`a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`);
  for (const section of media) {
    // RFC 8840 §9: the m-line identifies the section; its port carries no meaning here.
    const fields = section[0].slice(2).split(' ');
    fields[1] = '9';
    lines.push(`m=${fields.join(' ')}`);
    const mid = attribute(section, 'mid');
    if (mid !== undefined) lines.push(`a=mid:${mid}`);
    for (const line of section) {
      if (line.startsWith('a=candidate:') || line === 'a=end-of-candidates') lines.push(line);
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function parseSdpFragment(text: string): SdpFragment {
  const fragment: SdpFragment = { iceLite: false, candidates: [], endOfCandidates: false, media: [] };
  let current: SdpFragmentMedia | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      current = { mid: undefined, candidates: [], endOfCandidates: false };
      fragment.media.push(current);
    } else if (line.startsWith('a=mid:') && current) {
      current.mid = line.slice('a=mid:'.length).trim();
    } else if (line.startsWith('a=ice-ufrag:')) {
      (current ?? fragment).iceUfrag = line.slice('a=ice-ufrag:'.length).trim();
    } else if (line.startsWith('a=ice-pwd:')) {
      (current ?? fragment).icePwd = line.slice('a=ice-pwd:'.length).trim();
    } else if (line.startsWith('a=candidate:')) {
      (current ?? fragment).candidates.push(line.slice(2));
    } else if (line === 'a=end-of-candidates') {
      (current ?? fragment).endOfCandidates = true;
    } else if (line === 'a=ice-lite') {
      fragment.iceLite = true;
    }
  }
  return fragment;
}

/**
 * The remote description after an ICE restart: the current answer with the server's new
 * credentials and, when the fragment lists any, its candidates instead of the old ones.
 */
export function applyIceFragment(remoteSdp: string, fragment: SdpFragment): string {
  const eol = remoteSdp.includes('\r\n') ? '\r\n' : '\n';
  const { session, media } = splitSdp(remoteSdp);
  const ufrag = fragment.iceUfrag ?? fragment.media.find((entry) => entry.iceUfrag)?.iceUfrag;
  const pwd = fragment.icePwd ?? fragment.media.find((entry) => entry.icePwd)?.icePwd;
  if (!ufrag || !pwd)
    throw new DotmError('protocol-error', 'the ICE restart answer has no ice-ufrag/ice-pwd');

  const replaceCredentials = (line: string, lineUfrag: string, linePwd: string): string => {
    if (line.startsWith('a=ice-ufrag:')) return `a=ice-ufrag:${lineUfrag}`;
    if (line.startsWith('a=ice-pwd:')) return `a=ice-pwd:${linePwd}`;
    return line;
  };
  const sessionHasCredentials = session.some((line) => line.startsWith('a=ice-ufrag:'));
  const hasNewCandidates =
    fragment.candidates.length > 0 || fragment.media.some((entry) => entry.candidates.length > 0);

  const out = session.map((line) => replaceCredentials(line, ufrag, pwd));
  media.forEach((section, index) => {
    const mid = attribute(section, 'mid');
    const fragmentMedia =
      fragment.media.find((entry) => entry.mid !== undefined && entry.mid === mid) ??
      (index === 0 ? fragment.media.find((entry) => entry.mid === undefined) : undefined);
    const sectionUfrag = fragmentMedia?.iceUfrag ?? ufrag;
    const sectionPwd = fragmentMedia?.icePwd ?? pwd;
    let lines = section.map((line) => replaceCredentials(line, sectionUfrag, sectionPwd));
    if (!sessionHasCredentials && !lines.some((line) => line.startsWith('a=ice-ufrag:'))) {
      lines.splice(1, 0, `a=ice-ufrag:${sectionUfrag}`, `a=ice-pwd:${sectionPwd}`);
    }
    if (hasNewCandidates) {
      lines = lines.filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates');
      // Session-level candidates belong to the bundle transport, which the first section carries.
      const candidates = [...(index === 0 ? fragment.candidates : []), ...(fragmentMedia?.candidates ?? [])];
      lines.push(...candidates.map((candidate) => `a=${candidate}`));
      if (fragmentMedia?.endOfCandidates || (index === 0 && fragment.endOfCandidates)) {
        lines.push('a=end-of-candidates');
      }
    }
    out.push(...lines);
  });
  return `${out.join(eol)}${eol}`;
}
