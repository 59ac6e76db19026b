import { REPORT_BLOCK_LENGTH, type ReportBlock, readReportBlock, writeReportBlock } from './reportBlock.ts';
import { RTCP_RR, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

export interface ReceiverReport {
  type: 'rr';
  /** SSRC of the packet's sender (the reporter). */
  ssrc: number;
  reports: ReportBlock[];
}

/** Report blocks one SR or RR can carry (5-bit count). */
export const MAX_REPORT_BLOCKS = 31;

/** Body `buf[start..end)` after the common header; undefined when the count does not fit. */
export function parseReceiverReport(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
): ReceiverReport | undefined {
  if (start + 4 + count * REPORT_BLOCK_LENGTH > end) return undefined;
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++) reports.push(readReportBlock(buf, start + 4 + i * REPORT_BLOCK_LENGTH));
  return { type: 'rr', ssrc: readUint32(buf, start), reports };
}

/**
 * One RR, or a compound of several when there are more than 31 blocks (RFC 3550 §6.4.2 allows
 * additional RR packets). An empty RR is valid: it is what a receiver sends before receiving anything.
 */
export function buildReceiverReport(ssrc: number, reports: ReadonlyArray<ReportBlock> = []): Buffer {
  const packets = Math.max(1, Math.ceil(reports.length / MAX_REPORT_BLOCKS));
  const out = Buffer.alloc(packets * 8 + reports.length * REPORT_BLOCK_LENGTH);
  writeReceiverReports(out, 0, ssrc, reports, 0);
  return out;
}

/** Writes RR packets for `reports[from..]` at `offset`; returns the offset after them. */
export function writeReceiverReports(
  out: Buffer,
  offset: number,
  ssrc: number,
  reports: ReadonlyArray<ReportBlock>,
  from: number,
): number {
  let next = from;
  do {
    const count = Math.min(MAX_REPORT_BLOCKS, reports.length - next);
    const length = 8 + count * REPORT_BLOCK_LENGTH;
    writeRtcpHeader(out, offset, count, RTCP_RR, length);
    writeUint32(out, offset + 4, ssrc);
    for (let i = 0; i < count; i++)
      writeReportBlock(out, offset + 8 + i * REPORT_BLOCK_LENGTH, reports[next + i]!);
    offset += length;
    next += count;
  } while (next < reports.length);
  return offset;
}
