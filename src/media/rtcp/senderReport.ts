import { MAX_REPORT_BLOCKS, writeReceiverReports } from './receiverReport.ts';
import { REPORT_BLOCK_LENGTH, type ReportBlock, readReportBlock, writeReportBlock } from './reportBlock.ts';
import { RTCP_SR, readUint32, writeRtcpHeader, writeUint32 } from './rtcpHeader.ts';

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp, seconds since 1900 (most significant word). */
  ntpSeconds: number;
  /** NTP timestamp, fraction of a second in 1/2^32 (least significant word). */
  ntpFraction: number;
  /** The same instant on the stream's RTP clock. */
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export type SenderReportInit = Omit<SenderReport, 'type' | 'reports'> & {
  reports?: ReadonlyArray<ReportBlock>;
};

const SENDER_INFO_END = 24;

export function parseSenderReport(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
): SenderReport | undefined {
  if (start + SENDER_INFO_END + count * REPORT_BLOCK_LENGTH > end) return undefined;
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++)
    reports.push(readReportBlock(buf, start + SENDER_INFO_END + i * REPORT_BLOCK_LENGTH));
  return {
    type: 'sr',
    ssrc: readUint32(buf, start),
    ntpSeconds: readUint32(buf, start + 4),
    ntpFraction: readUint32(buf, start + 8),
    rtpTimestamp: readUint32(buf, start + 12),
    packetCount: readUint32(buf, start + 16),
    octetCount: readUint32(buf, start + 20),
    reports,
  };
}

/** One SR; blocks beyond the 31 it can hold follow in RR packets of the same compound. */
export function buildSenderReport(init: SenderReportInit): Buffer {
  const reports = init.reports ?? [];
  const inSr = Math.min(MAX_REPORT_BLOCKS, reports.length);
  const rest = reports.length - inSr;
  const srLength = 28 + inSr * REPORT_BLOCK_LENGTH;
  const out = Buffer.alloc(srLength + Math.ceil(rest / MAX_REPORT_BLOCKS) * 8 + rest * REPORT_BLOCK_LENGTH);
  writeRtcpHeader(out, 0, inSr, RTCP_SR, srLength);
  writeUint32(out, 4, init.ssrc);
  writeUint32(out, 8, init.ntpSeconds);
  writeUint32(out, 12, init.ntpFraction);
  writeUint32(out, 16, init.rtpTimestamp);
  writeUint32(out, 20, init.packetCount);
  writeUint32(out, 24, init.octetCount);
  for (let i = 0; i < inSr; i++) writeReportBlock(out, 28 + i * REPORT_BLOCK_LENGTH, reports[i]!);
  if (rest > 0) writeReceiverReports(out, srLength, init.ssrc, reports, inSr);
  return out;
}

/** Unix time in ms → NTP seconds and fraction (for `buildSenderReport`). */
export function ntpFromUnixMs(unixMs: number): { ntpSeconds: number; ntpFraction: number } {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.floor(((unixMs - seconds * 1000) / 1000) * 0x100000000);
  return { ntpSeconds: (seconds + 2208988800) >>> 0, ntpFraction: fraction >>> 0 };
}

/** The middle 32 bits of an NTP timestamp: the LSR field of a report block (RFC 3550 §6.4.1). */
export function ntpMiddle32(ntpSeconds: number, ntpFraction: number): number {
  return (((ntpSeconds & 0xffff) << 16) | (ntpFraction >>> 16)) >>> 0;
}
