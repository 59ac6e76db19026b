import { readUint32, writeUint32 } from './rtcpHeader.ts';

/** One reception report block of an SR or RR (RFC 3550 §6.4.1). */
export interface ReportBlock {
  /** The source this block reports on. */
  ssrc: number;
  /** Lost fraction since the previous report, in 1/256 (0..255). */
  fractionLost: number;
  /** Signed 24-bit: duplicates can make it negative. */
  cumulativeLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from `ssrc`; 0 when none. */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s; 0 when none. */
  delaySinceLastSr: number;
}

export const REPORT_BLOCK_LENGTH = 24;

/** A report block's DLSR field (units of 1/65536 s) for a delay of `ms` since the SR arrived. */
export function delaySinceLastSrField(ms: number): number {
  return Math.max(0, Math.round((ms * 65536) / 1000)) >>> 0;
}

/** The delay a report block's DLSR field stands for, ms. */
export function delaySinceLastSrMs(field: number): number {
  return (field * 1000) / 65536;
}

export function readReportBlock(buf: Buffer, offset: number): ReportBlock {
  const lost = (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!;
  return {
    ssrc: readUint32(buf, offset),
    fractionLost: buf[offset + 4]!,
    cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    extendedHighestSequence: readUint32(buf, offset + 8),
    jitter: readUint32(buf, offset + 12),
    lastSr: readUint32(buf, offset + 16),
    delaySinceLastSr: readUint32(buf, offset + 20),
  };
}

export function writeReportBlock(out: Buffer, offset: number, block: ReportBlock): void {
  writeUint32(out, offset, block.ssrc);
  out[offset + 4] = Math.max(0, Math.min(255, block.fractionLost));
  const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(block.cumulativeLost))) & 0xffffff;
  out[offset + 5] = lost >> 16;
  out[offset + 6] = (lost >> 8) & 0xff;
  out[offset + 7] = lost & 0xff;
  writeUint32(out, offset + 8, block.extendedHighestSequence);
  writeUint32(out, offset + 12, block.jitter);
  writeUint32(out, offset + 16, block.lastSr);
  writeUint32(out, offset + 20, block.delaySinceLastSr);
}
