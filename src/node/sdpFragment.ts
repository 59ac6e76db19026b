/**
 * The `application/trickle-ice-sdpfrag` bodies (RFC 8840) of WHIP/WHEP PATCH requests: only the
 * parts an ICE-lite server needs (credentials, for an ICE restart).
 */
export interface IceFragment {
  iceUfrag?: string;
  icePwd?: string;
  mids: string[];
}

const MAX_FRAGMENT = 16 * 1024;

export function parseIceFragment(text: string): IceFragment | undefined {
  if (text.length > MAX_FRAGMENT) return undefined;
  const fragment: IceFragment = { mids: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('a=ice-ufrag:')) fragment.iceUfrag = line.slice(12);
    else if (line.startsWith('a=ice-pwd:')) fragment.icePwd = line.slice(10);
    else if (line.startsWith('a=mid:')) fragment.mids.push(line.slice(6));
    else if (line !== '' && !/^[a-z]=/.test(line)) return undefined;
  }
  return fragment;
}

export function buildIceFragment(options: {
  ufrag: string;
  pwd: string;
  mids: string[];
  candidate: { ip: string; port: number };
}): string {
  const lines = [`a=ice-lite`, `a=ice-ufrag:${options.ufrag}`, `a=ice-pwd:${options.pwd}`];
  for (const mid of options.mids.length > 0 ? options.mids : ['0']) {
    lines.push('m=audio 9 UDP/TLS/RTP/SAVPF 0', `a=mid:${mid}`);
    lines.push(`a=candidate:1 1 udp 2130706431 ${options.candidate.ip} ${options.candidate.port} typ host`);
    lines.push('a=end-of-candidates');
  }
  return `${lines.join('\r\n')}\r\n`;
}
