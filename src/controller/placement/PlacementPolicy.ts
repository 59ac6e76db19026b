import type { NodeReport } from '../../cluster/NodeReport.ts';

/** A node as placement sees it: its last report plus what was placed on it since. */
export interface PlacementCandidate {
  report: NodeReport;
  /** OTMs placed on the node after its last report (a burst of joins must not all land on one node). */
  pendingOtms: number;
  /** Estimated share of capacity in use, 0..1+, including the pending OTMs. */
  utilization: number;
}

export interface PlacementRequest {
  /** Region of the publisher, when known. */
  region?: string;
  room: string;
}

/** The candidate that `compare` orders first (negative: `a` before `b`); undefined when there is none. */
export function bestCandidate(
  candidates: Iterable<PlacementCandidate>,
  compare: (a: PlacementCandidate, b: PlacementCandidate) => number,
): PlacementCandidate | undefined {
  let best: PlacementCandidate | undefined;
  for (const candidate of candidates) if (!best || compare(candidate, best) < 0) best = candidate;
  return best;
}

/** Chooses the node for a new OTM; undefined means no node can take it. One file per policy. */
export interface PlacementPolicy {
  readonly name: string;
  choose(
    candidates: readonly PlacementCandidate[],
    request: PlacementRequest,
  ): PlacementCandidate | undefined;
}
