import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { HmacSha1 } from '../../../src/media/srtp/HmacSha1.ts';

function tagOf(hmac: HmacSha1, length = 20): Buffer {
  const out = Buffer.alloc(length);
  hmac.writeTag(out, 0, length);
  return out;
}

describe('HmacSha1', () => {
  it('reproduces RFC 2202 test case 1', () => {
    const hmac = new HmacSha1(Buffer.alloc(20, 0x0b));
    hmac.compute(Buffer.from('Hi There'), 8);
    assert.equal(tagOf(hmac).toString('hex'), 'b617318655057264e28bc0b6fb378c8ef146be00');
  });

  it('matches createHmac for messages of any length, with and without the ROC suffix', () => {
    const key = randomBytes(20);
    const hmac = new HmacSha1(key);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1200, 2047, 2048, 5000]) {
      const message = randomBytes(length + 7);
      hmac.compute(message, length);
      assert.deepEqual(
        tagOf(hmac),
        createHmac('sha1', key).update(message.subarray(0, length)).digest(),
        `${length}`,
      );
      const roc = 0x89abcdef;
      hmac.computeWithSuffix(message, length, roc);
      const suffix = Buffer.alloc(4);
      suffix.writeUInt32BE(roc);
      const expected = createHmac('sha1', key).update(message.subarray(0, length)).update(suffix).digest();
      assert.deepEqual(tagOf(hmac), expected, `${length} with suffix`);
    }
  });

  it('writes truncated tags and compares them', () => {
    const hmac = new HmacSha1(randomBytes(20));
    const message = randomBytes(100);
    hmac.compute(message, 100);
    const out = Buffer.alloc(14);
    hmac.writeTag(out, 4, 10);
    assert.ok(hmac.tagMatches(out, 4, 10));
    assert.ok(hmac.tagMatches(out, 4, 4));
    out[13] ^= 1;
    assert.ok(!hmac.tagMatches(out, 4, 10));
    assert.ok(hmac.tagMatches(out, 4, 4));
  });
});
