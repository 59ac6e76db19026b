import { ONE_BYTE_EXTENSION_PROFILE, RTP_FIXED_HEADER_LENGTH, rtpHeaderLength } from './rtpHeader.ts';

/** What one subscriber's copy of a packet gets instead of the publisher's header fields. */
export interface RtpRewrite {
  ssrc: number;
  payloadType: number;
  sequence: number;
  timestamp: number;
  /**
   * Written in the RFC 8285 one-byte form, in this order: ids 1..14, values of 1..16 bytes.
   * Entries outside those limits are skipped rather than thrown on, because this runs per packet.
   * Callers may keep one array and mutate the value bytes per packet (e.g. the transport-cc sequence).
   */
  extensions?: ReadonlyArray<{ id: number; value: Buffer | Uint8Array }>;
}

/**
 * Copies RTP packet `src[0..srcLen)` into `out` with a new SSRC, payload type, sequence number and
 * timestamp. The marker bit, CSRCs, payload and padding are kept; the source's own header extensions
 * are dropped because extension ids are negotiated per connection, and `rewrite.extensions` are
 * written instead. Returns the length written, or -1 when `src` is not valid RTP or `out` is too small.
 * The caller sizes `out` with room for the SRTP auth tag after the returned length; `out` must not
 * overlap `src` (the header changes size).
 */
export function writeEgressPacket(src: Buffer, srcLen: number, rewrite: RtpRewrite, out: Buffer): number {
  const srcHeaderLength = rtpHeaderLength(src, srcLen);
  if (srcHeaderLength < 0) return -1;
  const first = src[0]!;
  if (first & 0x20) {
    const padding = src[srcLen - 1]!;
    if (padding === 0 || srcHeaderLength + padding > srcLen) return -1;
  }
  const csrcBytes = (first & 0x0f) * 4;
  const extensions = rewrite.extensions;
  const extensionBytes = extensions === undefined ? 0 : oneByteBlockLength(extensions);
  const headerLength = RTP_FIXED_HEADER_LENGTH + csrcBytes + extensionBytes;
  const bodyLength = srcLen - srcHeaderLength;
  if (headerLength + bodyLength > out.length) return -1;

  // V=2, P and CC kept; X only when we write a block.
  out[0] = 0x80 | (first & 0x2f) | (extensionBytes > 0 ? 0x10 : 0);
  out[1] = (src[1]! & 0x80) | (rewrite.payloadType & 0x7f);
  const sequence = rewrite.sequence;
  out[2] = (sequence >>> 8) & 0xff;
  out[3] = sequence & 0xff;
  const timestamp = rewrite.timestamp;
  out[4] = (timestamp >>> 24) & 0xff;
  out[5] = (timestamp >>> 16) & 0xff;
  out[6] = (timestamp >>> 8) & 0xff;
  out[7] = timestamp & 0xff;
  const ssrc = rewrite.ssrc;
  out[8] = (ssrc >>> 24) & 0xff;
  out[9] = (ssrc >>> 16) & 0xff;
  out[10] = (ssrc >>> 8) & 0xff;
  out[11] = ssrc & 0xff;
  let pos = RTP_FIXED_HEADER_LENGTH;
  for (let i = 0; i < csrcBytes; i++) out[pos + i] = src[pos + i]!;
  pos += csrcBytes;

  if (extensionBytes > 0) {
    const blockStart = pos;
    const words = (extensionBytes - 4) / 4;
    out[pos] = ONE_BYTE_EXTENSION_PROFILE >> 8;
    out[pos + 1] = ONE_BYTE_EXTENSION_PROFILE & 0xff;
    out[pos + 2] = words >> 8;
    out[pos + 3] = words & 0xff;
    pos += 4;
    for (let e = 0; e < extensions!.length; e++) {
      const { id, value } = extensions![e]!;
      const valueLength = value.length;
      if (!fitsOneByteForm(id, valueLength)) continue;
      out[pos++] = (id << 4) | (valueLength - 1);
      for (let i = 0; i < valueLength; i++) out[pos + i] = value[i]!;
      pos += valueLength;
    }
    const blockEnd = blockStart + extensionBytes;
    while (pos < blockEnd) out[pos++] = 0;
  }

  // Byte loops beat the native call for short bodies; copy() wins once there is real payload.
  if (bodyLength > 64) src.copy(out, pos, srcHeaderLength, srcLen);
  else for (let i = 0; i < bodyLength; i++) out[pos + i] = src[srcHeaderLength + i]!;
  return headerLength + bodyLength;
}

function fitsOneByteForm(id: number, valueLength: number): boolean {
  return id >= 1 && id <= 14 && valueLength >= 1 && valueLength <= 16;
}

/** Block header plus elements, padded to 32 bits; 0 when no element can be written. */
function oneByteBlockLength(extensions: ReadonlyArray<{ id: number; value: Buffer | Uint8Array }>): number {
  let elements = 0;
  for (let e = 0; e < extensions.length; e++) {
    const { id, value } = extensions[e]!;
    if (fitsOneByteForm(id, value.length)) elements += 1 + value.length;
  }
  if (elements === 0) return 0;
  return 4 + ((elements + 3) & ~3);
}
