import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RoundTripEstimator } from '../../../src/media/rtcp/RoundTripEstimator.ts';
import { ntpMiddle32 } from '../../../src/media/rtcp/senderReport.ts';

/** A DLSR field for `ms` milliseconds (units of 1/65536 s). */
const dlsr = (ms: number): number => Math.round(ms * 65.536);

describe('RoundTripEstimator', () => {
  it('takes the RTT from the LSR and DLSR of a report block (RFC 3550 §6.4.1)', () => {
    const estimator = new RoundTripEstimator();
    estimator.senderReportSent(3_900_000_000, 0x80000000, 10_000);
    const lsr = ntpMiddle32(3_900_000_000, 0x80000000);
    // The SR reached the receiver after 40 ms, it answered 300 ms later, its RR took 40 ms back.
    const rtt = estimator.reportReceived(lsr, dlsr(300), 10_380)!;
    assert.ok(Math.abs(rtt - 80) < 0.1, `rtt ${rtt}`);
    assert.ok(Math.abs(estimator.maxRttMs(10_380)! - 80) < 0.1);
  });

  it('ignores blocks that name no SR, or one it no longer remembers', () => {
    const estimator = new RoundTripEstimator();
    assert.equal(estimator.reportReceived(0, 0, 1000), undefined);
    for (let i = 0; i < 10; i++) estimator.senderReportSent(3_900_000_000 + i, 0, i * 1000);
    assert.equal(estimator.reportReceived(ntpMiddle32(3_900_000_000, 0), 0, 10_000), undefined);
    assert.equal(estimator.reportReceived(0x12345678, 0, 10_000), undefined);
    assert.equal(estimator.maxRttMs(10_000), undefined);
    assert.ok(estimator.reportReceived(ntpMiddle32(3_900_000_009, 0), dlsr(500), 9_520) !== undefined);
  });

  it('keeps the largest RTT of the last 5 to 10 seconds, so a far receiver is not forgotten between reports', () => {
    const estimator = new RoundTripEstimator();
    const lsrAt = (ms: number): number => {
      estimator.senderReportSent(3_900_000_000 + ms / 1000, 0, ms);
      return ntpMiddle32(3_900_000_000 + ms / 1000, 0);
    };
    estimator.reportReceived(lsrAt(0), dlsr(100), 400); // 300 ms: a far viewer
    estimator.reportReceived(lsrAt(1000), dlsr(100), 1110); // 10 ms: a near one
    assert.equal(Math.round(estimator.maxRttMs(1110)!), 300);
    // Still there in the next window…
    estimator.reportReceived(lsrAt(6000), dlsr(100), 6110);
    assert.equal(Math.round(estimator.maxRttMs(6110)!), 300);
    // …gone once only the near viewer reported for a whole window.
    estimator.reportReceived(lsrAt(11_000), dlsr(100), 11_110);
    assert.equal(Math.round(estimator.maxRttMs(11_110)!), 10);
    // And nothing at all after two silent windows.
    assert.equal(estimator.maxRttMs(30_000), undefined);
  });

  it('never reports a negative RTT (rounding of the DLSR)', () => {
    const estimator = new RoundTripEstimator();
    estimator.senderReportSent(3_900_000_000, 0, 1000);
    assert.equal(estimator.reportReceived(ntpMiddle32(3_900_000_000, 0), dlsr(101), 1100), 0);
  });
});
