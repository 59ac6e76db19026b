import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeLoad } from '../../../src/cluster/NodeReport.ts';
import { leastLoaded } from '../../../src/controller/placement/leastLoaded.ts';
import type { PlacementCandidate } from '../../../src/controller/placement/PlacementPolicy.ts';
import { nodeReport } from '../roomServiceRig.ts';

function candidate(
  nodeId: string,
  utilization: number,
  options: { pendingOtms?: number; load?: Partial<NodeLoad> } = {},
): PlacementCandidate {
  return {
    report: nodeReport(nodeId, { load: options.load }),
    pendingOtms: options.pendingOtms ?? 0,
    utilization,
  };
}

function choose(...candidates: PlacementCandidate[]): string | undefined {
  return leastLoaded.choose(candidates, { room: 'r' })?.report.nodeId;
}

test('no candidate, no node', () => {
  assert.equal(choose(), undefined);
  assert.equal(leastLoaded.name, 'least-loaded');
});

test('the lowest utilization wins, wherever it is in the list', () => {
  assert.equal(choose(candidate('a', 0.5), candidate('b', 0.2), candidate('c', 0.3)), 'b');
  assert.equal(choose(candidate('a', 0.1), candidate('b', 0.2)), 'a');
  assert.equal(
    choose(candidate('a', 0.9, { load: { otms: 0 } }), candidate('b', 0.1, { load: { otms: 50 } })),
    'b',
  );
});

test('within 2 points of utilization, the node with fewer OTMs (reported + pending) wins', () => {
  assert.equal(
    choose(candidate('a', 0.1, { load: { otms: 3 } }), candidate('b', 0.115, { load: { otms: 2 } })),
    'b',
  );
  assert.equal(
    choose(
      candidate('a', 0.1, { load: { otms: 1 } }),
      candidate('b', 0.1, { load: { otms: 0 }, pendingOtms: 2 }),
    ),
    'a',
    'what was placed since the report counts',
  );
  assert.equal(
    choose(candidate('a', 0.1, { load: { otms: 3 } }), candidate('b', 0.125, { load: { otms: 0 } })),
    'a',
  );
});

test('a full tie goes to the smaller node id, whatever the order (every controller decides alike)', () => {
  assert.equal(choose(candidate('b', 0), candidate('a', 0)), 'a');
  assert.equal(choose(candidate('a', 0), candidate('b', 0)), 'a');
});
