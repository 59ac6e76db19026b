import { PSFB_PLI, RTCP_PSFB, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

/** Picture Loss Indication (RFC 4585 §6.3.1): "send me a key frame". */
export interface PictureLossIndication {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

export function parsePli(buf: Buffer, start: number, end: number): PictureLossIndication | undefined {
  if (start + 8 > end) return undefined;
  return { type: 'pli', senderSsrc: readUint32(buf, start), mediaSsrc: readUint32(buf, start + 4) };
}

export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  const out = Buffer.alloc(12);
  writeRtcpHeader(out, 0, PSFB_PLI, RTCP_PSFB, 12);
  writeUint32(out, 4, senderSsrc);
  writeUint32(out, 8, mediaSsrc);
  return out;
}
