/** H.264 RTP payloads (RFC 6184) on raw buffers. */

export const H264_NAL_IDR = 5;
export const H264_NAL_SPS = 7;
export const H264_NAL_PPS = 8;
export const H264_STAP_A = 24;
export const H264_STAP_B = 25;
export const H264_FU_A = 28;
export const H264_FU_B = 29;

function startsKeyframe(nalType: number): boolean {
  // Encoders send SPS (and PPS) right before an IDR; treating the SPS as the start lets a forwarder
  // switch on the first packet of the key frame rather than on a later one.
  return nalType === H264_NAL_IDR || nalType === H264_NAL_SPS;
}

/**
 * True when the H.264 payload `buf[start..end)` begins a key frame: a single NAL unit that is an IDR
 * slice or SPS, a STAP-A/STAP-B aggregate containing one, or the first fragment (S bit) of an FU-A/FU-B
 * of an IDR slice.
 */
export function isH264Keyframe(buf: Buffer, start: number, end: number): boolean {
  if (start < 0 || end > buf.length || start >= end) return false;
  const nalType = buf[start]! & 0x1f;
  if (nalType >= 1 && nalType <= 23) return startsKeyframe(nalType);
  if (nalType === H264_STAP_A || nalType === H264_STAP_B) {
    // STAP-B carries a 16-bit decoding order number before the first unit.
    let pos = start + (nalType === H264_STAP_A ? 1 : 3);
    while (pos + 2 < end) {
      const size = (buf[pos]! << 8) | buf[pos + 1]!;
      pos += 2;
      if (size === 0 || pos + size > end) return false;
      if (startsKeyframe(buf[pos]! & 0x1f)) return true;
      pos += size;
    }
    return false;
  }
  if (nalType === H264_FU_A || nalType === H264_FU_B) {
    if (start + 1 >= end) return false;
    const fuHeader = buf[start + 1]!;
    return (fuHeader & 0x80) !== 0 && startsKeyframe(fuHeader & 0x1f);
  }
  return false;
}
