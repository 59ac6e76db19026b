/**
 * Readers for RTP headers (RFC 3550) on raw buffers, for the forwarding hot path: no packet objects.
 *
 * `len` is the datagram length inside `buf` (receive buffers are reused and larger than the datagram).
 * The field readers (`rtpSequence`…) do no bounds checks of their own: call `isValidRtp` once per
 * datagram first, then read freely.
 */

export const RTP_FIXED_HEADER_LENGTH = 12;
/** RFC 8285 §4.2 */
export const ONE_BYTE_EXTENSION_PROFILE = 0xbede;
/** RFC 8285 §4.3: 0x100 followed by 4 "appbits" */
export const TWO_BYTE_EXTENSION_PROFILE = 0x1000;

/**
 * RFC 7983 demultiplexing: RTP and RTCP start with a byte in 128..191 (STUN 0..3, DTLS 20..63).
 * Anything shorter than the 4-byte RTCP header is neither.
 */
export function isRtpOrRtcp(buf: Buffer, len: number): boolean {
  if (len < 4 || len > buf.length) return false;
  const first = buf[0]!;
  return first >= 128 && first <= 191;
}

/**
 * RFC 5761 §4: on a muxed port the second byte decides. RTCP packet types 192..223 occupy the values
 * that RTP payload types 64..95 would have with the marker bit set, so the whole byte is compared
 * (payload types 64..95 are therefore never used for RTP on a muxed port).
 */
export function isRtcpPacket(buf: Buffer, len: number): boolean {
  if (!isRtpOrRtcp(buf, len)) return false;
  const second = buf[1]!;
  return second >= 192 && second <= 223;
}

/**
 * Version 2, and the fixed header, CSRC list, extension block and padding all fit in `len`.
 * A padding count of 0 is malformed (the count includes the count byte itself).
 */
export function isValidRtp(buf: Buffer, len: number): boolean {
  const headerLength = rtpHeaderLength(buf, len);
  if (headerLength < 0) return false;
  if ((buf[0]! & 0x20) === 0) return true;
  const padding = buf[len - 1]!;
  return padding > 0 && headerLength + padding <= len;
}

export function rtpPayloadType(buf: Buffer): number {
  return buf[1]! & 0x7f;
}

export function rtpMarker(buf: Buffer): boolean {
  return (buf[1]! & 0x80) !== 0;
}

export function rtpSequence(buf: Buffer): number {
  return (buf[2]! << 8) | buf[3]!;
}

export function rtpTimestamp(buf: Buffer): number {
  return ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0;
}

export function rtpSsrc(buf: Buffer): number {
  return ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0;
}

export function rtpCsrcCount(buf: Buffer): number {
  return buf[0]! & 0x0f;
}

export function rtpHasPadding(buf: Buffer): boolean {
  return (buf[0]! & 0x20) !== 0;
}

export function rtpHasExtension(buf: Buffer): boolean {
  return (buf[0]! & 0x10) !== 0;
}

/**
 * Length of fixed header + CSRCs + extension block, or -1 when that much does not fit in `len`
 * or the version is not 2. Padding is not checked here (see `isValidRtp`).
 */
export function rtpHeaderLength(buf: Buffer, len: number): number {
  if (len < RTP_FIXED_HEADER_LENGTH || len > buf.length) return -1;
  const first = buf[0]!;
  if (first >> 6 !== 2) return -1;
  let length = RTP_FIXED_HEADER_LENGTH + (first & 0x0f) * 4;
  if (first & 0x10) {
    if (length + 4 > len) return -1;
    length += 4 + ((buf[length + 2]! << 8) | buf[length + 3]!) * 4;
  }
  return length <= len ? length : -1;
}

/** Number of padding bytes at the end (0 without the P bit). Assumes `isValidRtp`. */
export function rtpPaddingLength(buf: Buffer, len: number): number {
  return buf[0]! & 0x20 ? buf[len - 1]! : 0;
}

/** The payload, without header, extensions and padding; undefined when not valid RTP. */
export function rtpPayloadRange(buf: Buffer, len: number): { start: number; end: number } | undefined {
  if (!isValidRtp(buf, len)) return undefined;
  return { start: rtpHeaderLength(buf, len), end: len - rtpPaddingLength(buf, len) };
}

/**
 * Finds the element with local identifier `id` in the header extension block (RFC 8285 one-byte form
 * 0xBEDE with ids 1..14, two-byte form 0x100X with ids 1..255). Returns where its data is in `buf`.
 * Undefined when absent, when the packet has no RFC 8285 block, or when the block is malformed.
 */
export function findHeaderExtension(
  buf: Buffer,
  len: number,
  id: number,
): { offset: number; length: number } | undefined {
  const offset = headerExtensionOffset(buf, len, id);
  if (offset < 0) return undefined;
  return { offset, length: headerExtensionDataLength(buf, offset) };
}

/**
 * Allocation-free form of `findHeaderExtension`: the offset of the element's data, or -1.
 * Its length is `headerExtensionDataLength(buf, offset)`.
 */
export function headerExtensionOffset(buf: Buffer, len: number, id: number): number {
  if (id <= 0 || len < RTP_FIXED_HEADER_LENGTH || len > buf.length) return -1;
  const first = buf[0]!;
  if ((first & 0x10) === 0 || first >> 6 !== 2) return -1;
  const blockHeader = RTP_FIXED_HEADER_LENGTH + (first & 0x0f) * 4;
  if (blockHeader + 4 > len) return -1;
  const profile = (buf[blockHeader]! << 8) | buf[blockHeader + 1]!;
  let pos = blockHeader + 4;
  const end = pos + ((buf[blockHeader + 2]! << 8) | buf[blockHeader + 3]!) * 4;
  if (end > len) return -1;
  if (profile === ONE_BYTE_EXTENSION_PROFILE) {
    if (id > 14) return -1;
    while (pos < end) {
      const byte = buf[pos]!;
      if (byte === 0) {
        pos++;
        continue;
      }
      const elementId = byte >> 4;
      // id 15 is reserved: RFC 8285 says stop processing the block there. Id 0 with a length is not
      // padding but garbage; libwebrtc stops there too.
      if (elementId === 15 || elementId === 0) return -1;
      const dataLength = (byte & 0x0f) + 1;
      if (pos + 1 + dataLength > end) return -1;
      if (elementId === id) return pos + 1;
      pos += 1 + dataLength;
    }
    return -1;
  }
  if ((profile & 0xfff0) === TWO_BYTE_EXTENSION_PROFILE) {
    if (id > 255) return -1;
    while (pos < end) {
      const elementId = buf[pos]!;
      if (elementId === 0) {
        pos++;
        continue;
      }
      if (pos + 2 > end) return -1;
      const dataLength = buf[pos + 1]!;
      if (pos + 2 + dataLength > end) return -1;
      if (elementId === id) return pos + 2;
      pos += 2 + dataLength;
    }
  }
  return -1;
}

/**
 * Data length of the element whose data starts at `dataOffset` (as returned by
 * `headerExtensionOffset`): the form is known from the byte(s) before it.
 */
export function headerExtensionDataLength(buf: Buffer, dataOffset: number): number {
  const blockHeader = RTP_FIXED_HEADER_LENGTH + (buf[0]! & 0x0f) * 4;
  const profile = (buf[blockHeader]! << 8) | buf[blockHeader + 1]!;
  if (profile === ONE_BYTE_EXTENSION_PROFILE) return (buf[dataOffset - 1]! & 0x0f) + 1;
  return buf[dataOffset - 1]!;
}
