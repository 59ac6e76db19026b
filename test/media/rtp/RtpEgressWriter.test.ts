import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import { writeEgressPacket } from '../../../src/media/rtp/RtpEgressWriter.ts';
import { isValidRtp, rtpPayloadRange } from '../../../src/media/rtp/rtpHeader.ts';
import { buildTestRtp } from './rtpTestPackets.ts';

function publisherPacket(): Buffer {
  const payload = Buffer.alloc(1200);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  const packet = new RtpPacket(
    new RtpHeader({
      payloadType: 96,
      marker: true,
      sequenceNumber: 4242,
      timestamp: 0xdeadbeef,
      ssrc: 0x11111111,
      csrc: [0xcafe0001, 0xcafe0002],
      extensionProfile: 0xbede,
      extensions: [
        { id: 4, payload: Buffer.from([1, 2, 3]) },
        { id: 9, payload: Buffer.from('publisher-mid') },
      ],
    }),
    payload,
  );
  return packet.serialize();
}

describe('writeEgressPacket', () => {
  it('rewrites the header, replaces the extensions and keeps CSRCs and payload (checked with werift)', () => {
    const src = publisherPacket();
    const transportCc = Buffer.from([0x12, 0x34]);
    const out = Buffer.alloc(1500);
    const len = writeEgressPacket(
      src,
      src.length,
      {
        ssrc: 0x22222222,
        payloadType: 100,
        sequence: 65535,
        timestamp: 0x01020304,
        extensions: [
          { id: 3, value: transportCc },
          { id: 1, value: new Uint8Array([0x61, 0x30]) },
          { id: 2, value: Buffer.from([0xff, 0xee, 0xdd]) },
        ],
      },
      out,
    );
    assert.ok(len > 0);
    const parsed = RtpPacket.deSerialize(out.subarray(0, len));
    assert.equal(parsed.header.version, 2);
    assert.equal(parsed.header.ssrc, 0x22222222);
    assert.equal(parsed.header.payloadType, 100);
    assert.equal(parsed.header.sequenceNumber, 65535);
    assert.equal(parsed.header.timestamp, 0x01020304);
    assert.equal(parsed.header.marker, true);
    assert.equal(parsed.header.padding, false);
    assert.deepEqual(parsed.header.csrc, [0xcafe0001, 0xcafe0002]);
    assert.equal(parsed.header.extensionProfile, 0xbede);
    assert.deepEqual(
      parsed.header.extensions.map((e) => [e.id, [...e.payload]]),
      [
        [3, [0x12, 0x34]],
        [1, [0x61, 0x30]],
        [2, [0xff, 0xee, 0xdd]],
      ],
    );
    const original = RtpPacket.deSerialize(src);
    assert.ok(parsed.payload.equals(original.payload), 'payload is byte-identical');
    assert.equal(isValidRtp(out, len), true);
    // 12 + 8 CSRC + 4 + (3 + 3 + 4 = 10 → 12) + 1200
    assert.equal(len, 12 + 8 + 16 + 1200);
  });

  it('drops the source extensions and the X bit when no extensions are given', () => {
    const src = publisherPacket();
    const out = Buffer.alloc(1500);
    const len = writeEgressPacket(
      src,
      src.length,
      { ssrc: 5, payloadType: 96, sequence: 1, timestamp: 2 },
      out,
    );
    assert.equal(out[0]! & 0x10, 0);
    assert.equal(len, 12 + 8 + 1200);
    const parsed = RtpPacket.deSerialize(out.subarray(0, len));
    assert.deepEqual(parsed.header.extensions, []);
    assert.ok(parsed.payload.equals(RtpPacket.deSerialize(src).payload));
  });

  it('drops two-byte source extensions too', () => {
    const src = buildTestRtp({
      extension: { form: 'two', elements: [{ id: 100, data: [1, 2, 3, 4, 5, 6] }] },
      payload: [10, 11, 12],
    });
    const out = Buffer.alloc(100);
    const len = writeEgressPacket(
      src,
      src.length,
      {
        ssrc: 1,
        payloadType: 97,
        sequence: 7,
        timestamp: 8,
        extensions: [{ id: 5, value: Buffer.from([9]) }],
      },
      out,
    );
    const parsed = RtpPacket.deSerialize(out.subarray(0, len));
    assert.deepEqual(
      parsed.header.extensions.map((e) => [e.id, [...e.payload]]),
      [[5, [9]]],
    );
    assert.deepEqual([...parsed.payload], [10, 11, 12]);
  });

  it('keeps padding (e.g. Chromium probing packets) and the marker bit off', () => {
    const src = buildTestRtp({ marker: false, payload: [1, 2, 3], padding: 5 });
    const out = Buffer.alloc(100);
    const len = writeEgressPacket(
      src,
      src.length,
      { ssrc: 9, payloadType: 96, sequence: 3, timestamp: 4 },
      out,
    );
    assert.equal(len, src.length);
    const parsed = RtpPacket.deSerialize(out.subarray(0, len));
    assert.equal(parsed.header.marker, false);
    assert.equal(parsed.header.padding, true);
    assert.equal(parsed.header.paddingSize, 5);
    assert.deepEqual([...parsed.payload], [1, 2, 3]);
    assert.deepEqual(rtpPayloadRange(out, len), { start: 12, end: 15 });

    const probe = buildTestRtp({ payload: [], padding: 255 });
    const probeLen = writeEgressPacket(
      probe,
      probe.length,
      { ssrc: 9, payloadType: 96, sequence: 4, timestamp: 4 },
      Buffer.alloc(400),
    );
    assert.equal(probeLen, 12 + 255);
  });

  it('writes the longest one-byte element (16 bytes) and skips values the one-byte form cannot hold', () => {
    const src = buildTestRtp({ payload: [1] });
    const out = Buffer.alloc(200);
    const sixteen = Buffer.alloc(16, 0xab);
    const len = writeEgressPacket(
      src,
      src.length,
      {
        ssrc: 1,
        payloadType: 96,
        sequence: 1,
        timestamp: 1,
        extensions: [
          { id: 15, value: Buffer.from([1]) },
          { id: 0, value: Buffer.from([1]) },
          { id: 2, value: Buffer.alloc(0) },
          { id: 3, value: Buffer.alloc(17) },
          { id: 4, value: sixteen },
        ],
      },
      out,
    );
    const parsed = RtpPacket.deSerialize(out.subarray(0, len));
    assert.deepEqual(
      parsed.header.extensions.map((e) => e.id),
      [4],
    );
    assert.ok(parsed.header.extensions[0]!.payload.equals(sixteen));

    const none = writeEgressPacket(
      src,
      src.length,
      {
        ssrc: 1,
        payloadType: 96,
        sequence: 1,
        timestamp: 1,
        extensions: [{ id: 15, value: Buffer.from([1]) }],
      },
      out,
    );
    assert.equal(out[0]! & 0x10, 0, 'no block when nothing is writable');
    assert.equal(none, 13);
  });

  it('returns -1 for invalid sources and too small outputs instead of throwing', () => {
    const src = publisherPacket();
    const rewrite = { ssrc: 1, payloadType: 96, sequence: 1, timestamp: 1 };
    assert.equal(writeEgressPacket(src, 11, rewrite, Buffer.alloc(1500)), -1);
    assert.equal(writeEgressPacket(src, src.length, rewrite, Buffer.alloc(100)), -1);
    const badPadding = buildTestRtp({ payload: [1], padding: 2 });
    badPadding[badPadding.length - 1] = 0;
    assert.equal(writeEgressPacket(badPadding, badPadding.length, rewrite, Buffer.alloc(100)), -1);
  });

  it('lets the caller reuse one extensions array and mutate it per packet', () => {
    const src = buildTestRtp({ payload: [1, 2] });
    const transportCc = Buffer.alloc(2);
    const rewrite = {
      ssrc: 1,
      payloadType: 96,
      sequence: 0,
      timestamp: 0,
      extensions: [{ id: 3, value: transportCc }],
    };
    const out = Buffer.alloc(100);
    for (let seq = 65534; seq < 65538; seq++) {
      rewrite.sequence = seq & 0xffff;
      transportCc.writeUInt16BE(seq & 0xffff);
      const len = writeEgressPacket(src, src.length, rewrite, out);
      const parsed = RtpPacket.deSerialize(out.subarray(0, len));
      assert.equal(parsed.header.sequenceNumber, seq & 0xffff);
      assert.equal(parsed.header.extensions[0]!.payload.readUInt16BE(), seq & 0xffff);
    }
  });
});
