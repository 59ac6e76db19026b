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

  it('sizes each slab by time: it grows until one pass holds minRetentionMs, keeping what it held', () => {
    const cache = new PacketCache({ capacity: 2048, initialBytes: 4096, minRetentionMs: 1000 });
    // 100 packets of 1000 bytes per second: 1 s is 100 kB, so the slab settles at 128 KiB.
    let sequence = 0;
    for (let ms = 0; ms < 5000; ms += 10) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 128 * 1024);
    // Everything of the last second is there, byte for byte.
    for (let s = sequence - 100; s < sequence; s++) {
      const cached = cache.get(7, s);
      assert.ok(cached, `sequence ${s} cached`);
      assert.equal(cached.len, 1000);
      assert.equal(cached.buf.readUInt16BE(2), s);
    }
    // A slow stream stays in the initial slab.
    for (let ms = 0; ms < 60_000; ms += 100) cache.put(packet(8, ms / 100, 100), 100, ms);
    assert.equal(cache.slabBytes(8), 4096);
    assert.ok(cache.get(8, 599));
  });

  it('forgets a packet whose bytes were overwritten even when its index slot was not', () => {
    const cache = new PacketCache({ capacity: 1024, initialBytes: 4096, maxBytes: 4096 });
    for (let s = 0; s < 10; s++) cache.put(packet(9, s, 1000), 1000, 0);
    assert.equal(cache.get(9, 0), undefined);
    assert.equal(cache.get(9, 5), undefined);
    assert.ok(cache.get(9, 9));
    assert.ok(cache.get(9, 6));
  });
  it('does not grow on one burst, and halves a slab whose passes hold far more than minRetentionMs', () => {
    const cache = new PacketCache({ capacity: 2048, initialBytes: 4096, minRetentionMs: 1000 });
    // 100 packets of 1000 bytes per second settle at 128 KiB (1.3 s per pass).
    let sequence = 0;
    let ms = 0;
    for (; ms < 10_000; ms += 10) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 128 * 1024);
    // A stalled sender catching up: 400 ms worth at once. One pass gets short; the slab stays.
    for (let i = 0; i < 40; i++) cache.put(packet(7, sequence++, 1000), 1000, ms);
    for (; ms < 20_000; ms += 10) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 128 * 1024);
    // The stream drops to a quarter: passes take 5.2 s, then 2.6 s, so the slab halves twice (1.3 s).
    for (; ms < 60_000; ms += 40) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 32 * 1024);
    for (let s = sequence - 25; s < sequence; s++) {
      const cached = cache.get(7, s);
      assert.ok(cached, `sequence ${s} cached`);
      assert.equal(cached.buf.readUInt16BE(2), s);
    }
  });

  it('follows a retention changed while it runs: shorter halves the slabs, longer grows them back', () => {
    const cache = new PacketCache({ capacity: 2048, initialBytes: 4096, minRetentionMs: 1000 });
    // 100 packets of 1000 bytes per second: 128 KiB for 1 s.
    let sequence = 0;
    let ms = 0;
    for (; ms < 5000; ms += 10) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 128 * 1024);
    // 250 ms: a 32 KiB pass (0.33 s) holds it, and a 64 KiB one (0.65 s) holds 2.5 times it.
    cache.minRetentionMs = 250;
    for (; ms < 15_000; ms += 10) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 32 * 1024);
    for (let s = sequence - 25; s < sequence; s++) assert.ok(cache.get(7, s), `sequence ${s} within 250 ms`);
    cache.minRetentionMs = 1000;
    for (; ms < 20_000; ms += 10) cache.put(packet(7, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(7), 128 * 1024);
    // Memory accounting: the 128 KiB slab and its index, 20 bytes a slot.
    assert.ok(cache.heldBytes() >= 128 * 1024 + 256 * 20, `${cache.heldBytes()} bytes held`);
    assert.ok(cache.heldBytes() <= 128 * 1024 + 2048 * 20, `${cache.heldBytes()} bytes held`);
    assert.throws(() => {
      cache.minRetentionMs = 0;
    }, RangeError);
    assert.equal(cache.minRetentionMs, 1000);
  });

  it('keeps what it held when it halves a slab', () => {
    const cache = new PacketCache({ capacity: 2048, initialBytes: 4096, minRetentionMs: 1000 });
    let sequence = 0;
    let ms = 0;
    for (; ms < 5000; ms += 10) cache.put(packet(3, sequence++, 1000), 1000, ms);
    assert.equal(cache.slabBytes(3), 128 * 1024);
    // 700-byte packets: some straddle the new half size and are dropped, the others are served intact.
    let served = 0;
    for (; ms < 40_000; ms += 100) {
      cache.put(packet(3, sequence++, 700), 700, ms);
      const cached = cache.get(3, sequence - 1);
      assert.ok(cached && cached.buf.readUInt16BE(2) === sequence - 1);
    }
    assert.ok(cache.slabBytes(3) < 128 * 1024);
    for (let s = sequence - 40; s < sequence; s++) {
      const cached = cache.get(3, s);
      if (!cached) continue;
      served++;
      assert.equal(cached.len, 700);
      assert.ok(cached.buf.equals(packet(3, s, 700)), `sequence ${s} intact`);
    }
    assert.ok(served >= 38, `${served} of the last 40 served`);
  });

  it('grows the index of an SSRC whose passes hold more packets than it has slots', () => {
    const cache = new PacketCache({ capacity: 4096, initialBytes: 16384, minRetentionMs: 1000 });
    // 1000 packets of 40 bytes per second: 1 s is 40 kB (64 KiB slab) and 1000 packets (1024 slots).
    let sequence = 0;
    for (let ms = 0; ms < 10_000; ms++) cache.put(packet(5, sequence++, 40), 40, ms);
    assert.equal(cache.slabBytes(5), 64 * 1024);
    for (let s = sequence - 1000; s < sequence; s++) assert.ok(cache.get(5, s), `sequence ${s} cached`);
  });
});
