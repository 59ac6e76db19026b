import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtcpPacketConverter, type RtcpRrPacket } from 'werift';
import { buildReceiverReport } from '../../../src/media/rtcp/receiverReport.ts';
import { ReceiveStatistics } from '../../../src/media/rtp/ReceiveStatistics.ts';

describe('ReceiveStatistics', () => {
  it('counts the extended highest sequence number across the wrap', () => {
    const stats = new ReceiveStatistics(1, 90000);
    for (let i = 0; i < 100; i++) stats.onPacket((65500 + i) & 0xffff, i * 3000, i * 33);
    assert.equal(stats.extendedHighestSequence, 65536 + 63);
    assert.equal(stats.expected, 100);
    assert.equal(stats.cumulativeLost, 0);
  });

  it('reports cumulative loss and the lost fraction per interval (A.3)', () => {
    const stats = new ReceiveStatistics(1, 48000);
    for (let i = 0; i < 100; i++) if (i % 10 !== 5) stats.onPacket(i, i * 960, i * 20);
    let block = stats.report(2000);
    assert.equal(block.cumulativeLost, 10);
    assert.equal(block.fractionLost, Math.floor((10 * 256) / 100));
    assert.equal(block.extendedHighestSequence, 99);
    for (let i = 100; i < 200; i++) stats.onPacket(i, i * 960, i * 20);
    block = stats.report(4000);
    assert.equal(block.cumulativeLost, 10);
    assert.equal(block.fractionLost, 0);
    block = stats.report(4100);
    assert.equal(block.fractionLost, 0, 'an empty interval reports no loss');
  });

  it('counts reordered packets as received and duplicates towards negative loss', () => {
    const stats = new ReceiveStatistics(1, 48000);
    for (const s of [0, 1, 3, 2, 4, 4, 4]) stats.onPacket(s, s * 960, s * 20);
    assert.equal(stats.extendedHighestSequence, 4);
    assert.equal(stats.received, 7);
    assert.equal(stats.cumulativeLost, -2);
    assert.equal(stats.report(100).fractionLost, 0);
  });

  it('computes interarrival jitter as RFC 3550 A.8', () => {
    const stats = new ReceiveStatistics(1, 48000);
    for (let i = 0; i < 10; i++) stats.onPacket(i, i * 960, i * 20);
    assert.equal(stats.jitter, 0);
    stats.onPacket(10, 10 * 960, 10 * 20 + 10); // 10 ms late: D = 480
    assert.equal(stats.jitter, 480 / 16);
    stats.onPacket(11, 11 * 960, 11 * 20); // back on time: D = -480
    assert.equal(stats.jitter, 30 + (480 - 30) / 16);
    assert.equal(stats.report(0).jitter, 58);
  });

  it('measures jitter between frames, not between packets of one frame', () => {
    const stats = new ReceiveStatistics(1, 90000);
    let seq = 0;
    for (let frame = 0; frame < 30; frame++) {
      // 5 packets per frame, paced 2 ms apart by the sender; frames 1/30 s apart.
      for (let p = 0; p < 5; p++) stats.onPacket(seq++, frame * 3000, (frame * 1000) / 30 + p * 2);
    }
    assert.ok(stats.jitter < 1e-9, `jitter ${stats.jitter}`);
  });

  it('fills LSR and DLSR from the last Sender Report', () => {
    const stats = new ReceiveStatistics(1, 90000);
    stats.onPacket(1, 0, 0);
    assert.equal(stats.report(10).lastSr, 0);
    stats.onSenderReport(0x12345678, 0x9abcdef0, 1000);
    const block = stats.report(1500);
    assert.equal(block.lastSr, 0x56789abc);
    assert.equal(block.delaySinceLastSr, 32768);
  });

  it('restarts after a large jump confirmed by the next packet (A.1)', () => {
    const stats = new ReceiveStatistics(1, 90000);
    for (let i = 0; i < 100; i++) stats.onPacket(i, i * 3000, i * 33);
    stats.onPacket(40000, 0, 4000);
    assert.equal(stats.extendedHighestSequence, 99, 'a lone jump is not believed');
    stats.onPacket(40001, 3000, 4033);
    assert.equal(stats.extendedHighestSequence, 40001);
    assert.equal(stats.expected, 1, 'counting starts again at the confirming packet');
    assert.equal(stats.received, 1);
  });

  it('produces report blocks that werift reads back from our RR', () => {
    const stats = new ReceiveStatistics(0xabcdef01, 90000);
    for (let i = 0; i < 50; i++) if (i !== 7) stats.onPacket(i, i * 3000, i * 33 + (i % 3));
    stats.onSenderReport(3_900_000_000, 0x80000000, 1000);
    const block = stats.report(1250);
    const [rr] = RtcpPacketConverter.deSerialize(buildReceiverReport(0x01020304, [block])) as [RtcpRrPacket];
    assert.equal(rr.ssrc, 0x01020304);
    const theirs = rr.reports[0]!;
    assert.equal(theirs.ssrc, 0xabcdef01);
    assert.equal(theirs.fractionLost, block.fractionLost);
    assert.equal(theirs.packetsLost, 1);
    assert.equal(theirs.highestSequence, 49);
    assert.equal(theirs.jitter, block.jitter);
    assert.equal(theirs.lsr, block.lastSr);
    assert.equal(theirs.dlsr, 16384);
  });
});
