import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spread } from '../../../src/controller/placement/spread.ts';
import { burst, packets, report, tally } from './placementRig.ts';

test('no candidate, no node', () => {
  assert.equal(spread.name, 'spread');
  assert.equal(spread.choose([], { room: 'r' }), undefined);
});

test('the fewest OTMs wins, whatever the utilization', () => {
  const reports = [report('a', { load: { otms: 3 } }), report('b', { load: { otms: 1, ...packets(0.6) } })];
  assert.deepEqual(burst(spread, reports, 1), ['b']);
});

test('equal counts: the lower utilization, then the node id', () => {
  assert.deepEqual(
    burst(
      spread,
      [
        report('a', { load: { otms: 2, ...packets(0.4) } }),
        report('b', { load: { otms: 2, ...packets(0.2) } }),
      ],
      1,
    ),
    ['b'],
  );
  assert.deepEqual(burst(spread, [report('b'), report('a')], 1), ['a']);
});

test('a burst alternates over idle nodes', () => {
  assert.deepEqual(burst(spread, [report('c'), report('b'), report('a')], 7), [
    'a',
    'b',
    'c',
    'a',
    'b',
    'c',
    'a',
  ]);
});

test('a burst evens out unequal counts, pending placements included', () => {
  const reports = [report('a', { load: { otms: 2 } }), report('b'), report('c', { load: { otms: 1 } })];
  // b 0→1; b and c tie at 1, c less utilized (nothing pending); b at 1 is alone lowest; then all at 2,
  // a least utilized (its OTMs are in its report, which shows no packets).
  assert.deepEqual(burst(spread, reports, 6), ['b', 'c', 'b', 'a', 'c', 'b']);
});

test('draining and full nodes are never chosen, however few OTMs they carry; then no node', () => {
  const reports = [
    report('draining', { draining: true }),
    report('full', { load: { cpu: 1 } }),
    report('nearly-full', { load: { otms: 40, ...packets(0.85) } }),
  ];
  // 0.85, 0.91, 0.97 fit; 1.03 does not.
  assert.deepEqual(tally(burst(spread, reports, 5)), { 'nearly-full': 3, none: 2 });
  assert.deepEqual(burst(spread, reports.slice(0, 2), 1), [undefined], 'the whole cluster full');
});
