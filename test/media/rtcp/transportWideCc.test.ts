import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PacketStatus,
  RecvDelta,
  RtcpHeader,
  RunLengthChunk,
  StatusVectorChunk,
  TransportWideCC,
} from 'werift';
import { parseRtcpCompound } from '../../../src/media/rtcp/compound.ts';
import {
  buildTransportWideCcFeedback,
  encodeStatusChunks,
  type TransportWideCcFeedback,
} from '../../../src/media/rtcp/transportWideCc.ts';
import { seededRandom } from '../rtp/rtpTestPackets.ts';
import { decodeWithWerift } from './twccReference.ts';

const run = (symbol: number, length: number) => (symbol << 13) | length;

describe('encodeStatusChunks (libwebrtc chunk choice)', () => {
  it('uses run-length chunks for runs, split at 8191', () => {
    assert.deepEqual(encodeStatusChunks(new Array(20).fill(1), 20), [run(1, 20)]);
    assert.deepEqual(encodeStatusChunks(new Array(100).fill(0), 100), [run(0, 100)]);
    assert.deepEqual(encodeStatusChunks(new Array(10000).fill(1), 10000), [run(1, 8191), run(1, 1809)]);
    assert.deepEqual(encodeStatusChunks(new Array(9).fill(2), 9), [run(2, 9)]);
  });

  it('uses one-bit vectors of 14 without large deltas, two-bit vectors of 7 with them', () => {
    const alternating = Array.from({ length: 14 }, (_, i) => i % 2);
    assert.deepEqual(encodeStatusChunks(alternating, 14), [0x8000 | 0b01010101010101]);
    assert.deepEqual(encodeStatusChunks([2, 1, 1, 1, 1, 1, 1, 1], 8), [0xc000 | 0b10010101010101, run(1, 1)]);
    // Short mixed tail: a two-bit vector padded with "not received".
    assert.deepEqual(encodeStatusChunks([1, 0, 1], 3), [0xc000 | (0b010001 << 8)]);
    // 10 symbols, no large: a one-bit vector padded with zeros.
    const ten = [1, 1, 0, 1, 1, 1, 1, 1, 1, 1];
    assert.deepEqual(encodeStatusChunks(ten, 10), [0x8000 | (0b1101111111 << 4)]);
  });

  it('carries on after a vector with what is left of the pending symbols', () => {
    // 7 mixed with a large, then 20 small: vector of 7, then run of 20.
    const statuses = [1, 2, 1, 0, 1, 1, 1, ...new Array(20).fill(1)];
    assert.deepEqual(encodeStatusChunks(statuses, statuses.length), [0xc000 | 0b01100100010101, run(1, 20)]);
  });
});

function randomFeedback(random: () => number, count: number): Omit<TransportWideCcFeedback, 'type'> {
  const statuses = new Uint8Array(count);
  const deltas: number[] = [];
  const style = random();
  for (let i = 0; i < count; i++) {
    const r = random();
    const lossRate = style < 0.3 ? 0 : style < 0.6 ? 0.1 : 0.5;
    if (i === count - 1 || r > lossRate) {
      if (random() < 0.1) {
        statuses[i] = 2;
        deltas.push(Math.floor(random() * 65536) - 32768);
      } else {
        statuses[i] = 1;
        deltas.push(Math.floor(random() * 256));
      }
    }
  }
  return {
    senderSsrc: Math.floor(random() * 2 ** 32),
    mediaSsrc: Math.floor(random() * 2 ** 32),
    baseSequence: Math.floor(random() * 65536),
    referenceTime: Math.floor(random() * 2 ** 24),
    feedbackPacketCount: Math.floor(random() * 256),
    statuses,
    deltaTicks: Int32Array.from(deltas),
  };
}

