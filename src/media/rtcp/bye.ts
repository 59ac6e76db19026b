import { RTCP_BYE, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

export interface Bye {
  type: 'bye';
  ssrcs: number[];
  reason?: string;
}

export function parseBye(buf: Buffer, start: number, end: number, count: number): Bye | undefined {
  if (start + count * 4 > end) return undefined;
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(readUint32(buf, start + i * 4));
  const reasonAt = start + count * 4;
  if (reasonAt < end) {
    const length = buf[reasonAt]!;
    if (reasonAt + 1 + length > end) return undefined;
    return { type: 'bye', ssrcs, reason: buf.toString('utf8', reasonAt + 1, reasonAt + 1 + length) };
  }
  return { type: 'bye', ssrcs };
}

export function buildBye(ssrcs: ReadonlyArray<number>, reason?: string): Buffer {
  const count = Math.min(31, ssrcs.length);
  let reasonBytes = reason === undefined ? undefined : Buffer.from(reason, 'utf8');
  if (reasonBytes !== undefined && reasonBytes.length > 255) reasonBytes = reasonBytes.subarray(0, 255);
  const body = count * 4 + (reasonBytes === undefined ? 0 : 1 + reasonBytes.length);
  const length = 4 + ((body + 3) & ~3);
  const out = Buffer.alloc(length);
  writeRtcpHeader(out, 0, count, RTCP_BYE, length);
  for (let i = 0; i < count; i++) writeUint32(out, 4 + i * 4, ssrcs[i]!);
  if (reasonBytes !== undefined) {
    out[4 + count * 4] = reasonBytes.length;
    reasonBytes.copy(out, 5 + count * 4);
  }
  return out;
}
