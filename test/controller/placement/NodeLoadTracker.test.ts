import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeLoadTracker, utilizationOf } from '../../../src/controller/placement/NodeLoadTracker.ts';
import { nodeReport } from '../roomServiceRig.ts';

/** The tracker's estimate of one placement: 1500 packets/s of a 25 000 packets/s node. */
const ONE_OTM = 1500 / 25_000;

function clock(start = 10_000): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

test('utilization is the largest of CPU, packet rate and subscribers against capacity', () => {
  assert.equal(utilizationOf(nodeReport('n', { load: { cpu: 0.3 } }), 0), 0.3);
  assert.equal(
    utilizationOf(nodeReport('n', { load: { packetsInPerSecond: 5_000, packetsOutPerSecond: 5_000 } }), 0),
    0.4,
  );
  assert.equal(
    utilizationOf(nodeReport('n', { load: { subscribers: 90 }, capacity: { maxSubscribers: 100 } }), 0),
    0.9,
  );
  assert.equal(
    utilizationOf(nodeReport('n', { load: { subscribers: 90 }, capacity: { maxSubscribers: 0 } }), 0),
    0,
    'no subscriber limit',
  );
  assert.equal(utilizationOf(nodeReport('n'), 2), 2 * ONE_OTM, 'pending OTMs count as packets');
  assert.equal(utilizationOf(nodeReport('n', { capacity: { maxPacketsPerSecond: 0 } }), 5), 0);
});

test('draining nodes and nodes at capacity are no candidates', () => {
  const tracker = new NodeLoadTracker(clock().now);
  const candidates = tracker.candidates([
    nodeReport('draining', { draining: true }),
    nodeReport('cpu-full', { load: { cpu: 1 } }),
    nodeReport('packets-full', { load: { packetsOutPerSecond: 25_000 } }),
    nodeReport('subscribers-full', { load: { subscribers: 10 }, capacity: { maxSubscribers: 10 } }),
    nodeReport('ok', { load: { cpu: 0.99 } }),
  ]);
  assert.deepEqual(
    candidates.map((c) => [c.report.nodeId, c.pendingOtms, c.utilization]),
    [['ok', 0, 0.99]],
  );
});

test('a placement counts from its reservation; a refused one stops counting', () => {
  const { now } = clock();
  const tracker = new NodeLoadTracker(now);
  const report = nodeReport('a', { reportedAt: now() - 500 });
  const first = tracker.reserve('a');
  const second = tracker.reserve('a');
  assert.equal(tracker.pendingOtms(report), 2, 'still being created: counted');
  second.cancel();
  assert.equal(tracker.pendingOtms(report), 1);
  assert.equal(tracker.candidates([report])[0].utilization, ONE_OTM);
  first.confirm();
  assert.equal(tracker.pendingOtms(report), 1, 'the report is older than the OTM');
  first.cancel();
  assert.equal(tracker.pendingOtms(report), 0);
});

test('a confirmed placement counts until a report stamped after it; then the report shows it', () => {
  const { now, advance } = clock();
  const tracker = new NodeLoadTracker(now);
  const reservation = tracker.reserve('a');
  advance(10);
  reservation.confirm(); // at 10 010
  assert.equal(
    tracker.pendingOtms(nodeReport('a', { reportedAt: 10_005 })),
    1,
    'sampled before the OTM existed',
  );
  assert.equal(tracker.pendingOtms(nodeReport('a', { reportedAt: 10_010 })), 1, 'same millisecond: not sure');
  assert.equal(
    tracker.pendingOtms(nodeReport('b', { reportedAt: 10_011 })),
    0,
    'other nodes are not affected',
  );
  assert.equal(tracker.pendingOtms(nodeReport('a', { reportedAt: 10_011 })), 0);
  assert.equal(
    tracker.pendingOtms(nodeReport('a', { reportedAt: 10_005 })),
    0,
    'forgotten, not revived by an old report',
  );
});

test('placements no report covers are forgotten after 30 s (a node clock behind ours)', () => {
  const { now, advance } = clock();
  const tracker = new NodeLoadTracker(now);
  tracker.reserve('a').confirm();
  const stale = nodeReport('a', { reportedAt: 0 });
  advance(30_000);
  assert.equal(tracker.pendingOtms(stale), 1);
  advance(1);
  assert.equal(tracker.pendingOtms(stale), 0);
});

test('a placement still being created is never forgotten by age or by reports', () => {
  const { now, advance } = clock();
  const tracker = new NodeLoadTracker(now);
  tracker.reserve('a');
  advance(60_000);
  assert.equal(tracker.pendingOtms(nodeReport('a', { reportedAt: now() })), 1);
});

test('forgetting a lost node drops its placements', () => {
  const tracker = new NodeLoadTracker(clock().now);
  const reservation = tracker.reserve('a');
  tracker.reserve('a');
  tracker.forgetNode('a');
  assert.equal(tracker.pendingOtms(nodeReport('a', { reportedAt: 0 })), 0);
  reservation.cancel(); // late answers from the lost node are harmless
  reservation.confirm();
  assert.equal(tracker.pendingOtms(nodeReport('a', { reportedAt: 0 })), 0);
});

test('nodes of a wire protocol the controller does not speak are no candidates; no field means 1', () => {
  const skipped: string[] = [];
  const tracker = new NodeLoadTracker({
    now: clock().now,
    onUnspokenProtocol: (report) => skipped.push(report.nodeId),
  });
  const older = nodeReport('older');
  delete older.protocol;
  const candidates = tracker.candidates([
    older,
    nodeReport('current', { protocol: 1 }),
    nodeReport('newer', { protocol: 2 }),
  ]);
  assert.deepEqual(
    candidates.map((c) => c.report.nodeId),
    ['older', 'current'],
  );
  assert.deepEqual(skipped, ['newer']);
  const upgraded = new NodeLoadTracker({ now: clock().now, spokenProtocols: new Set([1, 2]) });
  assert.equal(upgraded.candidates([nodeReport('newer', { protocol: 2 })]).length, 1);
});
