import { leastLoaded } from './leastLoaded.ts';
import { utilizationOf } from './NodeLoadTracker.ts';
import { bestCandidate, type PlacementCandidate, type PlacementPolicy } from './PlacementPolicy.ts';

export interface PackOptions {
  /** Share of capacity (0..1] a node is filled to; the rest absorbs growth of the rooms already there. */
  headroom?: number;
}

export const DEFAULT_PACK_HEADROOM = 0.8;

/**
 * Fills nodes before opening new ones, so idle nodes stay idle and can be scaled down: the most
 * utilized node that stays within the headroom after one more OTM (pending placements included, so
 * a burst of joins cannot overfill it); ties go to fewer pending placements, then the node id.
 * When no node can take one more OTM within the headroom, least-loaded among those still below
 * capacity: streams are better spread over the last room the cluster has than refused.
 */
export function pack(options: PackOptions = {}): PlacementPolicy {
  const headroom = options.headroom ?? DEFAULT_PACK_HEADROOM;
  return {
    name: 'pack',
    choose(candidates, request) {
      const withinHeadroom = candidates.filter(
        (candidate) => utilizationOf(candidate.report, candidate.pendingOtms + 1) <= headroom,
      );
      return bestCandidate(withinHeadroom, compare) ?? leastLoaded.choose(candidates, request);
    },
  };
}

function compare(a: PlacementCandidate, b: PlacementCandidate): number {
  if (a.utilization !== b.utilization) return b.utilization - a.utilization;
  if (a.pendingOtms !== b.pendingOtms) return a.pendingOtms - b.pendingOtms;
  return a.report.nodeId < b.report.nodeId ? -1 : 1;
}
