import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SequenceRewriter } from '../../../src/media/rtp/SequenceRewriter.ts';

function feed(
  rewriter: SequenceRewriter,
  sequence: number,
  timestamp: number,
  arrivalMs: number,
): [number, number] | 'drop' {
  return rewriter.rewrite(sequence, timestamp, arrivalMs) ? [rewriter.sequence, rewriter.timestamp] : 'drop';
}

describe('SequenceRewriter within one source', () => {
  it('passes numbers through by default and applies a constant offset when told where to start', () => {
    const plain = new SequenceRewriter({ clockRate: 90000 });
    assert.deepEqual(feed(plain, 1000, 5000, 0), [1000, 5000]);
    assert.deepEqual(feed(plain, 1001, 8000, 33), [1001, 8000]);

    const shifted = new SequenceRewriter({ clockRate: 90000, firstSequence: 10, firstTimestamp: 100 });
    assert.deepEqual(feed(shifted, 1000, 5000, 0), [10, 100]);
    assert.deepEqual(feed(shifted, 1001, 5000, 1), [11, 100]);
    assert.deepEqual(feed(shifted, 1003, 8000, 33), [13, 3100], 'a loss gap stays a gap');
    assert.deepEqual(feed(shifted, 1002, 5000, 34), [12, 100], 'a reordered packet keeps its place');
  });

  it('follows 16-bit sequence and 32-bit timestamp wrap on both sides', () => {
    const rewriter = new SequenceRewriter({
      clockRate: 90000,
      firstSequence: 65534,
      firstTimestamp: 0xffffff00,
    });
    const seen: Array<[number, number] | 'drop'> = [];
    for (let i = 0; i < 6; i++)
      seen.push(feed(rewriter, (65533 + i) & 0xffff, (0xfffffff0 + i * 3000) >>> 0, i * 33));
    assert.deepEqual(seen, [
      [65534, 0xffffff00],
      [65535, (0xffffff00 + 3000) >>> 0],
      [0, (0xffffff00 + 6000) >>> 0],
      [1, (0xffffff00 + 9000) >>> 0],
      [2, (0xffffff00 + 12000) >>> 0],
      [3, (0xffffff00 + 15000) >>> 0],
    ]);
    // A packet from before the wrap, reordered after it, still maps back across it.
    assert.deepEqual(feed(rewriter, 65534, (0xfffffff0 + 3000) >>> 0, 200), [
      65535,
      (0xffffff00 + 3000) >>> 0,
    ]);
  });

  it('refuses packets from before the first one (nothing to map them onto)', () => {
    const rewriter = new SequenceRewriter({ clockRate: 48000 });
    assert.deepEqual(feed(rewriter, 500, 0, 0), [500, 0]);
    assert.equal(feed(rewriter, 499, 0, 1), 'drop');
    assert.equal(rewriter.tooOldCount, 1);
  });
});

