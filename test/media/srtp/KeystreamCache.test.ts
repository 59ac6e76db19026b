import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AesCtrKeystream } from '../../../src/media/srtp/AesCtrKeystream.ts';
import { KeystreamCache } from '../../../src/media/srtp/KeystreamCache.ts';

describe('KeystreamCache', () => {
  it('gives every packet exactly its own keystream, whatever the order and sizes', () => {
    const key = randomBytes(16);
    const salt = randomBytes(14);
    const ssrc = 0x5eed5eed;
    const cache = new KeystreamCache(new AesCtrKeystream(key, salt), ssrc);
    const direct = new AesCtrKeystream(key, salt);
    const packets: Array<[index: number, length: number]> = [];
    for (let index = 0xfff0; index < 0x10000 + 80; index++)
      packets.push([index, 1188 - (index % 5 === 0 ? 900 : 0)]);
    packets.push([0x10000 + 10, 1188], [0x10000 + 200, 160], [0x10000 + 201, 1400], [0x10000 + 199, 1400]);
    for (let index = 0x10000 + 202; index < 0x10000 + 400; index++) packets.push([index, 100 + (index % 70)]);
    for (let index = 0x10000 + 400; index < 0x10000 + 500; index += 3)
      packets.push([index, 1000], [index - 1, 1000]);
    packets.push([0x10000 + 600, 0], [0x10000 + 601, 1]);
    for (const [index, length] of packets) {
      const payload = randomBytes(length);
      const viaCache = Buffer.concat([Buffer.alloc(12), payload]);
      const viaDirect = Buffer.from(viaCache);
      cache.apply(viaCache, 12, 12 + length, index);
      direct.apply(viaDirect, 12, 12 + length, ssrc, index);
      assert.deepEqual(viaCache, viaDirect, `index ${index}, length ${length}`);
    }
  });
});
