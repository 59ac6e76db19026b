import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpPacket } from 'werift';
import {
  findHeaderExtension,
  headerExtensionDataLength,
  headerExtensionOffset,
  isRtcpPacket,
  isRtpOrRtcp,
  isValidRtp,
  rtpHeaderLength,
  rtpMarker,
  rtpPaddingLength,
  rtpPayloadRange,
  rtpPayloadType,
  rtpSequence,
  rtpSsrc,
  rtpTimestamp,
} from '../../../src/media/rtp/rtpHeader.ts';
import { buildTestRtp, seededRandom } from './rtpTestPackets.ts';

const full = buildTestRtp({
  payloadType: 111,
  marker: true,
  sequence: 0xfffe,
  timestamp: 0xfedcba98,
  ssrc: 0x89abcdef,
  csrcs: [0x01020304, 0xa0b0c0d0],
  extension: {
    form: 'one',
    padBytes: 1,
    elements: [
      { id: 1, data: [0xaa, 0xbb] },
      { id: 3, data: [1, 2, 3] },
      { id: 14, data: Array.from({ length: 16 }, (_, i) => i) },
    ],
  },
  payload: [9, 8, 7, 6, 5],
  padding: 4,
});

describe('rtpHeader readers', () => {
  it('read every fixed field, CSRCs, extension block and padding', () => {
    assert.equal(isValidRtp(full, full.length), true);
    assert.equal(rtpPayloadType(full), 111);
    assert.equal(rtpMarker(full), true);
    assert.equal(rtpSequence(full), 0xfffe);
    assert.equal(rtpTimestamp(full), 0xfedcba98);
    assert.equal(rtpSsrc(full), 0x89abcdef);
    // 12 fixed + 8 CSRC + 4 block header + (1 pad + 3 + 4 + 17 = 25 → 28)
    assert.equal(rtpHeaderLength(full, full.length), 12 + 8 + 4 + 28);
    assert.equal(rtpPaddingLength(full, full.length), 4);
    const range = rtpPayloadRange(full, full.length)!;
    assert.deepEqual([...full.subarray(range.start, range.end)], [9, 8, 7, 6, 5]);
  });

  it('agree with werift on the payload bytes', () => {
    const parsed = RtpPacket.deSerialize(full);
    const range = rtpPayloadRange(full, full.length)!;
    assert.deepEqual(full.subarray(range.start, range.end), parsed.payload);
    assert.deepEqual(parsed.header.csrc, [0x01020304, 0xa0b0c0d0]);
  });

  it('find one-byte extension elements, skipping padding bytes', () => {
    assert.deepEqual([...slice(full, findHeaderExtension(full, full.length, 1)!)], [0xaa, 0xbb]);
    assert.deepEqual([...slice(full, findHeaderExtension(full, full.length, 3)!)], [1, 2, 3]);
    assert.equal(findHeaderExtension(full, full.length, 14)!.length, 16);
    assert.equal(findHeaderExtension(full, full.length, 2), undefined);
    assert.equal(findHeaderExtension(full, full.length, 15), undefined);
    assert.equal(findHeaderExtension(full, full.length, 0), undefined);
    const offset = headerExtensionOffset(full, full.length, 3);
    assert.equal(headerExtensionDataLength(full, offset), 3);
  });

  it('find two-byte extension elements, including empty ones and ids above 14', () => {
    const packet = buildTestRtp({
      extension: {
        form: 'two',
        padBytes: 2,
        elements: [
          { id: 1, data: [] },
          { id: 200, data: [5, 4, 3, 2, 1] },
          { id: 7, data: Array.from({ length: 40 }, () => 7) },
        ],
      },
    });
    assert.equal(isValidRtp(packet, packet.length), true);
    assert.deepEqual(findHeaderExtension(packet, packet.length, 1), { offset: 12 + 4 + 2 + 2, length: 0 });
    assert.deepEqual([...slice(packet, findHeaderExtension(packet, packet.length, 200)!)], [5, 4, 3, 2, 1]);
    assert.equal(findHeaderExtension(packet, packet.length, 7)!.length, 40);
    assert.equal(findHeaderExtension(packet, packet.length, 8), undefined);
    const parsed = RtpPacket.deSerialize(packet);
    assert.deepEqual(
      parsed.header.extensions.map((e) => e.id),
      [1, 200, 7],
    );
  });

  it('stop at the reserved one-byte id 15', () => {
    const packet = buildTestRtp({
      extension: {
        form: 'one',
        elements: [
          { id: 15, data: [0] },
          { id: 2, data: [1] },
        ],
      },
    });
    assert.equal(findHeaderExtension(packet, packet.length, 2), undefined);
  });

  it('stop at a one-byte element with id 0 and a length (not padding), as libwebrtc does', () => {
    const garbage = buildTestRtp({
      extension: {
        form: 'one',
        elements: [
          { id: 2, data: [1, 2] },
          { id: 3, data: [1] },
        ],
      },
    });
    assert.deepEqual([...slice(garbage, findHeaderExtension(garbage, garbage.length, 3)!)], [1]);
    garbage[16] = 0x01; // id 0, length 2
    assert.equal(findHeaderExtension(garbage, garbage.length, 3), undefined);
  });

  it('ignore extension blocks of other profiles', () => {
    const packet = buildTestRtp({ extension: { form: 'one', elements: [{ id: 2, data: [1] }] } });
    packet[12] = 0x12; // profile 0x12DE
    assert.equal(isValidRtp(packet, packet.length), true);
    assert.equal(findHeaderExtension(packet, packet.length, 2), undefined);
  });

  it('respect len inside a larger receive buffer', () => {
    const packet = buildTestRtp({ payload: [1, 2, 3] });
    const receiveBuffer = Buffer.alloc(1500, 0xee);
    packet.copy(receiveBuffer);
    const range = rtpPayloadRange(receiveBuffer, packet.length)!;
    assert.deepEqual(range, { start: 12, end: packet.length });
    assert.equal(isValidRtp(receiveBuffer, 2000), false);
  });
});

