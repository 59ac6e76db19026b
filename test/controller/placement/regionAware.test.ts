import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distanceBetween, regionAware } from '../../../src/controller/placement/regionAware.ts';
import { burst, packets, report, tally } from './placementRig.ts';

const DISTANCES = {
  'eu-west': { 'eu-central': 1, 'us-east': 5 },
  // Only listed from the far side: lookups go both ways.
  'sa-east': { 'eu-west': 8 },
};

function first(policy = regionAware({ distances: DISTANCES }), reports = [report('a')], region?: string) {
  return burst(policy, reports, 1, { room: 'r', region })[0];
}

test('no candidate, no node', () => {
  const policy = regionAware();
  assert.equal(policy.name, 'region-aware');
  assert.equal(policy.choose([], { room: 'r', region: 'eu-west' }), undefined);
  assert.equal(policy.choose([], { room: 'r' }), undefined);
});

test("the publisher's region wins over less loaded nodes elsewhere; least-loaded within it", () => {
  const reports = [
    report('us-1', { region: 'us-east' }),
    report('eu-1', { region: 'eu-west', load: packets(0.7) }),
    report('eu-2', { region: 'eu-west', load: packets(0.4) }),
    report('central-1', { region: 'eu-central' }),
  ];
  assert.equal(first(undefined, reports, 'eu-west'), 'eu-2');
  assert.equal(first(undefined, reports, 'us-east'), 'us-1');
  assert.equal(
    first(regionAware(), reports, 'eu-west'),
    'eu-2',
    'no distance table needed for the home region',
  );
});

test('without a publisher region it is least-loaded over every region', () => {
  const reports = [
    report('eu-1', { region: 'eu-west', load: packets(0.5) }),
    report('us-1', { region: 'us-east', load: packets(0.2) }),
  ];
  assert.equal(first(undefined, reports, undefined), 'us-1');
});

test('home region without room: the nearest listed region, then farther ones, then unlisted ones', () => {
  const home = [
    report('eu-full', { region: 'eu-west', load: { cpu: 1 } }),
    report('eu-draining', { region: 'eu-west', draining: true }),
  ];
  const central = report('central-1', { region: 'eu-central', load: packets(0.9) });
  const us = report('us-1', { region: 'us-east' });
  const sa = report('sa-1', { region: 'sa-east' });
  const ap = report('ap-1', { region: 'ap-south' });
  assert.equal(first(undefined, [...home, ap, sa, us, central], 'eu-west'), 'central-1', 'even loaded');
  assert.equal(first(undefined, [...home, ap, sa, us], 'eu-west'), 'us-1');
  assert.equal(first(undefined, [...home, ap, sa], 'eu-west'), 'sa-1', 'listed the other way round');
  assert.equal(first(undefined, [...home, ap], 'eu-west'), 'ap-1', 'unlisted regions still serve');
  assert.equal(first(undefined, [sa, ap, us], 'sa-east'), 'sa-1');
  const busyAp = report('ap-1', { region: 'ap-south', load: packets(0.5) });
  assert.equal(
    first(undefined, [busyAp, us], 'sa-east'),
    'us-1',
    'sa-east lists only eu-west: the rest alike, least-loaded',
  );
});

test('with no distance table, any other region, least-loaded', () => {
  const reports = [
    report('eu-full', { region: 'eu-west', load: { cpu: 1 } }),
    report('us-1', { region: 'us-east', load: packets(0.5) }),
    report('ap-1', { region: 'ap-south', load: packets(0.3) }),
  ];
  assert.equal(first(regionAware(), reports, 'eu-west'), 'ap-1');
});

test('equally near regions are one tier: least-loaded across them', () => {
  const policy = regionAware({ distances: { home: { x: 2, y: 2, z: 3 } } });
  const reports = [
    report('x-1', { region: 'x', load: packets(0.6) }),
    report('y-1', { region: 'y', load: packets(0.3) }),
    report('z-1', { region: 'z' }),
  ];
  assert.equal(first(policy, reports, 'home'), 'y-1');
});

test('a burst fills the home region up to capacity, then spills to the nearest region, spread there', () => {
  const reports = [
    report('eu-1', { region: 'eu-west', load: packets(0.7) }),
    report('us-1', { region: 'us-east' }),
    report('central-1', { region: 'eu-central' }),
    report('central-2', { region: 'eu-central' }),
  ];
  const chosen = burst(regionAware({ distances: DISTANCES }), reports, 9, { room: 'r', region: 'eu-west' });
  // 0.7 + 5 × 0.06 reaches 1: the sixth OTM no longer fits on eu-1.
  assert.deepEqual(chosen, [
    'eu-1',
    'eu-1',
    'eu-1',
    'eu-1',
    'eu-1',
    'central-1',
    'central-2',
    'central-1',
    'central-2',
  ]);
});

test('draining and full nodes are never chosen; a whole cluster full gives no node', () => {
  const reports = [
    report('eu-draining', { region: 'eu-west', draining: true }),
    report('eu-full', { region: 'eu-west', load: { subscribers: 10 }, capacity: { maxSubscribers: 10 } }),
    report('central-full', { region: 'eu-central', load: packets(0.94) }),
    report('us-draining', { region: 'us-east', draining: true }),
  ];
  const chosen = burst(regionAware({ distances: DISTANCES }), reports, 3, { room: 'r', region: 'eu-west' });
  assert.deepEqual(tally(chosen), { 'central-full': 1, none: 2 }, 'one OTM fitted, then nothing');
  assert.equal(first(undefined, reports.slice(0, 2), 'eu-west'), undefined);
  assert.equal(first(undefined, [], 'eu-west'), undefined);
});

test('distances: own region nearest of all, read both ways, nothing borrowed from Object.prototype', () => {
  const table = { a: { b: 0, c: 4 }, d: { a: 2 } };
  assert.equal(distanceBetween(table, 'a', 'a'), -1, 'home beats a neighbour listed at 0');
  assert.equal(distanceBetween(table, 'a', 'b'), 0);
  assert.equal(distanceBetween(table, 'c', 'a'), 4);
  assert.equal(distanceBetween(table, 'a', 'd'), 2);
  assert.equal(distanceBetween(table, 'b', 'c'), undefined);
  assert.equal(distanceBetween(table, 'toString', 'length'), undefined);
  assert.equal(distanceBetween(table, 'constructor', 'name'), undefined);
  const policy = regionAware({ distances: table });
  assert.equal(
    first(policy, [report('b-1', { region: 'b' }), report('a-1', { region: 'a', load: packets(0.9) })], 'a'),
    'a-1',
  );
});
