import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVp8PayloadDescriptor, Vp8RtpPayload } from 'werift';
import { createVp8Descriptor, isVp8Keyframe, readVp8Descriptor } from '../../../src/media/rtp/vp8.ts';

/** VP8 key frame header: frame tag with P=0, then the start code 9D 01 2A and a 640×480 size. */
const KEYFRAME_HEADER = [0x50, 0x2d, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01];
/** Inter frame: frame tag with P=1. */
const INTERFRAME_HEADER = [0x31, 0x0a, 0x00, 0x12, 0x34, 0x56];

function payload(descriptor: number[], body: number[]): Buffer {
  // Put the payload at an offset, as it sits inside an RTP packet.
  return Buffer.from([0xee, 0xee, ...descriptor, ...body]);
}

describe('readVp8Descriptor', () => {
  it('reads the minimal one-byte descriptor', () => {
    const buf = payload([0x10], KEYFRAME_HEADER);
    const d = createVp8Descriptor();
    assert.equal(readVp8Descriptor(buf, 2, buf.length, d), true);
    assert.equal(d.length, 1);
    assert.equal(d.startOfPartition, true);
    assert.equal(d.partitionId, 0);
    assert.equal(d.nonReference, false);
    assert.equal(d.pictureId, -1);
    assert.equal(d.temporalLayer, -1);
  });

  it('reads a 15-bit picture id, TL0PICIDX, TID/Y and KEYIDX with their offsets', () => {
    // X=1 N=1 S=0 PID=3 | I L T K | M=1 pictureId 0x1234 | TL0PICIDX 0xab | TID=2 Y=1 KEYIDX=5
    const buf = payload([0xa3, 0xf0, 0x80 | 0x12, 0x34, 0xab, (2 << 6) | 0x20 | 5], INTERFRAME_HEADER);
    const d = createVp8Descriptor();
    assert.equal(readVp8Descriptor(buf, 2, buf.length, d), true);
    assert.deepEqual(d, {
      length: 6,
      nonReference: true,
      startOfPartition: false,
      partitionId: 3,
      pictureId: 0x1234,
      pictureIdBits: 15,
      pictureIdOffset: 4,
      tl0PicIdx: 0xab,
      tl0PicIdxOffset: 6,
      temporalLayer: 2,
      layerSync: true,
      keyIdx: 5,
      tidKeyIdxOffset: 7,
    });
  });

  it('reads a 7-bit picture id and a TID without KEYIDX', () => {
    const buf = payload([0x90, 0xa0, 0x55, 0x40], KEYFRAME_HEADER);
    const d = createVp8Descriptor();
    assert.equal(readVp8Descriptor(buf, 2, buf.length, d), true);
    assert.equal(d.pictureId, 0x55);
    assert.equal(d.pictureIdBits, 7);
    assert.equal(d.temporalLayer, 1);
    assert.equal(d.layerSync, false);
    assert.equal(d.keyIdx, -1);
    assert.equal(d.length, 4);
  });

  it('agrees with werift on what werift writes', () => {
    const descriptor = createVp8PayloadDescriptor({ start: true, pictureId: 0x7abc });
    const buf = Buffer.concat([descriptor, Buffer.from(KEYFRAME_HEADER)]);
    const d = createVp8Descriptor();
    assert.equal(readVp8Descriptor(buf, 0, buf.length, d), true);
    const theirs = Vp8RtpPayload.deSerialize(buf);
    assert.equal(d.pictureId, theirs.pictureId);
    assert.equal(d.startOfPartition, theirs.sBit === 1);
    assert.equal(isVp8Keyframe(buf, 0, buf.length), theirs.isKeyframe);
    assert.equal(isVp8Keyframe(buf, 0, buf.length), true);
  });

  it('refuses truncated descriptors', () => {
    const d = createVp8Descriptor();
    const full = payload([0x90, 0xf0, 0x80, 0x01, 0x02, 0x40], []);
    for (let end = 2; end < full.length; end++)
      assert.equal(readVp8Descriptor(full, 2, end, d), false, `end ${end}`);
    assert.equal(readVp8Descriptor(full, 2, full.length, d), true);
  });
});

describe('isVp8Keyframe', () => {
  it('is true only for the start of partition 0 of a key frame', () => {
    assert.equal(isVp8Keyframe(payload([0x10], KEYFRAME_HEADER), 2, 2 + 1 + KEYFRAME_HEADER.length), true);
    assert.equal(
      isVp8Keyframe(payload([0x90, 0x80, 0x81, 0x02], KEYFRAME_HEADER), 2, 2 + 4 + KEYFRAME_HEADER.length),
      true,
    );
    assert.equal(
      isVp8Keyframe(payload([0x10], INTERFRAME_HEADER), 2, 2 + 1 + INTERFRAME_HEADER.length),
      false,
    );
    assert.equal(
      isVp8Keyframe(payload([0x00], KEYFRAME_HEADER), 2, 2 + 1 + KEYFRAME_HEADER.length),
      false,
      'not S',
    );
    assert.equal(
      isVp8Keyframe(payload([0x11], KEYFRAME_HEADER), 2, 2 + 1 + KEYFRAME_HEADER.length),
      false,
      'partition 1',
    );
    assert.equal(isVp8Keyframe(payload([0x10], KEYFRAME_HEADER.slice(0, 4)), 2, 7), false, 'truncated');
    assert.equal(isVp8Keyframe(Buffer.alloc(0), 0, 0), false);
  });
});
