import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacketCache } from '../../../src/media/rtp/PacketCache.ts';
import { rtpSequence } from '../../../src/media/rtp/rtpHeader.ts';
import { buildTestRtp } from './rtpTestPackets.ts';

function packet(ssrc: number, sequence: number, size = 20): Buffer {
  return buildTestRtp({
    ssrc,
    sequence,
    payload: Array.from({ length: size - 12 }, (_, i) => (sequence + i) & 0xff),
  });
}

describe('PacketCache', () => {
  it('returns a copy of what was stored, by SSRC and sequence number', () => {
    const cache = new PacketCache({ capacity: 16 });
    const original = packet(1, 500, 100);
    const receiveBuffer = Buffer.alloc(1500);
    original.copy(receiveBuffer);
    assert.equal(cache.put(receiveBuffer, original.length), true);
    receiveBuffer.fill(0); // the socket reuses its buffer
    const hit = cache.get(1, 500)!;
    assert.equal(hit.len, 100);
    assert.ok(hit.buf.equals(original));
    assert.equal(cache.get(1, 501), undefined);
    assert.equal(cache.get(2, 500), undefined);
  });

  it('keeps the last `capacity` sequence numbers across the 16-bit wrap', () => {
    const cache = new PacketCache({ capacity: 16 });
    for (let i = 0; i < 40; i++) cache.put(packet(7, (65520 + i) & 0xffff), 20);
    // 40 packets from 65520: the newest is 65559 & 0xffff = 23; the 16 newest are 8..23.
    for (let i = 0; i < 40; i++) {
      const sequence = (65520 + i) & 0xffff;
      const hit = cache.get(7, sequence);
      if (i >= 24) {
        assert.ok(hit, `sequence ${sequence} kept`);
        assert.equal(rtpSequence(hit.buf), sequence);
      } else assert.equal(hit, undefined, `sequence ${sequence} evicted`);
    }
  });

  it('stores reordered packets within the window and refuses older ones', () => {
    const cache = new PacketCache({ capacity: 16 });
    cache.put(packet(1, 100), 20);
    cache.put(packet(1, 102), 20);
    assert.equal(cache.put(packet(1, 101), 20), true);
    assert.ok(cache.get(1, 101));
    cache.put(packet(1, 130), 20);
    assert.equal(cache.put(packet(1, 114), 20), false, '16 behind the newest');
    assert.equal(cache.put(packet(1, 115), 20), true);
    assert.equal(cache.get(1, 100), undefined);
    assert.ok(cache.get(1, 115));
  });

  it('does not serve stale slots after a jump of more than the capacity', () => {
    const cache = new PacketCache({ capacity: 16 });
    for (let s = 0; s < 16; s++) cache.put(packet(1, s), 20);
    cache.put(packet(1, 1000), 20);
    for (let s = 0; s < 16; s++) assert.equal(cache.get(1, s), undefined);
    // 65536 later the same 16-bit number means a different packet.
    assert.equal(cache.get(1, 1000 - 16), undefined);
    assert.ok(cache.get(1, 1000));
  });

  it('replaces a duplicate in place', () => {
    const cache = new PacketCache({ capacity: 8 });
    cache.put(packet(1, 5, 20), 20);
    cache.put(packet(1, 5, 40), 40);
    assert.equal(cache.get(1, 5)!.len, 40);
  });

  it('keeps SSRCs apart, forgets one on clear and reuses its slab for the next', () => {
    const cache = new PacketCache({ capacity: 8 });
    cache.put(packet(1, 10), 20);
    cache.put(packet(2, 10, 30), 30);
    assert.equal(cache.get(1, 10)!.len, 20);
    assert.equal(cache.get(2, 10)!.len, 30);
    const slab = cache.get(1, 10)!.buf.buffer;
    cache.clear(1);
    assert.equal(cache.get(1, 10), undefined);
    assert.equal(cache.has(1), false);
    cache.put(packet(3, 12), 20);
    assert.equal(cache.get(3, 12)!.buf.buffer, slab, 'slab reused, no new allocation');
    assert.equal(cache.get(3, 10), undefined, 'nothing of the old SSRC leaks into the new one');
    cache.close();
    assert.equal(cache.get(2, 10), undefined);
  });

  it('rounds the capacity up to a power of two and skips packets larger than a slot', () => {
    const cache = new PacketCache({ capacity: 1000, maxPacketSize: 64 });
    assert.equal(cache.capacity, 1024);
    assert.equal(cache.put(packet(1, 1, 65), 65), false);
    assert.equal(cache.put(packet(1, 1, 64), 64), true);
    assert.equal(cache.put(Buffer.alloc(8), 8), false);
    assert.equal(new PacketCache().capacity, 2048);
  });
});
