/** RTCP common header (RFC 3550 §6.4) and the packet type numbers. */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
/** Transport-layer feedback (RFC 4585): generic NACK (FMT 1), transport-wide CC (FMT 15). */
export const RTCP_RTPFB = 205;
/** Payload-specific feedback (RFC 4585): PLI (FMT 1), FIR (FMT 4, RFC 5104), REMB (FMT 15). */
export const RTCP_PSFB = 206;
export const RTCP_XR = 207;

export const RTPFB_NACK = 1;
export const RTPFB_TWCC = 15;
export const PSFB_PLI = 1;
export const PSFB_FIR = 4;
export const PSFB_AFB = 15;

export const RTCP_HEADER_LENGTH = 4;

/** Writes V=2, no padding, `count` (RC/SC/FMT), the type and the length field for a packet of `packetLength` bytes. */
export function writeRtcpHeader(
  out: Buffer,
  offset: number,
  count: number,
  packetType: number,
  packetLength: number,
): void {
  const words = packetLength / 4 - 1;
  out[offset] = 0x80 | (count & 0x1f);
  out[offset + 1] = packetType;
  out[offset + 2] = words >> 8;
  out[offset + 3] = words & 0xff;
}

export function readUint32(buf: Buffer, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

export function writeUint32(out: Buffer, offset: number, value: number): void {
  out[offset] = (value >>> 24) & 0xff;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

export function readUint16(buf: Buffer, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

export function writeUint16(out: Buffer, offset: number, value: number): void {
  out[offset] = (value >>> 8) & 0xff;
  out[offset + 1] = value & 0xff;
}
