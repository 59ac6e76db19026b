import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TwccRecorder } from '../../../src/media/rtcp/TwccRecorder.ts';
import { seededRandom } from '../rtp/rtpTestPackets.ts';
import { decodeWithWerift, type WeriftTwccView } from './twccReference.ts';

interface Arrival {
  sequence: number;
  arrivalUs: number;
}

/** What the feedback stream said about one transport sequence number, reconstructed from werift's view. */
interface Reported {
  received: boolean;
  /** Reconstructed arrival (µs) when received. */
  arrivalUs: number;
}

/**
 * Records `arrivals` in order, building feedback after the packets at the indexes in `feedbackAfter`
 * (and at the end), decodes every feedback with werift and checks the invariants Chromium relies on.
 */
function runScenario(
  arrivals: ReadonlyArray<Arrival>,
  feedbackAfter: ReadonlySet<number>,
  options: { maxPacketBytes?: number; windowSize?: number } = {},
) {
  const recorder = new TwccRecorder(options);
  const feedbacks: WeriftTwccView[] = [];
  const sizes: number[] = [];
  const flush = () => {
    for (const buf of recorder.buildFeedback(0x5eed, 0x3ed1a)) {
      sizes.push(buf.length);
      feedbacks.push(decodeWithWerift(buf));
    }
  };
  arrivals.forEach((a, i) => {
    recorder.record(a.sequence, a.arrivalUs);
    if (feedbackAfter.has(i)) flush();
  });
  flush();
  assert.equal(recorder.hasPending(), false);
  assert.deepEqual(recorder.buildFeedback(1, 2), [], 'nothing new: no feedback');

  // Per-feedback invariants; later reports of a sequence number override earlier ones.
  const reported = new Map<number, Reported>();
  feedbacks.forEach((fb, index) => {
    assert.equal(fb.senderSsrc, 0x5eed);
    assert.equal(fb.mediaSsrc, 0x3ed1a);
    assert.equal(fb.feedbackPacketCount, index & 0xff, 'feedback packet count increments by one');
    assert.ok(fb.statuses.length > 0);
    assert.notEqual(fb.statuses[fb.statuses.length - 1], 0, 'a feedback ends at a received packet');
    let timeUs = fb.referenceTime * 64_000;
    let d = 0;
    fb.statuses.forEach((status, i) => {
      const sequence = (fb.baseSequence + i) & 0xffff;
      if (status === 0) {
        if (!reported.get(sequence)?.received) reported.set(sequence, { received: false, arrivalUs: 0 });
        return;
      }
      const delta = fb.deltasUs[d++]!;
      assert.equal(status === 1, delta >= 0 && delta <= 255 * 250, 'small status iff the delta fits a byte');
      timeUs += delta;
      reported.set(sequence, { received: true, arrivalUs: timeUs });
    });
    assert.equal(d, fb.deltasUs.length);
  });

  // Every packet recorded is reported received, at its arrival time to within half a tick,
  // with no drift however long the feedback.
  const recorded = new Map<number, number>();
  for (const a of arrivals)
    if (!recorded.has(a.sequence & 0xffff)) recorded.set(a.sequence & 0xffff, a.arrivalUs);
  for (const [sequence, arrivalUs] of recorded) {
    const r = reported.get(sequence);
    assert.ok(r?.received, `sequence ${sequence} reported received`);
    assert.ok(
      Math.abs(r.arrivalUs - arrivalUs) <= 125,
      `sequence ${sequence}: ${r.arrivalUs} vs ${arrivalUs}`,
    );
  }
  for (const [sequence, r] of reported) if (!recorded.has(sequence)) assert.equal(r.received, false);
  return { feedbacks, sizes, recorder };
}

function every(n: number): Set<number> {
  return new Set(Array.from({ length: 100_000 }, (_, i) => i).filter((i) => i % n === n - 1));
}

