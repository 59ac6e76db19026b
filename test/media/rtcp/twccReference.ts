import assert from 'node:assert/strict';
import {
  PacketStatus,
  RtcpPacketConverter,
  type RtcpTransportLayerFeedback,
  RunLengthChunk,
  StatusVectorChunk,
  TransportWideCC,
} from 'werift';

/** A TWCC feedback as werift's parser understands it, flattened to one entry per reported packet. */
export interface WeriftTwccView {
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  referenceTime: number;
  feedbackPacketCount: number;
  statuses: number[];
  /** µs, one per received packet */
  deltasUs: number[];
}

/**
 * Decodes with werift's TransportWideCC parser. werift's own `packetResults` skips status vector
 * chunks, so statuses are expanded here from the chunk objects werift produced.
 */
export function decodeWithWerift(buf: Buffer): WeriftTwccView {
  const packets = RtcpPacketConverter.deSerialize(buf);
  assert.equal(packets.length, 1, 'werift sees one RTCP packet');
  const feedback = (packets[0] as RtcpTransportLayerFeedback).feedback;
  assert.ok(feedback instanceof TransportWideCC, 'werift sees a TransportWideCC');
  const statuses: number[] = [];
  for (const chunk of feedback.packetChunks) {
    if (chunk instanceof RunLengthChunk) {
      for (let i = 0; i < chunk.runLength; i++) statuses.push(chunk.packetStatus);
    } else if (chunk instanceof StatusVectorChunk) {
      statuses.push(...chunk.symbolList);
    } else assert.fail('unknown chunk');
  }
  statuses.length = feedback.packetStatusCount;
  return {
    senderSsrc: feedback.senderSsrc,
    mediaSsrc: feedback.mediaSourceSsrc,
    baseSequence: feedback.baseSequenceNumber,
    referenceTime: feedback.referenceTime,
    feedbackPacketCount: feedback.fbPktCount,
    statuses,
    deltasUs: feedback.recvDeltas.map((d) => d.delta),
  };
}

export { PacketStatus };
