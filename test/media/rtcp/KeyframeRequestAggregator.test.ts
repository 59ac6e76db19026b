import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KeyframeRequestAggregator,
  type KeyframeRequestKind,
} from '../../../src/media/rtcp/KeyframeRequestAggregator.ts';

function collector() {
  const sent: Array<[number, KeyframeRequestKind, number]> = [];
  return {
    sent,
    send: (ssrc: number, kind: KeyframeRequestKind, fir: number) => sent.push([ssrc, kind, fir]),
  };
}

describe('KeyframeRequestAggregator', () => {
  it('sends the first request at once and coalesces the rest of the interval into one', () => {
    const agg = new KeyframeRequestAggregator({ intervalMs: 500 });
    const { sent, send } = collector();
    assert.equal(agg.request(1, 'pli', 1000), true);
    assert.equal(agg.nextDueMs(), undefined);
    for (let t = 1010; t < 1500; t += 50) assert.equal(agg.request(1, 'pli', t), false);
    assert.equal(agg.nextDueMs(), 1500);
    agg.tick(1499, send);
    assert.deepEqual(sent, []);
    agg.tick(1500, send);
    assert.deepEqual(sent, [[1, 'pli', -1]]);
    agg.tick(1600, send);
    assert.equal(sent.length, 1, 'nothing more pending');
    assert.equal(agg.request(1, 'pli', 1700), false, 'the coalesced send started a new interval');
    agg.tick(2000, send);
    assert.equal(sent.length, 2);
    assert.equal(agg.request(1, 'pli', 2600), true, 'a quiet interval later: at once again');
  });

  it('limits each SSRC separately', () => {
    const agg = new KeyframeRequestAggregator();
    assert.equal(agg.request(1, 'pli', 0), true);
    assert.equal(agg.request(2, 'pli', 10), true);
    assert.equal(agg.request(1, 'pli', 20), false);
    assert.equal(agg.request(2, 'pli', 30), false);
    const { sent, send } = collector();
    agg.tick(505, send);
    assert.deepEqual(sent, [[1, 'pli', -1]]);
    agg.tick(510, send);
    assert.deepEqual(sent, [
      [1, 'pli', -1],
      [2, 'pli', -1],
    ]);
  });

  it('cancels the coalesced request when a key frame arrives', () => {
    const agg = new KeyframeRequestAggregator();
    agg.request(1, 'pli', 0);
    agg.request(1, 'pli', 100);
    assert.equal(agg.hasPending(1), true);
    agg.keyframeReceived(1);
    assert.equal(agg.hasPending(1), false);
    assert.equal(agg.nextDueMs(), undefined);
    const { sent, send } = collector();
    agg.tick(1000, send);
    assert.deepEqual(sent, []);
  });

  it('numbers FIRs per SSRC, one step per FIR sent, and upgrades a coalesced PLI to FIR', () => {
    const agg = new KeyframeRequestAggregator({ intervalMs: 100 });
    const { sent, send } = collector();
    assert.equal(agg.request(1, 'fir', 0), true);
    assert.equal(agg.firSequenceNumber(1), 0);
    agg.request(1, 'pli', 10);
    agg.request(1, 'fir', 20);
    agg.request(1, 'pli', 30);
    agg.tick(100, send);
    assert.deepEqual(sent, [[1, 'fir', 1]]);
    assert.equal(agg.request(1, 'pli', 250), true);
    assert.equal(agg.firSequenceNumber(1), 1, 'a PLI does not advance the FIR number');
    assert.equal(agg.request(2, 'fir', 250), true);
    assert.equal(agg.firSequenceNumber(2), 0, 'numbers are per SSRC');
    assert.equal(agg.firSequenceNumber(3), -1);
  });

  it('wraps the FIR number at 8 bits and forgets removed SSRCs', () => {
    const agg = new KeyframeRequestAggregator({ intervalMs: 1 });
    for (let i = 0; i < 257; i++) agg.request(1, 'fir', i * 10);
    assert.equal(agg.firSequenceNumber(1), 0);
    agg.remove(1);
    assert.equal(agg.firSequenceNumber(1), -1);
  });
});
