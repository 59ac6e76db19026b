import { bestCandidate, type PlacementCandidate, type PlacementPolicy } from './PlacementPolicy.ts';

/**
 * The node with the lowest estimated utilization; ties (idle nodes) go to the one with fewer OTMs,
 * so the OTMs of a room spread over the nodes even before load shows up in reports.
 */
export const leastLoaded: PlacementPolicy = {
  name: 'least-loaded',
  choose(candidates) {
    return bestCandidate(candidates, compare);
  },
};

function compare(a: PlacementCandidate, b: PlacementCandidate): number {
  const byLoad = a.utilization - b.utilization;
  if (Math.abs(byLoad) > 0.02) return byLoad;
  const byOtms = a.report.load.otms + a.pendingOtms - (b.report.load.otms + b.pendingOtms);
  if (byOtms !== 0) return byOtms;
  return a.report.nodeId < b.report.nodeId ? -1 : 1;
}
