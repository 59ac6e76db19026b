import { sequenceDelta } from '../rtp/sequenceNumber.ts';
import {
  RTCP_RTPFB,
  RTPFB_NACK,
  readUint16,
  readUint32,
  writeRtcpHeader,
  writeUint16,
  writeUint32,
} from './rtcpHeader.ts';

/** Generic NACK (RFC 4585 §6.2.1). Each item is a lost packet id plus a bitmask of the 16 following. */
export interface GenericNack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  items: Array<{ pid: number; blp: number }>;
}

export function parseNack(buf: Buffer, start: number, end: number): GenericNack | undefined {
  if (start + 8 > end) return undefined;
  const items: Array<{ pid: number; blp: number }> = [];
  for (let pos = start + 8; pos + 4 <= end; pos += 4)
    items.push({ pid: readUint16(buf, pos), blp: readUint16(buf, pos + 2) });
  return { type: 'nack', senderSsrc: readUint32(buf, start), mediaSsrc: readUint32(buf, start + 4), items };
}

/** Lost sequence numbers in the order the NACK lists them (wrap-aware). */
export function nackToSequenceNumbers(nack: GenericNack): number[] {
  const sequences: number[] = [];
  for (const { pid, blp } of nack.items) {
    sequences.push(pid);
    for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) sequences.push((pid + bit + 1) & 0xffff);
  }
  return sequences;
}

/**
 * A NACK for `sequences` (any order, duplicates ignored; all within half the sequence space of the first
 * one, which holds for anything a receiver can still hope to get retransmitted).
 */
export function buildNack(senderSsrc: number, mediaSsrc: number, sequences: ReadonlyArray<number>): Buffer {
  const reference = sequences.length > 0 ? sequences[0]! & 0xffff : 0;
  const ordered = Array.from(new Set(sequences.map((s) => s & 0xffff))).sort(
    (a, b) => sequenceDelta(a, reference) - sequenceDelta(b, reference),
  );
  const items: Array<{ pid: number; blp: number }> = [];
  for (const sequence of ordered) {
    const last = items[items.length - 1];
    const distance = last === undefined ? 0 : sequenceDelta(sequence, last.pid);
    if (last !== undefined && distance >= 1 && distance <= 16) last.blp |= 1 << (distance - 1);
    else items.push({ pid: sequence, blp: 0 });
  }
  const length = 12 + items.length * 4;
  const out = Buffer.alloc(length);
  writeRtcpHeader(out, 0, RTPFB_NACK, RTCP_RTPFB, length);
  writeUint32(out, 4, senderSsrc);
  writeUint32(out, 8, mediaSsrc);
  for (let i = 0; i < items.length; i++) {
    writeUint16(out, 12 + i * 4, items[i]!.pid);
    writeUint16(out, 14 + i * 4, items[i]!.blp);
  }
  return out;
}
