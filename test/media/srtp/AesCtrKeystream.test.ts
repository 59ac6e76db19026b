import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AesCtrKeystream, xorKeystream } from '../../../src/media/srtp/AesCtrKeystream.ts';

const hex = (value: string) => Buffer.from(value.replace(/\s+/g, ''), 'hex');

/** Reference: a fresh aes-128-ctr cipher on the RFC 3711 §4.1.1 IV. */
function referenceKeystream(key: Buffer, salt: Buffer, ssrc: number, index: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  salt.copy(iv, 0);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  iv.writeUInt32BE((iv.readUInt32BE(8) ^ Math.floor(index / 0x10000)) >>> 0, 8);
  iv.writeUInt16BE(iv.readUInt16BE(12) ^ (index & 0xffff), 12);
  return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(length));
}

describe('AesCtrKeystream', () => {
  it('reproduces the RFC 3711 B.2 AES-CM keystream', () => {
    const keystream = new AesCtrKeystream(
      hex('2B7E151628AED2A6ABF7158809CF4F3C'),
      hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'),
    );
    const blocks = keystream.generate(0, 0, 1, 0xff02 * 16);
    const block = (n: number) => blocks.subarray(n * 16, n * 16 + 16);
    assert.deepEqual(block(0), hex('E03EAD0935C95E80E166B16DD92B4EB4'));
    assert.deepEqual(block(1), hex('D23513162B02D0F72A43A2FE4A5F97AB'));
    assert.deepEqual(block(2), hex('41E95B3BB0A2E8DD477901E4FCA894C0'));
    assert.deepEqual(block(0xfeff), hex('EC8CDF7398607CB0F2D21675EA9EA1E4'));
    assert.deepEqual(block(0xff00), hex('362B7C3C6773516318A077D7FC5073AE'));
    assert.deepEqual(block(0xff01), hex('6A2CC3787889374FBEB4C81B17BA6C44'));
  });

  it('matches aes-128-ctr for any SSRC, ROC and sequence, one packet or several at once', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const keystream = new AesCtrKeystream(key, salt);
    for (const [ssrc, index] of [
      [0, 0],
      [0xffffffff, 0xffff],
      [0x12345678, 0x10000],
      [0xdeadbeef, 0xfffffffe * 0x10000 + 0xfffe],
      [1, 0x7fffffff],
    ]) {
      for (const length of [1, 15, 16, 17, 1188, 1500]) {
        const bytes = (length + 15) & ~15;
        const generated = keystream.generate(ssrc, index, 3, bytes);
        for (let packet = 0; packet < 3; packet++) {
          const expected = referenceKeystream(key, salt, ssrc, index + packet, bytes);
          assert.deepEqual(generated.subarray(packet * bytes, (packet + 1) * bytes), expected);
        }
      }
    }
  });

  it('applies the keystream in place whatever the buffer alignment, leaving bytes outside the range alone', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const keystream = new AesCtrKeystream(key, salt);
    const expected = referenceKeystream(key, salt, 0xabcdef01, 4242, 1203);
    for (const shift of [0, 1, 2, 3]) {
      const backing = Buffer.alloc(1300);
      const buf = backing.subarray(shift);
      keystream.apply(buf, 12, 12 + 1203, 0xabcdef01, 4242);
      assert.deepEqual(buf.subarray(12, 12 + 1203), expected, `shift ${shift}`);
      assert.ok(buf.subarray(0, 12).every((byte) => byte === 0));
      assert.ok(buf.subarray(12 + 1203).every((byte) => byte === 0));
    }
  });

  it('grows for payloads larger than its counter buffer', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const keystream = new AesCtrKeystream(key, salt);
    const buf = Buffer.alloc(9000);
    keystream.apply(buf, 0, 9000, 7, 7);
    assert.deepEqual(buf, referenceKeystream(key, salt, 7, 7, 9000));
  });

  it('xors any combination of target and keystream alignment, head and tail included', () => {
    const keystreamBacking = randomBytes(2100);
    for (let targetShift = 0; targetShift < 4; targetShift++) {
      for (let sourceShift = 0; sourceShift < 4; sourceShift++) {
        for (const length of [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 33, 1187, 1188, 2048]) {
          const backing = randomBytes(2100);
          const target = backing.subarray(targetShift);
          const before = Buffer.from(target);
          const keystream = keystreamBacking.subarray(sourceShift);
          xorKeystream(target, 5, length, keystream, 11);
          for (let i = 0; i < target.length; i++) {
            const inside = i >= 5 && i < 5 + length;
            const expected = inside ? before[i] ^ keystream[11 + i - 5] : before[i];
            if (target[i] !== expected)
              assert.fail(`shifts ${targetShift}/${sourceShift}, length ${length}, byte ${i}`);
          }
        }
      }
    }
  });
});
