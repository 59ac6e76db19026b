import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NodeLoadTracker } from '../../../src/controller/placement/NodeLoadTracker.ts';
import { DEFAULT_PACK_HEADROOM, pack } from '../../../src/controller/placement/pack.ts';
import { burst, NOW, packets, report, tally } from './placementRig.ts';

function first(policy: ReturnType<typeof pack>, reports: Parameters<typeof burst>[1]): string | undefined {
  return burst(policy, reports, 1)[0];
}

test('no candidate, no node', () => {
  assert.equal(pack().name, 'pack');
  assert.equal(pack().choose([], { room: 'r' }), undefined);
  assert.equal(DEFAULT_PACK_HEADROOM, 0.8);
});

test('the most utilized node that stays within the headroom after one more OTM', () => {
  const policy = pack();
  assert.equal(
    first(policy, [report('a', { load: packets(0.3) }), report('b', { load: packets(0.6) }), report('c')]),
    'b',
  );
  assert.equal(
    first(policy, [report('a', { load: packets(0.3) }), report('b', { load: packets(0.75) }), report('c')]),
    'a',
    '0.75 + 0.06 would pass 0.8',
  );
  assert.equal(
    first(policy, [
      report('a', { load: { cpu: 0.5 } }),
      report('b', { load: { subscribers: 7 }, capacity: { maxSubscribers: 10 } }),
    ]),
    'b',
    'utilization by CPU and subscribers counts too',
  );
});

test('the headroom is configurable', () => {
  const reports = [report('a', { load: packets(0.45) }), report('b', { load: packets(0.1) })];
  assert.equal(first(pack({ headroom: 0.5 }), reports), 'b');
  assert.equal(first(pack({ headroom: 0.55 }), reports), 'a');
  assert.equal(first(pack({ headroom: 1 }), [report('a', { load: packets(0.94) }), report('b')]), 'a');
});

test('a burst fills one node to the headroom, then the next; idle nodes stay idle', () => {
  const reports = [report('c'), report('a'), report('b')];
  const tracker = new NodeLoadTracker(() => NOW);
  const chosen = burst(pack(), reports, 20, { room: 'r' }, tracker);
  // 13 × 0.06 = 0.78; a fourteenth would make 0.84.
  assert.deepEqual(tally(chosen), { a: 13, b: 7 });
  assert.deepEqual(chosen.slice(0, 14), [...Array(13).fill('a'), 'b']);
  const byNode = new Map(tracker.candidates(reports).map((c) => [c.report.nodeId, c.utilization]));
  assert.ok((byNode.get('a') ?? 1) <= 0.8, `a at ${byNode.get('a')}`);
  assert.equal(byNode.get('c'), 0);
});

test('the node the report shows fuller keeps being filled after the report arrives', () => {
  const tracker = new NodeLoadTracker(() => NOW);
  burst(pack(), [report('a'), report('b')], 5, { room: 'r' }, tracker);
  // The report after the burst: a carries the 5 OTMs, at less cost than estimated.
  const after = [
    report('a', { reportedAt: NOW + 1, load: { ...packets(0.2), otms: 5 } }),
    report('b', { reportedAt: NOW + 1 }),
  ];
  assert.deepEqual(burst(pack(), after, 3, { room: 'r' }, tracker), ['a', 'a', 'a']);
});

test('ties: fewer pending placements, then the node id', () => {
  const tracker = new NodeLoadTracker(() => NOW);
  tracker.reserve('a');
  tracker.reserve('a');
  // CPU dominates both, so the pending placements do not change utilization.
  const reports = [report('a', { load: { cpu: 0.5 } }), report('b', { load: { cpu: 0.5 } })];
  assert.deepEqual(burst(pack(), reports, 1, { room: 'r' }, tracker), ['b']);
  assert.equal(
    first(pack(), [report('d', { load: { cpu: 0.5 } }), report('c', { load: { cpu: 0.5 } })]),
    'c',
  );
});

test('past the headroom everywhere: least-loaded up to capacity, then no node', () => {
  const reports = [report('a', { load: packets(0.82) }), report('b', { load: packets(0.88) })];
  // a: 0.82, 0.88, 0.94 fit; b: 0.88, 0.94 fit — least-loaded alternates by 0.06 steps.
  const chosen = burst(pack(), reports, 7);
  assert.deepEqual(tally(chosen), { a: 3, b: 2, none: 2 });
  assert.equal(chosen[0], 'a');
});

test('draining and full nodes are never chosen, however well they would pack', () => {
  const reports = [
    report('draining', { draining: true, load: packets(0.5) }),
    report('cpu-full', { load: { cpu: 1 } }),
    report('ok', { load: packets(0.1) }),
  ];
  assert.deepEqual(tally(burst(pack(), reports, 5)), { ok: 5 });
  assert.equal(first(pack(), reports.slice(0, 2)), undefined, 'the whole cluster full');
  assert.equal(first(pack(), []), undefined);
});