describe('TwccRecorder', () => {
  it('reports a steady stream, each feedback starting where the last ended', () => {
    const arrivals = Array.from({ length: 200 }, (_, i) => ({
      sequence: 1000 + i,
      arrivalUs: 5_000_000 + i * 5_123,
    }));
    const { feedbacks } = runScenario(arrivals, every(20));
    assert.equal(feedbacks.length, 10);
    feedbacks.forEach((fb, i) => {
      assert.equal(fb.baseSequence, 1000 + i * 20);
      assert.equal(fb.statuses.length, 20);
      assert.ok(fb.statuses.every((s) => s === 1));
    });
  });

  it('sets the reference time to the first arrival in 64 ms units', () => {
    const recorder = new TwccRecorder();
    recorder.record(7, 64_000 * 1000 + 63_999);
    recorder.record(8, 64_000 * 1000 + 64_100);
    const [buf] = recorder.buildFeedback(1, 2);
    const fb = decodeWithWerift(buf!);
    assert.equal(fb.referenceTime, 1000);
    assert.deepEqual(fb.statuses, [2, 1], 'a first delta of 256 ticks needs the large form');
    assert.deepEqual(fb.deltasUs, [64_000, 0]);
  });

  it('reports losses as not received, including a loss at the start of a feedback', () => {
    const random = seededRandom(1);
    const arrivals: Arrival[] = [];
    for (let i = 0; i < 500; i++) {
      const burst = i >= 200 && i < 230;
      if (!burst && random() > 0.1) arrivals.push({ sequence: i, arrivalUs: 1_000_000 + i * 3_300 });
    }
    const { feedbacks } = runScenario(arrivals, every(25));
    const lost = feedbacks.flatMap((fb) => fb.statuses).filter((s) => s === 0).length;
    assert.equal(lost, 500 - arrivals.length - (499 - arrivals[arrivals.length - 1]!.sequence));
  });

  it('handles reordering, negative deltas and packets arriving after their number was reported', () => {
    const arrivals: Arrival[] = [];
    let t = 10_000_000;
    const arrive = (sequence: number, afterUs: number) => {
      t += afterUs;
      arrivals.push({ sequence, arrivalUs: t });
    };
    for (let i = 0; i < 300; i += 3) {
      // Within each group of 3 the last one overtakes the others: negative deltas.
      arrive(i + 2, 1_000);
      arrive(i, 700);
      arrive(i + 1, 1_300);
    }
    // 10 sequence numbers lost and then found much later, after feedback reported them lost.
    const late = arrivals.splice(60, 10);
    for (const a of late) arrive(a.sequence, 2_000);
    const { feedbacks } = runScenario(arrivals, every(30));
    assert.ok(
      feedbacks.some((fb, i) => i > 0 && fb.baseSequence < feedbacks[i - 1]!.baseSequence),
      'a late packet makes the next feedback start earlier',
    );
  });

  it('uses large deltas for gaps over 63.75 ms and splits a feedback at a gap over 8.19 s', () => {
    const arrivals: Arrival[] = [
      { sequence: 1, arrivalUs: 1_000_000 },
      { sequence: 2, arrivalUs: 1_070_000 },
      { sequence: 3, arrivalUs: 1_070_000 + 8_000_000 },
      { sequence: 4, arrivalUs: 1_070_000 + 8_000_000 + 9_000_000 },
      { sequence: 5, arrivalUs: 1_070_000 + 8_000_000 + 9_000_000 + 10 },
    ];
    const { feedbacks } = runScenario(arrivals, new Set());
    assert.equal(feedbacks.length, 2, 'one build, two packets');
    assert.deepEqual(feedbacks[0]!.statuses, [1, 2, 2]);
    assert.equal(feedbacks[1]!.baseSequence, 4);
  });

  it('follows the 16-bit wrap of transport sequence numbers', () => {
    const arrivals = Array.from({ length: 300 }, (_, i) => ({
      sequence: (65400 + i) & 0xffff,
      arrivalUs: 2_000_000 + i * 1_000,
    }));
    const { feedbacks } = runScenario(
      arrivals.filter((a) => a.sequence % 11 !== 0),
      every(40),
    );
    assert.ok(
      feedbacks.some((fb) => fb.baseSequence > 65400 && fb.baseSequence + fb.statuses.length > 65536),
    );
  });

  it('keeps every feedback under the size limit', () => {
    const random = seededRandom(99);
    const arrivals: Arrival[] = [];
    let t = 0;
    for (let i = 0; i < 5000; i++) {
      t += random() < 0.2 ? 70_000 : Math.floor(random() * 2_000);
      if (random() < 0.9) arrivals.push({ sequence: i, arrivalUs: t });
    }
    const { sizes } = runScenario(arrivals, new Set(), { maxPacketBytes: 300, windowSize: 8192 });
    assert.ok(sizes.length > 10);
    for (const size of sizes) assert.ok(size <= 300 && size % 4 === 0, `size ${size}`);
  });

  it('ignores duplicates and packets older than the window', () => {
    const recorder = new TwccRecorder({ windowSize: 16 });
    recorder.record(100, 1000);
    recorder.record(100, 2000);
    assert.equal(recorder.duplicateCount, 1);
    recorder.record(120, 3000);
    recorder.record(104, 4000);
    assert.equal(recorder.tooOldCount, 1);
    const fb = decodeWithWerift(recorder.buildFeedback(1, 2)[0]!);
    // 120 - 16 + 1 = 105 is the oldest number the window can still report.
    assert.equal(fb.baseSequence, 105);
    assert.equal(fb.statuses.length, 16);
  });

  it('survives a random mix of everything (fuzz against werift)', () => {
    const random = seededRandom(2024);
    for (let round = 0; round < 30; round++) {
      const arrivals: Arrival[] = [];
      let t = Math.floor(random() * 1e12);
      let sequence = Math.floor(random() * 65536);
      for (let i = 0; i < 400; i++) {
        sequence = (sequence + 1) & 0xffff;
        t += random() < 0.05 ? Math.floor(random() * 300_000) : Math.floor(random() * 3_000);
        if (random() < 0.1) continue; // lost
        arrivals.push({ sequence, arrivalUs: t + random() });
      }
      for (let i = 0; i < 40; i++) {
        const a = Math.floor(random() * arrivals.length);
        const b = Math.min(arrivals.length - 1, a + Math.floor(random() * 20));
        const tmp = arrivals[a]!.sequence;
        arrivals[a]!.sequence = arrivals[b]!.sequence;
        arrivals[b]!.sequence = tmp;
      }
      runScenario(arrivals, every(5 + Math.floor(random() * 60)));
    }
  });
});
