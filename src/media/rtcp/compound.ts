import { type Bye, parseBye } from './bye.ts';
import { type FullIntraRequest, parseFir } from './fir.ts';
import { type GenericNack, parseNack } from './nack.ts';
import { type PictureLossIndication, parsePli } from './pli.ts';
import { parseReceiverReport, type ReceiverReport } from './receiverReport.ts';
import { isRembBody, parseRemb, type Remb } from './remb.ts';
import {
  PSFB_AFB,
  PSFB_FIR,
  PSFB_PLI,
  RTCP_BYE,
  RTCP_PSFB,
  RTCP_RR,
  RTCP_RTPFB,
  RTCP_SDES,
  RTCP_SR,
  RTPFB_NACK,
  RTPFB_TWCC,
} from './rtcpHeader.ts';
import { parseSdes, type Sdes } from './sdes.ts';
import { parseSenderReport, type SenderReport } from './senderReport.ts';
import { parseTransportWideCc, type TransportWideCcFeedback } from './transportWideCc.ts';

/** A well-formed packet of a type or feedback format we do not decode (APP, XR, other FMTs…). */
export interface UnknownRtcp {
  type: 'unknown';
  packetType: number;
  /** The 5-bit RC/SC/FMT field. */
  count: number;
  /** Where the whole packet (header included) is in the parsed buffer, e.g. to forward it untouched. */
  offset: number;
  length: number;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | Sdes
  | Bye
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | Remb
  | TransportWideCcFeedback
  | UnknownRtcp;

/**
 * Splits a (decrypted) compound RTCP datagram `buf[0..len)` and decodes each packet. Never throws: it
 * stops at the first packet that is malformed (bad version, length past the end, bad padding, a body
 * that does not match its counts) and returns the packets before it.
 */
export function parseRtcpCompound(buf: Buffer, len: number): RtcpPacket[] {
  const packets: RtcpPacket[] = [];
  const end = Math.min(len, buf.length);
  let offset = 0;
  try {
    while (offset + 4 <= end) {
      const first = buf[offset]!;
      if (first >> 6 !== 2) break;
      const packetLength = (((buf[offset + 2]! << 8) | buf[offset + 3]!) + 1) * 4;
      if (offset + packetLength > end) break;
      let bodyEnd = offset + packetLength;
      if (first & 0x20) {
        const padding = buf[bodyEnd - 1]!;
        if (padding === 0 || padding > packetLength - 4) break;
        bodyEnd -= padding;
      }
      const packet = parseOne(buf, offset, packetLength, bodyEnd);
      if (packet === undefined) break;
      packets.push(packet);
      offset += packetLength;
    }
  } catch {
    // Every reader is bounds-checked; this only guards the promise that a datagram never throws.
  }
  return packets;
}

function parseOne(
  buf: Buffer,
  offset: number,
  packetLength: number,
  bodyEnd: number,
): RtcpPacket | undefined {
  const count = buf[offset]! & 0x1f;
  const packetType = buf[offset + 1]!;
  const start = offset + 4;
  switch (packetType) {
    case RTCP_SR:
      return parseSenderReport(buf, start, bodyEnd, count);
    case RTCP_RR:
      return parseReceiverReport(buf, start, bodyEnd, count);
    case RTCP_SDES:
      return parseSdes(buf, start, bodyEnd, count);
    case RTCP_BYE:
      return parseBye(buf, start, bodyEnd, count);
    case RTCP_RTPFB:
      if (count === RTPFB_NACK) return parseNack(buf, start, bodyEnd);
      if (count === RTPFB_TWCC) return parseTransportWideCc(buf, start, bodyEnd);
      break;
    case RTCP_PSFB:
      if (count === PSFB_PLI) return parsePli(buf, start, bodyEnd);
      if (count === PSFB_FIR) return parseFir(buf, start, bodyEnd);
      if (count === PSFB_AFB && isRembBody(buf, start, bodyEnd)) return parseRemb(buf, start, bodyEnd);
      break;
  }
  return { type: 'unknown', packetType, count, offset, length: packetLength };
}
