import { PSFB_AFB, RTCP_PSFB, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

/** Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03): PSFB FMT 15 with "REMB". */
export interface Remb {
  type: 'remb';
  senderSsrc: number;
  mediaSsrc: number;
  bitrateBps: number;
  ssrcs: number[];
}

const REMB_IDENTIFIER = 0x52454d42;
const MAX_MANTISSA = 0x3ffff;

export function isRembBody(buf: Buffer, start: number, end: number): boolean {
  return start + 16 <= end && readUint32(buf, start + 8) === REMB_IDENTIFIER;
}

export function parseRemb(buf: Buffer, start: number, end: number): Remb | undefined {
  if (!isRembBody(buf, start, end)) return undefined;
  const count = buf[start + 12]!;
  if (start + 16 + count * 4 > end) return undefined;
  const exponent = buf[start + 13]! >> 2;
  const mantissa = ((buf[start + 13]! & 0x03) << 16) | (buf[start + 14]! << 8) | buf[start + 15]!;
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(readUint32(buf, start + 16 + i * 4));
  return {
    type: 'remb',
    senderSsrc: readUint32(buf, start),
    mediaSsrc: readUint32(buf, start + 4),
    bitrateBps: mantissa * 2 ** exponent,
    ssrcs,
  };
}

/**
 * REMB for `ssrcs` (at most 255). The bitrate is stored as an 18-bit mantissa and a 6-bit exponent,
 * rounded down as libwebrtc does, so a receiver never reads more than was meant.
 */
export function buildRemb(senderSsrc: number, bitrateBps: number, ssrcs: ReadonlyArray<number>): Buffer {
  const count = Math.min(255, ssrcs.length);
  let mantissa = Math.max(0, Math.floor(bitrateBps));
  let exponent = 0;
  while (mantissa > MAX_MANTISSA) {
    mantissa = Math.floor(mantissa / 2);
    exponent++;
  }
  if (exponent > 63) {
    exponent = 63;
    mantissa = MAX_MANTISSA;
  }
  const length = 20 + count * 4;
  const out = Buffer.alloc(length);
  writeRtcpHeader(out, 0, PSFB_AFB, RTCP_PSFB, length);
  writeUint32(out, 4, senderSsrc);
  writeUint32(out, 8, 0);
  writeUint32(out, 12, REMB_IDENTIFIER);
  out[16] = count;
  out[17] = (exponent << 2) | (mantissa >> 16);
  out[18] = (mantissa >> 8) & 0xff;
  out[19] = mantissa & 0xff;
  for (let i = 0; i < count; i++) writeUint32(out, 20 + i * 4, ssrcs[i]!);
  return out;
}
