import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NackGenerator } from '../../../src/media/rtp/NackGenerator.ts';

describe('NackGenerator', () => {
  it('says nothing while packets arrive in order, across the 16-bit wrap', () => {
    const nack = new NackGenerator();
    for (let i = 0; i < 100; i++) assert.equal(nack.onPacket((65500 + i) & 0xffff, i), 'in-order');
    assert.equal(nack.missingCount, 0);
    assert.deepEqual(nack.collect(200), []);
    assert.equal(nack.nextDueMs(), undefined);
  });

  it('asks for a hole at once, again after the retry interval, and stops when the packet comes', () => {
    const nack = new NackGenerator({ retryIntervalMs: 100 });
    nack.onPacket(65534, 0);
    assert.equal(nack.onPacket(2, 10), 'gap', '65535, 0 and 1 are missing');
    assert.deepEqual(nack.collect(10), [65535, 0, 1]);
    assert.deepEqual(nack.collect(50), [], 'not again within the retry interval');
    assert.equal(nack.nextDueMs(), 110);
    assert.equal(nack.onPacket(0, 60), 'recovered');
    assert.deepEqual(nack.collect(110), [65535, 1]);
    assert.equal(nack.requested, 5);
    assert.equal(nack.recovered, 1);
    assert.equal(nack.onPacket(0, 120), 'late', 'a second copy is a duplicate');
    assert.equal(nack.onPacket(3, 130), 'in-order');
  });

  it('gives a packet up after maxRetries requests or maxAgeMs', () => {
    const byRetries = new NackGenerator({ retryIntervalMs: 10, maxRetries: 3, maxAgeMs: 10_000 });
    byRetries.onPacket(1, 0);
    byRetries.onPacket(3, 0);
    const requests = [0, 10, 20, 30, 40].map((t) => byRetries.collect(t));
    assert.deepEqual(requests, [[2], [2], [2], [], []]);
    assert.equal(byRetries.givenUp, 1);
    assert.equal(byRetries.missingCount, 0);

    const byAge = new NackGenerator({ retryIntervalMs: 100, maxRetries: 100, maxAgeMs: 1000 });
    byAge.onPacket(1, 0);
    byAge.onPacket(3, 0);
    let sent = 0;
    for (let t = 0; t <= 2000; t += 100) sent += byAge.collect(t).length;
    assert.equal(sent, 10, 'requests at 0, 100 … 900 ms, none from 1 s on');
    assert.equal(byAge.givenUp, 1);
    assert.equal(byAge.onPacket(2, 2100), 'late', 'a retransmission after giving up is not waited for');
  });

  it('keeps at most maxMissing holes, dropping the oldest', () => {
    const nack = new NackGenerator({ maxMissing: 5 });
    nack.onPacket(100, 0);
    nack.onPacket(104, 0);
    nack.onPacket(108, 0);
    assert.equal(nack.givenUp, 1, '101 made room');
    assert.deepEqual(nack.collect(0), [102, 103, 105, 106, 107]);
    nack.onPacket(200, 50);
    assert.equal(nack.missingCount, 5);
    assert.equal(nack.givenUp, 1 + 86 + 5, '109…194 never waited for, then the five older holes');
    assert.deepEqual(nack.collect(50), [195, 196, 197, 198, 199]);
  });

  it('treats a jump beyond maxDropout as a restart, not a loss of thousands', () => {
    const nack = new NackGenerator({ maxDropout: 3000 });
    nack.onPacket(10, 0);
    nack.onPacket(12, 0);
    assert.equal(nack.onPacket(20_000, 0), 'in-order');
    assert.equal(nack.missingCount, 0);
    assert.equal(nack.givenUp, 1);
    assert.equal(nack.onPacket(20_001, 0), 'in-order');
  });
});