describe('SequenceRewriter across source switches', () => {
  it('continues without a gap and advances the timestamp by the elapsed time', () => {
    const rewriter = new SequenceRewriter({
      clockRate: 90000,
      firstSequence: 100,
      firstTimestamp: 1_000_000,
    });
    for (let i = 0; i < 10; i++) feed(rewriter, 7000 + i, 50_000 + i * 3000, i * 33);
    assert.deepEqual([rewriter.sequence, rewriter.timestamp], [109, 1_000_000 + 9 * 3000]);
    // Last packet at 297 ms; the new publisher's first packet arrives 100 ms later.
    rewriter.switchSource();
    assert.deepEqual(feed(rewriter, 40_000, 123, 397), [110, 1_000_000 + 9 * 3000 + 9000]);
    assert.deepEqual(feed(rewriter, 40_001, 123, 398), [111, 1_000_000 + 9 * 3000 + 9000]);
    assert.deepEqual(feed(rewriter, 40_002, 3123, 430), [112, 1_000_000 + 9 * 3000 + 12000]);
    assert.equal(
      feed(rewriter, 39_999, 0, 431),
      'drop',
      'the new source cannot reach back before its switch point',
    );
    assert.equal(rewriter.switchCount, 1);
  });

  it('uses the timestamp step the caller gives (e.g. from Sender Reports)', () => {
    const rewriter = new SequenceRewriter({ clockRate: 90000 });
    feed(rewriter, 10, 1000, 0);
    rewriter.switchSource(3000);
    assert.deepEqual(feed(rewriter, 60_000, 999_999, 5000), [11, 4000]);
  });

  it('keeps the timestamp moving forward even when the switch is instantaneous', () => {
    const rewriter = new SequenceRewriter({ clockRate: 48000 });
    feed(rewriter, 10, 1000, 50);
    rewriter.switchSource();
    assert.deepEqual(feed(rewriter, 20, 0, 50), [11, 1001]);
  });

  it('chains several switches across the outgoing wrap, and a switch before any packet is a no-op', () => {
    const rewriter = new SequenceRewriter({
      clockRate: 90000,
      firstSequence: 65530,
      firstTimestamp: 0xfffff000,
    });
    rewriter.switchSource();
    const out: number[] = [];
    let now = 0;
    let incoming = 100;
    for (let source = 0; source < 4; source++) {
      if (source > 0) rewriter.switchSource();
      incoming = (incoming * 7919 + 12345) & 0xffff;
      for (let i = 0; i < 3; i++) {
        assert.ok(rewriter.rewrite((incoming + i) & 0xffff, source * 1_000_000 + i * 3000, now));
        out.push(rewriter.sequence);
        now += 33;
      }
    }
    assert.deepEqual(
      out,
      Array.from({ length: 12 }, (_, i) => (65530 + i) & 0xffff),
    );
    assert.equal(rewriter.switchCount, 3);
  });

  it('treats a large jump confirmed by the next packet as a restart (RFC 3550 A.1), without a gap', () => {
    const rewriter = new SequenceRewriter({ clockRate: 90000 });
    for (let i = 0; i < 5; i++) feed(rewriter, 100 + i, i * 3000, i * 33);
    assert.equal(feed(rewriter, 30_000, 777, 200), 'drop');
    assert.equal(rewriter.outOfRangeCount, 1);
    assert.deepEqual(feed(rewriter, 30_001, 777, 201), [105, 4 * 3000 + Math.round((201 - 132) * 90)]);
    assert.deepEqual(feed(rewriter, 30_002, 3777, 233), [
      106,
      4 * 3000 + Math.round((201 - 132) * 90) + 3000,
    ]);
  });

  it('refuses a lone packet far behind but keeps the stream going', () => {
    const rewriter = new SequenceRewriter({ clockRate: 90000, maxMisorder: 100 });
    for (let i = 0; i < 500; i++) feed(rewriter, i, i * 3000, i);
    assert.equal(feed(rewriter, 200, 200 * 3000, 500), 'drop');
    assert.deepEqual(feed(rewriter, 450, 450 * 3000, 501), [450, 450 * 3000], 'within maxMisorder');
    assert.deepEqual(feed(rewriter, 500, 500 * 3000, 502), [500, 500 * 3000]);
  });
});

describe('SequenceRewriter.toIncomingSequence', () => {
  it('maps a subscriber NACK back to the publisher sequence number of the current source', () => {
    const rewriter = new SequenceRewriter({ clockRate: 90000, firstSequence: 65500 });
    for (let i = 0; i < 50; i++) feed(rewriter, 1000 + i, 0, i);
    assert.equal(rewriter.toIncomingSequence(65500), 1000);
    assert.equal(rewriter.toIncomingSequence(13), 1049);
    assert.equal(rewriter.toIncomingSequence(14), -1, 'not sent yet');
    rewriter.switchSource();
    feed(rewriter, 9, 0, 100);
    feed(rewriter, 10, 0, 101);
    assert.equal(rewriter.toIncomingSequence(14), 9);
    assert.equal(rewriter.toIncomingSequence(15), 10);
    assert.equal(rewriter.toIncomingSequence(13), -1, 'belonged to the previous source');
  });
});
