import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { H264RtpPayload } from 'werift';
import { isH264Keyframe } from '../../../src/media/rtp/h264.ts';

const SPS = [0x67, 0x42, 0xc0, 0x1f];
const PPS = [0x68, 0xce, 0x3c, 0x80];
const IDR = [0x65, 0x88, 0x84, 0x00];
const NON_IDR = [0x41, 0x9a, 0x02, 0x00];

function stapA(...units: number[][]): number[] {
  return [0x78, ...units.flatMap((u) => [u.length >> 8, u.length & 0xff, ...u])];
}

function check(bytes: number[]): boolean {
  const buf = Buffer.from([0xff, ...bytes, 0xff]);
  return isH264Keyframe(buf, 1, 1 + bytes.length);
}

describe('isH264Keyframe', () => {
  it('recognises single NAL units', () => {
    assert.equal(check(IDR), true);
    assert.equal(check(SPS), true);
    assert.equal(check(PPS), false);
    assert.equal(check(NON_IDR), false);
  });

  it('looks inside STAP-A and STAP-B aggregates', () => {
    assert.equal(check(stapA(SPS, PPS)), true);
    assert.equal(check(stapA(PPS, IDR)), true);
    assert.equal(check(stapA(PPS, NON_IDR)), false);
    assert.equal(check([0x79, 0x00, 0x01, 0x00, 4, ...IDR]), true, 'STAP-B with its DON');
    assert.equal(check([0x78, 0x00, 0x09, ...IDR]), false, 'unit length past the end');
    assert.equal(check([0x78]), false);
  });

  it('accepts only the first fragment of a fragmented IDR', () => {
    assert.equal(check([0x7c, 0x85, 0x88, 0x84]), true, 'FU-A start of IDR');
    assert.equal(check([0x7c, 0x05, 0x88]), false, 'FU-A middle');
    assert.equal(check([0x7c, 0x45, 0x88]), false, 'FU-A end');
    assert.equal(check([0x7c, 0x81, 0x88]), false, 'FU-A start of non-IDR');
    assert.equal(check([0x7d, 0x85, 0x00, 0x01, 0x88]), true, 'FU-B start of IDR');
    assert.equal(check([0x7c]), false, 'truncated');
  });

  it('agrees with werift about IDR slices (werift also counts later fragments; we want the start)', () => {
    for (const bytes of [
      IDR,
      NON_IDR,
      stapA(PPS, IDR),
      stapA(PPS, NON_IDR),
      [0x7c, 0x85, 0x88, 0x84],
      [0x7c, 0x81, 0x88],
    ]) {
      const theirs = H264RtpPayload.deSerialize(Buffer.from(bytes));
      assert.equal(check(bytes), theirs.isKeyframe, Buffer.from(bytes).toString('hex'));
    }
  });
});
