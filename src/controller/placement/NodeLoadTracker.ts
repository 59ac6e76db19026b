import type { NodeReport } from '../../cluster/NodeReport.ts';
import type { PlacementCandidate } from './PlacementPolicy.ts';

/** Until a node's next report shows it, each placed OTM is assumed to cost this share of a node's packet budget. */
const ASSUMED_PACKETS_PER_NEW_OTM = 1500;

/**
 * Turns node reports into placement candidates: adds what this controller placed since each
 * node's last report, and leaves out nodes that are draining or at capacity.
 */
export class NodeLoadTracker {
  readonly #placedSince = new Map<string, { reportedAt: number; count: number }>();

  notePlaced(nodeId: string, reportedAt: number): void {
    const entry = this.#placedSince.get(nodeId);
    if (entry && entry.reportedAt === reportedAt) entry.count++;
    else this.#placedSince.set(nodeId, { reportedAt, count: 1 });
  }

  candidates(reports: readonly NodeReport[]): PlacementCandidate[] {
    const out: PlacementCandidate[] = [];
    for (const report of reports) {
      if (report.draining) continue;
      const entry = this.#placedSince.get(report.nodeId);
      const pendingOtms = entry && entry.reportedAt === report.reportedAt ? entry.count : 0;
      const utilization = utilizationOf(report, pendingOtms);
      if (utilization >= 1) continue;
      out.push({ report, pendingOtms, utilization });
    }
    return out;
  }
}

export function utilizationOf(report: NodeReport, pendingOtms: number): number {
  const { load, capacity } = report;
  const packets =
    load.packetsOutPerSecond + load.packetsInPerSecond + pendingOtms * ASSUMED_PACKETS_PER_NEW_OTM;
  const byPackets = capacity.maxPacketsPerSecond > 0 ? packets / capacity.maxPacketsPerSecond : 0;
  const bySubscribers = capacity.maxSubscribers > 0 ? load.subscribers / capacity.maxSubscribers : 0;
  return Math.max(load.cpu, byPackets, bySubscribers);
}
