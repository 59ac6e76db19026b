import type { ClusterState } from '../cluster/ClusterState.ts';
import type { NodeReport } from '../cluster/NodeReport.ts';
import { protocolOf } from '../cluster/NodeReport.ts';
import type { Logger } from '../log/Logger.ts';
import { SPOKEN_NODE_PROTOCOLS, utilizationOf } from './placement/NodeLoadTracker.ts';

/** The drain reason the defragmenter gives; only nodes it drained does it undrain. */
export const DEFRAGMENT_REASON = 'defragment: nearly empty, its streams moved so it can be turned off';
/** The lease (ClusterState) that lets one controller of the cluster defragment at a time. */
export const DEFRAGMENT_LEASE = 'defragment';

export interface DefragmentSettings {
  intervalMs: number;
  /** Nearly empty: at most this many OTMs… */
  maxOtms: number;
  /** …and at most this share of its capacity in use. */
  maxUtilization: number;
  /** The other active nodes' mean utilization must stay at or below this after taking its load. */
  targetUtilization: number;
}

/** What the defragmenter does to nodes: NodeDrainer's commands. */
export interface NodeDrainCommands {
  drain(nodeId: string, options: { reason: string }): Promise<unknown>;
  undrain(nodeId: string): Promise<unknown>;
}

/**
 * Empties nearly empty nodes so that they can be turned off, and takes them back when the cluster
 * needs the capacity. Each look: only the holder of the cluster-wide lease acts; a node it drained
 * is undrained once the active nodes' mean utilization passes the target; otherwise, when no node it
 * drained is still emptying, the emptiest nearly empty node is drained if the others can take its
 * load within the target. At least one active node is always kept. Moving the streams is the drain's
 * make-before-break migration, done by every controller for the rooms it homes.
 */
export class Defragmenter {
  readonly #clusterState: ClusterState;
  readonly #commands: NodeDrainCommands;
  readonly #holder: string;
  readonly #settings: DefragmentSettings;
  readonly #log: Logger;

  constructor(options: {
    clusterState: ClusterState;
    commands: NodeDrainCommands;
    /** This controller's id: the lease's holder. */
    holder: string;
    settings: DefragmentSettings;
    log: Logger;
  }) {
    this.#clusterState = options.clusterState;
    this.#commands = options.commands;
    this.#holder = options.holder;
    this.#settings = options.settings;
    this.#log = options.log.child({ component: 'defragment' });
  }

  /** One look at the cluster; returns what it did (for tests and logs). */
  async tick(): Promise<{ drained?: string; undrained?: string; leader: boolean }> {
    const leaseMs = Math.max(3 * this.#settings.intervalMs, 1000);
    if (!(await this.#clusterState.acquireLease(DEFRAGMENT_LEASE, this.#holder, leaseMs)))
      return { leader: false };
    const nodes = await this.#clusterState.listNodes();
    const active = nodes.filter((n) => !n.draining && !n.drain && SPOKEN_NODE_PROTOCOLS.has(protocolOf(n)));
    const ours = nodes.filter((n) => n.drain?.reason === DEFRAGMENT_REASON);
    const utilization = (n: NodeReport) => utilizationOf(n, 0);
    const mean = (list: NodeReport[]) =>
      list.reduce((sum, n) => sum + utilization(n), 0) / Math.max(1, list.length);

    if (ours.length > 0 && (active.length === 0 || mean(active) > this.#settings.targetUtilization)) {
      const back = ours.sort((a, b) => a.load.otms - b.load.otms)[0]!;
      await this.#commands.undrain(back.nodeId);
      this.#log.info('cluster needs capacity: defragmented node taken back', {
        nodeId: back.nodeId,
        meanUtilization: round(mean(active)),
      });
      return { leader: true, undrained: back.nodeId };
    }
    // One node at a time: the last one must be empty before the next is chosen.
    if (ours.some((n) => n.load.otms > 0) || active.length < 2) return { leader: true };
    const nearlyEmpty = active
      .filter((n) => n.load.otms <= this.#settings.maxOtms && utilization(n) <= this.#settings.maxUtilization)
      .sort((a, b) => a.load.otms - b.load.otms || utilization(a) - utilization(b));
    for (const candidate of nearlyEmpty) {
      const others = active.filter((n) => n !== candidate);
      const projected =
        (others.reduce((sum, n) => sum + utilization(n), 0) + utilization(candidate)) / others.length;
      if (projected > this.#settings.targetUtilization) continue;
      await this.#commands.drain(candidate.nodeId, { reason: DEFRAGMENT_REASON });
      this.#log.info('defragmenting: draining a nearly empty node', {
        nodeId: candidate.nodeId,
        otms: candidate.load.otms,
        othersProjectedUtilization: round(projected),
      });
      return { leader: true, drained: candidate.nodeId };
    }
    return { leader: true };
  }

  /** Shutting down: another controller may take the job at once. */
  async close(): Promise<void> {
    await this.#clusterState.releaseLease(DEFRAGMENT_LEASE, this.#holder).catch(() => undefined);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
