import type { NodeReport } from '../../../src/cluster/NodeReport.ts';
import { NodeLoadTracker } from '../../../src/controller/placement/NodeLoadTracker.ts';
import type { PlacementPolicy, PlacementRequest } from '../../../src/controller/placement/PlacementPolicy.ts';
import { nodeReport } from '../roomServiceRig.ts';

/** The controller's clock in these tests; reports are stamped before it unless a test says otherwise. */
export const NOW = 100_000;

/** A report sampled a second before the burst: it shows none of the burst's placements. */
export function report(nodeId: string, overrides: Parameters<typeof nodeReport>[1] = {}): NodeReport {
  return nodeReport(nodeId, { reportedAt: NOW - 1000, ...overrides });
}

/** Packets per second that make a default node (25 000 packets/s) `share` utilized. */
export function packets(share: number): { packetsOutPerSecond: number } {
  return { packetsOutPerSecond: share * 25_000 };
}

/**
 * Places `count` OTMs one after the other, as RoomService does (candidates from the tracker, the
 * choice reserved and confirmed), with no new report in between: the burst of joins.
 * Returns the chosen node ids, undefined where the policy found no node.
 */
export function burst(
  policy: PlacementPolicy,
  reports: readonly NodeReport[],
  count: number,
  request: PlacementRequest = { room: 'r' },
  tracker: NodeLoadTracker = new NodeLoadTracker(() => NOW),
): Array<string | undefined> {
  const chosen: Array<string | undefined> = [];
  for (let i = 0; i < count; i++) {
    const node = policy.choose(tracker.candidates(reports), request);
    chosen.push(node?.report.nodeId);
    if (node) tracker.reserve(node.report.nodeId).confirm();
  }
  return chosen;
}

/** How many times each node was chosen, in first-chosen order. */
export function tally(chosen: ReadonlyArray<string | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const nodeId of chosen) {
    const key = nodeId ?? 'none';
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