describe('rtpHeader validation', () => {
  it('reject wrong versions and short packets', () => {
    const packet = buildTestRtp({});
    assert.equal(isValidRtp(packet, 11), false);
    const v1 = Buffer.from(packet);
    v1[0] = (v1[0]! & 0x3f) | 0x40;
    assert.equal(isValidRtp(v1, v1.length), false);
    assert.equal(rtpPayloadRange(v1, v1.length), undefined);
  });

  it('reject CSRC lists, extension blocks and padding that do not fit', () => {
    const withCsrcs = buildTestRtp({ csrcs: [1, 2, 3], payload: [] });
    assert.equal(isValidRtp(withCsrcs, withCsrcs.length), true);
    assert.equal(isValidRtp(withCsrcs, withCsrcs.length - 1), false);

    const withExtension = buildTestRtp({
      extension: { form: 'one', elements: [{ id: 1, data: [1, 2, 3, 4] }] },
      payload: [],
    });
    assert.equal(isValidRtp(withExtension, withExtension.length), true);
    assert.equal(isValidRtp(withExtension, withExtension.length - 1), false);
    assert.equal(isValidRtp(withExtension, 14), false);
    const hugeExtension = Buffer.from(withExtension);
    hugeExtension[14] = 0xff;
    assert.equal(isValidRtp(hugeExtension, hugeExtension.length), false);

    const padded = buildTestRtp({ payload: [1], padding: 3 });
    assert.equal(isValidRtp(padded, padded.length), true);
    const zeroPadding = Buffer.from(padded);
    zeroPadding[zeroPadding.length - 1] = 0;
    assert.equal(isValidRtp(zeroPadding, zeroPadding.length), false);
    const tooMuchPadding = Buffer.from(padded);
    tooMuchPadding[tooMuchPadding.length - 1] = 5;
    assert.equal(isValidRtp(tooMuchPadding, tooMuchPadding.length), false);
    const paddingOnly = buildTestRtp({ payload: [], padding: 255 });
    assert.deepEqual(rtpPayloadRange(paddingOnly, paddingOnly.length), { start: 12, end: 12 });
  });

  it('reject an extension element running past its block', () => {
    const packet = buildTestRtp({ extension: { form: 'one', elements: [{ id: 1, data: [1, 2] }] } });
    packet[16] = (1 << 4) | 7; // claims 8 bytes in a 4-byte block
    assert.equal(findHeaderExtension(packet, packet.length, 1), undefined);
  });
});

describe('RFC 7983 / RFC 5761 demultiplexing', () => {
  it('tell RTP and RTCP from STUN and DTLS, and RTCP from RTP', () => {
    const rtp = buildTestRtp({ payloadType: 96, marker: true });
    assert.equal(isRtpOrRtcp(rtp, rtp.length), true);
    assert.equal(isRtcpPacket(rtp, rtp.length), false); // 0xE0 = 224
    const rtcp = Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 1]);
    assert.equal(isRtpOrRtcp(rtcp, rtcp.length), true);
    assert.equal(isRtcpPacket(rtcp, rtcp.length), true);
    const psfb = Buffer.from([0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
    assert.equal(isRtcpPacket(psfb, psfb.length), true);
    const stun = Buffer.from([0x00, 0x01, 0x00, 0x00]);
    const dtls = Buffer.from([22, 0xfe, 0xfd, 0]);
    assert.equal(isRtpOrRtcp(stun, 4), false);
    assert.equal(isRtpOrRtcp(dtls, 4), false);
    assert.equal(isRtpOrRtcp(rtp, 2), false);
    const pt95marker = buildTestRtp({ payloadType: 95, marker: true }); // 0xDF = 223: RTCP range
    assert.equal(isRtcpPacket(pt95marker, pt95marker.length), true);
  });
});

describe('rtpHeader fuzz', () => {
  it('never throws and never points outside len on random or mutated input', () => {
    const random = seededRandom(7983);
    const seeds = [
      full,
      buildTestRtp({ extension: { form: 'two', elements: [{ id: 9, data: [1, 2, 3] }] }, padding: 2 }),
    ];
    for (let round = 0; round < 20_000; round++) {
      let buf: Buffer;
      if (round % 2 === 0) {
        buf = Buffer.alloc(Math.floor(random() * 80));
        for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(random() * 256);
        if (buf.length > 0 && random() < 0.7) buf[0] = 0x80 | (buf[0]! & 0x3f);
      } else {
        buf = Buffer.from(seeds[round % seeds.length]!);
        for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
          buf[Math.floor(random() * buf.length)] = Math.floor(random() * 256);
        }
      }
      const len = Math.floor(random() * (buf.length + 1));
      isRtpOrRtcp(buf, len);
      isRtcpPacket(buf, len);
      const valid = isValidRtp(buf, len);
      const range = rtpPayloadRange(buf, len);
      assert.equal(range !== undefined, valid);
      if (range) assert.ok(range.start <= range.end && range.end <= len);
      for (const id of [1, 3, 9, 14, 200]) {
        const found = findHeaderExtension(buf, len, id);
        if (found) assert.ok(found.offset + found.length <= len, `round ${round}`);
      }
    }
  });
});

function slice(buf: Buffer, at: { offset: number; length: number }): Buffer {
  return buf.subarray(at.offset, at.offset + at.length);
}