describe('buildTransportWideCcFeedback', () => {
  it('round-trips through our parser and werift parser (random feedbacks)', () => {
    const random = seededRandom(205);
    for (let round = 0; round < 300; round++) {
      const fb = randomFeedback(random, 1 + Math.floor(random() * 300));
      const buf = buildTransportWideCcFeedback(fb);
      assert.equal(buf.length % 4, 0);
      const [ours] = parseRtcpCompound(buf, buf.length);
      assert.deepEqual(ours, { type: 'twcc', ...fb });
      const theirs = decodeWithWerift(buf);
      assert.deepEqual(theirs, {
        senderSsrc: fb.senderSsrc,
        mediaSsrc: fb.mediaSsrc,
        baseSequence: fb.baseSequence,
        referenceTime: fb.referenceTime,
        feedbackPacketCount: fb.feedbackPacketCount,
        statuses: [...fb.statuses],
        deltasUs: [...fb.deltaTicks].map((t) => t * 250),
      });
    }
  });

  it('pads with the P bit and a count byte, as libwebrtc does', () => {
    const buf = buildTransportWideCcFeedback({
      senderSsrc: 1,
      mediaSsrc: 2,
      baseSequence: 3,
      referenceTime: 4,
      feedbackPacketCount: 5,
      statuses: [1],
      deltaTicks: [9],
    });
    // 4 header + 16 fixed + 2 chunk + 1 delta = 23 → 24 with 1 padding byte
    assert.deepEqual(
      [...buf],
      [0xaf, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 3, 0, 1, 0, 0, 4, 5, 0x20, 0x01, 9, 1],
    );
  });

  it('refuses statuses that do not match the deltas', () => {
    const base = { senderSsrc: 1, mediaSsrc: 2, baseSequence: 3, referenceTime: 4, feedbackPacketCount: 5 };
    assert.throws(
      () => buildTransportWideCcFeedback({ ...base, statuses: [1], deltaTicks: [256] }),
      RangeError,
    );
    assert.throws(
      () => buildTransportWideCcFeedback({ ...base, statuses: [2], deltaTicks: [40000] }),
      RangeError,
    );
    assert.throws(
      () => buildTransportWideCcFeedback({ ...base, statuses: [1, 1], deltaTicks: [1] }),
      RangeError,
    );
    assert.throws(
      () => buildTransportWideCcFeedback({ ...base, statuses: [3], deltaTicks: [1] }),
      RangeError,
    );
  });
});

describe('parseTransportWideCc', () => {
  it('reads a feedback built by werift (run-length and both vector kinds)', () => {
    const feedback = new TransportWideCC({
      // 38 body bytes: werift only writes a correct length field when asked to pad.
      header: new RtcpHeader({ type: 205, count: 15, version: 2, padding: true }),
      senderSsrc: 10,
      mediaSourceSsrc: 20,
      baseSequenceNumber: 65534,
      packetStatusCount: 3 + 14 + 7,
      referenceTime: 0x123456,
      fbPktCount: 7,
      packetChunks: [
        new RunLengthChunk({ packetStatus: PacketStatus.TypeTCCPacketReceivedSmallDelta, runLength: 3 }),
        new StatusVectorChunk({ symbolSize: 0, symbolList: [1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1] }),
        new StatusVectorChunk({ symbolSize: 1, symbolList: [2, 1, 0, 0, 2, 1, 1] }),
      ],
      recvDeltas: [
        ...[1000, 250, 0].map((delta) => new RecvDelta({ delta })),
        ...[500, 750, 63750, 0, 250, 1000].map((delta) => new RecvDelta({ delta })),
        ...[-250_000, 1250, 8_000_000, 500, 750].map((delta) => new RecvDelta({ delta })),
      ],
    });
    const buf = feedback.serialize();
    const [parsed] = parseRtcpCompound(buf, buf.length);
    assert.ok(parsed?.type === 'twcc');
    assert.equal(parsed.baseSequence, 65534);
    assert.equal(parsed.referenceTime, 0x123456);
    assert.equal(parsed.feedbackPacketCount, 7);
    assert.deepEqual(
      [...parsed.statuses],
      [1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 1, 0, 0, 2, 1, 1],
    );
    assert.deepEqual([...parsed.deltaTicks], [4, 1, 0, 2, 3, 255, 0, 1, 4, -1000, 5, 32000, 2, 3]);
  });

  it('refuses the reserved status symbol and truncated deltas', () => {
    const good = buildTransportWideCcFeedback({
      senderSsrc: 1,
      mediaSsrc: 2,
      baseSequence: 0,
      referenceTime: 0,
      feedbackPacketCount: 0,
      statuses: [2, 2, 2, 2],
      deltaTicks: [1000, 1000, 1000, 1000],
    });
    const reserved = Buffer.from(good);
    reserved.writeUInt16BE(run(3, 4), 20);
    assert.deepEqual(parseRtcpCompound(reserved, reserved.length), []);
    const truncated = Buffer.from(good.subarray(0, 24));
    truncated.writeUInt16BE(5, 2);
    truncated[0] = 0x8f;
    assert.deepEqual(parseRtcpCompound(truncated, truncated.length), []);
  });
});
