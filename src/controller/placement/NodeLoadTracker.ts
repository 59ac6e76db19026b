import { NODE_PROTOCOL, type NodeReport, protocolOf } from '../../cluster/NodeReport.ts';
import type { PlacementCandidate } from './PlacementPolicy.ts';

/** Until a node's next report shows it, each placed OTM is assumed to cost this share of a node's packet budget. */
const ASSUMED_PACKETS_PER_NEW_OTM = 1500;
/**
 * A placement no report has covered after this long is forgotten: the node's clock lags ours, or it
 * stopped reporting (then it is lost anyway). Many heartbeats long.
 */
const MAX_UNREPORTED_MS = 30_000;

/** A placement counted against its node from the moment the node is chosen. */
export interface PlacementReservation {
  /** The node created the OTM: it counts until a report made after now shows it. */
  confirm(): void;
  /** The node refused: it no longer counts. */
  cancel(): void;
}

/** The node wire-protocol generations this controller speaks (NodeReport.protocol). */
export const SPOKEN_NODE_PROTOCOLS: ReadonlySet<number> = new Set([NODE_PROTOCOL]);

export interface NodeLoadTrackerOptions {
  now?: () => number;
  spokenProtocols?: ReadonlySet<number>;
  /** Told each time a node is left out because this controller does not speak its protocol. */
  onUnspokenProtocol?: (report: NodeReport) => void;
}

interface PendingPlacement {
  /** Undefined while the node is still creating the OTM. */
  confirmedAt: number | undefined;
}

/**
 * Turns node reports into placement candidates: adds what this controller placed that the node's
 * last report cannot show yet, and leaves out nodes that are draining, at capacity, or speak a
 * wire protocol this controller does not (a newer node during a rolling upgrade).
 *
 * A placement counts from the moment its node is chosen (so concurrent publishes, which all read
 * the same reports, spread instead of piling onto one node) until a report stamped after the node
 * confirmed the OTM (so a report sampled just before the OTM existed does not make it vanish).
 */
export class NodeLoadTracker {
  readonly #pending = new Map<string, Set<PendingPlacement>>();
  readonly #now: () => number;
  readonly #spoken: ReadonlySet<number>;
  readonly #onUnspoken: ((report: NodeReport) => void) | undefined;

  constructor(options: NodeLoadTrackerOptions | (() => number) = {}) {
    const { now, spokenProtocols, onUnspokenProtocol } =
      typeof options === 'function' ? { now: options } : options;
    this.#now = now ?? (() => Date.now());
    this.#spoken = spokenProtocols ?? SPOKEN_NODE_PROTOCOLS;
    this.#onUnspoken = onUnspokenProtocol;
  }

  reserve(nodeId: string): PlacementReservation {
    const placement: PendingPlacement = { confirmedAt: undefined };
    let placements = this.#pending.get(nodeId);
    if (!placements) {
      placements = new Set();
      this.#pending.set(nodeId, placements);
    }
    placements.add(placement);
    const set = placements;
    return {
      confirm: () => {
        if (set.has(placement)) placement.confirmedAt = this.#now();
      },
      cancel: () => {
        set.delete(placement);
        if (set.size === 0 && this.#pending.get(nodeId) === set) this.#pending.delete(nodeId);
      },
    };
  }

  /** Placements on the node that its report does not show yet. */
  pendingOtms(report: NodeReport): number {
    const placements = this.#pending.get(report.nodeId);
    if (!placements) return 0;
    const now = this.#now();
    for (const placement of placements) {
      const { confirmedAt } = placement;
      if (confirmedAt === undefined) continue;
      // Strictly later: a report stamped in the same millisecond may have been sampled before.
      const reported = confirmedAt < report.reportedAt;
      if (reported || now - confirmedAt > MAX_UNREPORTED_MS) placements.delete(placement);
    }
    if (placements.size === 0) this.#pending.delete(report.nodeId);
    return placements.size;
  }

  /** The node is gone: what was placed on it went with it. */
  forgetNode(nodeId: string): void {
    this.#pending.delete(nodeId);
  }

  candidates(reports: readonly NodeReport[]): PlacementCandidate[] {
    const out: PlacementCandidate[] = [];
    for (const report of reports) {
      if (report.draining) continue;
      if (!this.#spoken.has(protocolOf(report))) {
        this.#onUnspoken?.(report);
        continue;
      }
      const pendingOtms = this.pendingOtms(report);
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
