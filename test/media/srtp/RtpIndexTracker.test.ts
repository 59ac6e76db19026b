import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtpIndexTracker } from '../../../src/media/srtp/RtpIndexTracker.ts';

describe('RtpIndexTracker (RFC 3711 Appendix A)', () => {
  it('takes the first sequence number with ROC 0', () => {
    const tracker = new RtpIndexTracker();
    assert.equal(tracker.estimate(40000), 40000);
  });

  it('rolls over from 65535 to 0 and keeps late packets from before the wrap on the old ROC', () => {
    const tracker = new RtpIndexTracker();
    for (const sequence of [65530, 65531, 65535]) tracker.commit(tracker.estimate(sequence));
    const wrapped = tracker.estimate(0);
    assert.equal(wrapped, 0x10000);
    tracker.commit(wrapped);
    assert.equal(tracker.rolloverCounter, 1);
    assert.equal(tracker.estimate(65534), 65534, 'late packet from ROC 0');
    tracker.commit(65534);
    assert.equal(tracker.rolloverCounter, 1, 'a late packet does not move the ROC back');
    assert.equal(tracker.estimate(1), 0x10001);
  });

  it('guesses ROC + 1 only when the sequence number is far behind s_l', () => {
    const tracker = new RtpIndexTracker();
    tracker.commit(50000);
    assert.equal(tracker.estimate(17000), 17000 + 0x10000);
    assert.equal(tracker.estimate(17232), 17232, 'exactly 2^15 behind is still this ROC');
    assert.equal(tracker.estimate(60000), 60000);
  });

  it('refuses ROC − 1 while the ROC is 0', () => {
    const tracker = new RtpIndexTracker();
    tracker.commit(10);
    assert.equal(tracker.estimate(65000), -1);
  });

  it('follows a long run of sequential packets across several wraps', () => {
    const tracker = new RtpIndexTracker();
    for (let index = 60000; index < 60000 + 4 * 0x10000; index += 7) {
      const estimated = tracker.estimate(index & 0xffff);
      assert.equal(estimated, index);
      tracker.commit(estimated);
    }
  });
});
