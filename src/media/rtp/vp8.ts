/**
 * VP8 RTP payload descriptor (RFC 7741 §4.2) on raw buffers. The descriptor is read into a caller-owned
 * object so the hot path allocates nothing; the byte offsets of picture id, TL0PICIDX and TID let a
 * simulcast forwarder rewrite them in place.
 *
 *      0 1 2 3 4 5 6 7
 *     +-+-+-+-+-+-+-+-+
 *     |X|R|N|S|R| PID |
 *     +-+-+-+-+-+-+-+-+
 * X:  |I|L|T|K| RSV   |
 *     +-+-+-+-+-+-+-+-+
 * I:  |M| PictureID   |  (M: 15-bit picture id, one more byte)
 *     +-+-+-+-+-+-+-+-+
 * L:  |   TL0PICIDX   |
 *     +-+-+-+-+-+-+-+-+
 * T/K:|TID|Y| KEYIDX  |
 *     +-+-+-+-+-+-+-+-+
 */
export interface Vp8Descriptor {
  /** Bytes of descriptor before the VP8 payload. */
  length: number;
  /** N: the frame is not used as a reference; it can be dropped without hurting later frames. */
  nonReference: boolean;
  /** S: this packet starts a VP8 partition. */
  startOfPartition: boolean;
  partitionId: number;
  /** -1 when absent. */
  pictureId: number;
  /** 0 (absent), 7 or 15. */
  pictureIdBits: number;
  /** Offset in the buffer of the picture id's first byte; -1 when absent. */
  pictureIdOffset: number;
  /** -1 when absent. */
  tl0PicIdx: number;
  tl0PicIdxOffset: number;
  /** TID; -1 when absent. */
  temporalLayer: number;
  /** Y: layer sync — the frame depends only on temporal layer 0 frames. */
  layerSync: boolean;
  /** KEYIDX; -1 when absent. */
  keyIdx: number;
  /** Offset of the TID/Y/KEYIDX byte; -1 when absent. */
  tidKeyIdxOffset: number;
}

export function createVp8Descriptor(): Vp8Descriptor {
  return {
    length: 0,
    nonReference: false,
    startOfPartition: false,
    partitionId: 0,
    pictureId: -1,
    pictureIdBits: 0,
    pictureIdOffset: -1,
    tl0PicIdx: -1,
    tl0PicIdxOffset: -1,
    temporalLayer: -1,
    layerSync: false,
    keyIdx: -1,
    tidKeyIdxOffset: -1,
  };
}

/**
 * Reads the descriptor of the VP8 payload `buf[start..end)` into `out`. False when it does not fit
 * (then `out` is partly written and must not be used).
 */
export function readVp8Descriptor(buf: Buffer, start: number, end: number, out: Vp8Descriptor): boolean {
  if (start < 0 || end > buf.length || start >= end) return false;
  const first = buf[start]!;
  let pos = start + 1;
  out.nonReference = (first & 0x20) !== 0;
  out.startOfPartition = (first & 0x10) !== 0;
  out.partitionId = first & 0x0f;
  out.pictureId = -1;
  out.pictureIdBits = 0;
  out.pictureIdOffset = -1;
  out.tl0PicIdx = -1;
  out.tl0PicIdxOffset = -1;
  out.temporalLayer = -1;
  out.layerSync = false;
  out.keyIdx = -1;
  out.tidKeyIdxOffset = -1;
  if (first & 0x80) {
    if (pos >= end) return false;
    const extension = buf[pos++]!;
    if (extension & 0x80) {
      if (pos >= end) return false;
      out.pictureIdOffset = pos;
      const high = buf[pos++]!;
      if (high & 0x80) {
        if (pos >= end) return false;
        out.pictureId = ((high & 0x7f) << 8) | buf[pos++]!;
        out.pictureIdBits = 15;
      } else {
        out.pictureId = high;
        out.pictureIdBits = 7;
      }
    }
    if (extension & 0x40) {
      if (pos >= end) return false;
      out.tl0PicIdxOffset = pos;
      out.tl0PicIdx = buf[pos++]!;
    }
    if (extension & 0x30) {
      if (pos >= end) return false;
      out.tidKeyIdxOffset = pos;
      const tidKeyIdx = buf[pos++]!;
      if (extension & 0x20) {
        out.temporalLayer = tidKeyIdx >> 6;
        out.layerSync = (tidKeyIdx & 0x20) !== 0;
      }
      if (extension & 0x10) out.keyIdx = tidKeyIdx & 0x1f;
    }
  }
  out.length = pos - start;
  return pos <= end;
}

/**
 * True when the VP8 payload `buf[start..end)` starts a key frame: the first packet of partition 0
 * whose VP8 frame tag has P = 0 (RFC 6386 §9.1) and carries the key frame start code 9D 01 2A.
 */
export function isVp8Keyframe(buf: Buffer, start: number, end: number): boolean {
  if (start < 0 || end > buf.length || start >= end) return false;
  const first = buf[start]!;
  if ((first & 0x10) === 0 || (first & 0x0f) !== 0) return false;
  let pos = start + 1;
  if (first & 0x80) {
    if (pos >= end) return false;
    const extension = buf[pos++]!;
    if (extension & 0x80) {
      if (pos >= end) return false;
      pos += buf[pos]! & 0x80 ? 2 : 1;
    }
    if (extension & 0x40) pos++;
    if (extension & 0x30) pos++;
  }
  if (pos + 6 > end) return false;
  return (buf[pos]! & 0x01) === 0 && buf[pos + 3] === 0x9d && buf[pos + 4] === 0x01 && buf[pos + 5] === 0x2a;
}
