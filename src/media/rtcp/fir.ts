import { PSFB_FIR, RTCP_PSFB, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

/**
 * Full Intra Request (RFC 5104 §4.3.1). The media SSRC field of the common header is unused (0); the
 * sources asked for are in the entries, each with a sequence number that changes per new request.
 */
export interface FullIntraRequest {
  type: 'fir';
  senderSsrc: number;
  mediaSsrc: number;
  entries: Array<{ ssrc: number; sequenceNumber: number }>;
}

export function parseFir(buf: Buffer, start: number, end: number): FullIntraRequest | undefined {
  if (start + 8 > end) return undefined;
  const entries: Array<{ ssrc: number; sequenceNumber: number }> = [];
  for (let pos = start + 8; pos + 8 <= end; pos += 8)
    entries.push({ ssrc: readUint32(buf, pos), sequenceNumber: buf[pos + 4]! });
  return { type: 'fir', senderSsrc: readUint32(buf, start), mediaSsrc: readUint32(buf, start + 4), entries };
}

export function buildFir(senderSsrc: number, mediaSsrc: number, sequenceNumber: number): Buffer {
  const out = Buffer.alloc(20);
  writeRtcpHeader(out, 0, PSFB_FIR, RTCP_PSFB, 20);
  writeUint32(out, 4, senderSsrc);
  writeUint32(out, 8, 0);
  writeUint32(out, 12, mediaSsrc);
  out[16] = sequenceNumber & 0xff;
  return out;
}
