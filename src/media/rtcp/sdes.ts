import { RTCP_SDES, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

export const SDES_CNAME = 1;

export interface SdesItem {
  /** 1 CNAME, 2 NAME, … 8 PRIV (RFC 3550 §6.5). */
  type: number;
  text: string;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

export interface Sdes {
  type: 'sdes';
  chunks: SdesChunk[];
}

export function parseSdes(buf: Buffer, start: number, end: number, count: number): Sdes | undefined {
  const chunks: SdesChunk[] = [];
  let pos = start;
  for (let c = 0; c < count; c++) {
    if (pos + 4 > end) return undefined;
    const chunk: SdesChunk = { ssrc: readUint32(buf, pos), items: [] };
    pos += 4;
    for (;;) {
      if (pos >= end) return undefined;
      const itemType = buf[pos]!;
      if (itemType === 0) {
        // The null item ends the chunk; the chunk then pads to a 32-bit boundary.
        pos = start + ((pos - start + 4) & ~3);
        break;
      }
      if (pos + 2 > end) return undefined;
      const length = buf[pos + 1]!;
      if (pos + 2 + length > end) return undefined;
      chunk.items.push({ type: itemType, text: buf.toString('utf8', pos + 2, pos + 2 + length) });
      pos += 2 + length;
    }
    if (pos > end) return undefined;
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

/** An SDES packet with one CNAME per source (what every compound RTCP packet should carry). */
export function buildSdes(chunks: ReadonlyArray<SdesChunk>): Buffer {
  const encoded = chunks.map((chunk) => ({
    ssrc: chunk.ssrc,
    items: chunk.items.map((item) => ({ type: item.type, bytes: truncateUtf8(item.text, 255) })),
  }));
  let length = 4;
  for (const chunk of encoded) {
    let chunkLength = 4 + 1;
    for (const item of chunk.items) chunkLength += 2 + item.bytes.length;
    length += (chunkLength + 3) & ~3;
  }
  const out = Buffer.alloc(length);
  writeRtcpHeader(out, 0, encoded.length, RTCP_SDES, length);
  let pos = 4;
  for (const chunk of encoded) {
    const chunkStart = pos;
    writeUint32(out, pos, chunk.ssrc);
    pos += 4;
    for (const item of chunk.items) {
      out[pos] = item.type;
      out[pos + 1] = item.bytes.length;
      item.bytes.copy(out, pos + 2);
      pos += 2 + item.bytes.length;
    }
    // The null item plus zero padding are already zero in the allocated buffer.
    pos = chunkStart + ((pos + 1 - chunkStart + 3) & ~3);
  }
  return out;
}

export function buildSdesCname(ssrc: number, cname: string): Buffer {
  return buildSdes([{ ssrc, items: [{ type: SDES_CNAME, text: cname }] }]);
}

function truncateUtf8(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Do not cut a multi-byte character in half.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
