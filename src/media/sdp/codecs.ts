import type { CodecParameters } from './types.ts';

// Never answered: we forward exactly one media codec per m-line and repair loss with NACK on the media SSRC.
const AUXILIARY_CODECS = new Set(['rtx', 'red', 'ulpfec', 'flexfec', 'flexfec-03', 'cn', 'telephone-event']);

export function isAuxiliaryCodec(name: string): boolean {
  return AUXILIARY_CODECS.has(name.toLowerCase());
}

/** fmtp "a=1;b=2" → Map with lower-cased keys; values kept as written. */
export function fmtpParameters(fmtp: string | undefined): Map<string, string> {
  const parameters = new Map<string, string>();
  if (fmtp === undefined) return parameters;
  for (const part of fmtp.split(';')) {
    const equals = part.indexOf('=');
    if (equals === -1) {
      if (part.trim() !== '') parameters.set(part.trim().toLowerCase(), '');
      continue;
    }
    parameters.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim());
  }
  return parameters;
}

export type H264Profile =
  | 'constrained-baseline'
  | 'baseline'
  | 'main'
  | 'constrained-high'
  | 'high'
  | 'predictive-high-444';

// libwebrtc's table (h264_profile_level_id.cc): profile_idc plus a bit pattern over profile_iop, MSB first.
const H264_PROFILE_PATTERNS: ReadonlyArray<[number, string, H264Profile]> = [
  [0x42, 'x1xx0000', 'constrained-baseline'],
  [0x4d, '1xxx0000', 'constrained-baseline'],
  [0x58, '11xx0000', 'constrained-baseline'],
  [0x42, 'x0xx0000', 'baseline'],
  [0x58, '10xx0000', 'baseline'],
  [0x4d, '0x0x0000', 'main'],
  [0x64, '00000000', 'high'],
  [0x64, '00001100', 'constrained-high'],
  [0xf4, '00000000', 'predictive-high-444'],
];

function matchesBitPattern(value: number, pattern: string): boolean {
  for (let bit = 0; bit < 8; bit++) {
    const expected = pattern[bit];
    if (expected === 'x') continue;
    if (((value >> (7 - bit)) & 1) !== Number(expected)) return false;
  }
  return true;
}

/** RFC 6184 default when profile-level-id is absent: 42000a, i.e. Baseline. */
export function h264Profile(fmtp: string | undefined): H264Profile | undefined {
  const profileLevelId = fmtpParameters(fmtp).get('profile-level-id') ?? '42000a';
  if (!/^[0-9A-Fa-f]{6}$/.test(profileLevelId)) return undefined;
  const profileIdc = Number.parseInt(profileLevelId.slice(0, 2), 16);
  const profileIop = Number.parseInt(profileLevelId.slice(2, 4), 16);
  for (const [idc, pattern, profile] of H264_PROFILE_PATTERNS) {
    if (idc === profileIdc && matchesBitPattern(profileIop, pattern)) return profile;
  }
  return undefined;
}

export function h264PacketizationMode(fmtp: string | undefined): number {
  const mode = fmtpParameters(fmtp).get('packetization-mode');
  return mode === undefined ? 0 : Number(mode);
}

/** Higher is better for a publisher's H264: every browser decodes 42e01f (constrained baseline 3.1). */
export function h264PublishScore(fmtp: string | undefined): number {
  const profileLevelId = fmtpParameters(fmtp).get('profile-level-id')?.toLowerCase();
  if (profileLevelId === '42e01f') return 3;
  const profile = h264Profile(fmtp);
  if (profile === 'constrained-baseline') return 2;
  if (profile === 'baseline') return 1;
  return 0;
}

function numericParameter(fmtp: string | undefined, name: string, fallback: number): number {
  const value = fmtpParameters(fmtp).get(name);
  return value === undefined ? fallback : Number(value);
}

/**
 * Whether the publisher may send with this offered codec at all (WHIP side): the right clock and, for H264,
 * the only packetization we forward (non-interleaved, FU-A).
 */
export function isUsablePublishCodec(codec: CodecParameters): boolean {
  switch (codec.name.toLowerCase()) {
    case 'opus':
      return codec.clockRate === 48000;
    case 'h264':
      return codec.clockRate === 90000 && h264PacketizationMode(codec.fmtp) === 1;
    case 'vp8':
    case 'vp9':
    case 'av1':
      return codec.clockRate === 90000;
    default:
      return !isAuxiliaryCodec(codec.name);
  }
}

/** Among usable offered codecs of one name, higher is better; ties keep the offer's order. */
export function publishScore(codec: CodecParameters): number {
  switch (codec.name.toLowerCase()) {
    case 'h264':
      return h264PublishScore(codec.fmtp);
    case 'vp9':
      return numericParameter(codec.fmtp, 'profile-id', 0) === 0 ? 1 : 0;
    case 'av1':
      return numericParameter(codec.fmtp, 'profile', 0) === 0 ? 1 : 0;
    default:
      return 0;
  }
}

/**
 * Whether a subscriber that offered `offered` can decode what a source encoded with `source` sends, unchanged
 * (we forward, never transcode).
 */
export function canReceiveSource(
  offered: CodecParameters,
  source: { name: string; clockRate: number; channels?: number; fmtp?: string },
): boolean {
  if (offered.name.toLowerCase() !== source.name.toLowerCase()) return false;
  if (offered.clockRate !== source.clockRate) return false;
  if (source.channels !== undefined && (offered.channels ?? 1) !== source.channels) return false;
  switch (source.name.toLowerCase()) {
    case 'h264': {
      const profile = h264Profile(source.fmtp);
      return (
        profile !== undefined &&
        h264Profile(offered.fmtp) === profile &&
        h264PacketizationMode(offered.fmtp) === h264PacketizationMode(source.fmtp)
      );
    }
    case 'vp9':
      return (
        numericParameter(offered.fmtp, 'profile-id', 0) === numericParameter(source.fmtp, 'profile-id', 0)
      );
    case 'av1':
      return numericParameter(offered.fmtp, 'profile', 0) === numericParameter(source.fmtp, 'profile', 0);
    default:
      return true;
  }
}

/** The offer's media codecs for an error message: no RTX/RED/FEC noise, each variant once, a bounded list. */
export function describeOfferedCodecs(codecs: CodecParameters[]): string {
  const names = [...new Set(codecs.filter((codec) => !isAuxiliaryCodec(codec.name)).map(describeCodec))];
  if (names.length === 0) return 'nothing usable';
  return names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
}

export function describeCodec(codec: { name: string; clockRate: number; fmtp?: string }): string {
  return codec.fmtp === undefined
    ? `${codec.name}/${codec.clockRate}`
    : `${codec.name}/${codec.clockRate} (${codec.fmtp})`;
}
