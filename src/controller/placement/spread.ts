import { bestCandidate, type PlacementCandidate, type PlacementPolicy } from './PlacementPolicy.ts';

/**
 * Spreads OTMs evenly by count (reported plus placed since), whatever their cost: a node lost takes
 * as few streams as possible with it. Ties go to the lower utilization, then the node id.
 */
export const spread: PlacementPolicy = {
  name: 'spread',
  choose(candidates) {
    return bestCandidate(candidates, compare);
  },
};

function compare(a: PlacementCandidate, b: PlacementCandidate): number {
  const byOtms = a.report.load.otms + a.pendingOtms - (b.report.load.otms + b.pendingOtms);
  if (byOtms !== 0) return byOtms;
  if (a.utilization !== b.utilization) return a.utilization - b.utilization;
  return a.report.nodeId < b.report.nodeId ? -1 : 1;
}
