import type { ClusterState } from '../cluster/ClusterState.ts';
import type { NodeReport } from '../cluster/NodeReport.ts';

export interface NodeWatcherEvents {
  /** The node stopped reporting (its presence expired): its OTMs are gone. */
  onNodeLost(nodeId: string): Promise<void>;
  /** The node reports again under the same id from a new process: its OTMs are gone too. */
  onNodeRestarted(nodeId: string, startedAt: number): Promise<void>;
  /**
   * Asked before a node that vanished from the cluster state is declared lost: true when it still
   * answers (the state was wiped by a Redis restart, its next heartbeat will put it back).
   */
  stillAlive?(report: NodeReport): Promise<boolean>;
}

/**
 * Resource monitoring's failure detector: compares each look at the cluster's nodes with the last.
 * A node restarted within its presence TTL never disappears from the list, so the process start
 * time (`startedAt`) is compared as well.
 */
export class NodeWatcher {
  readonly #clusterState: ClusterState;
  readonly #events: NodeWatcherEvents;
  /** nodeId → the last report seen of it. */
  readonly #known = new Map<string, NodeReport>();

  constructor(clusterState: ClusterState, events: NodeWatcherEvents) {
    this.#clusterState = clusterState;
    this.#events = events;
  }

  /** `nodes`: the live nodes when the caller has just listed them (else they are listed here). */
  async check(nodes?: readonly NodeReport[]): Promise<void> {
    const live = new Map((nodes ?? (await this.#clusterState.listNodes())).map((n) => [n.nodeId, n]));
    for (const [nodeId, known] of [...this.#known]) {
      const now = live.get(nodeId);
      if (now?.startedAt === known.startedAt) continue;
      if (now === undefined) {
        if (await this.#stillAlive(known)) continue;
        this.#known.delete(nodeId);
        await this.#events.onNodeLost(nodeId);
      } else {
        this.#known.set(nodeId, now);
        await this.#events.onNodeRestarted(nodeId, now.startedAt);
      }
    }
    for (const [nodeId, report] of live) this.#known.set(nodeId, report);
  }

  async #stillAlive(report: NodeReport): Promise<boolean> {
    if (!this.#events.stillAlive) return false;
    try {
      return await this.#events.stillAlive(report);
    } catch {
      return false;
    }
  }
}
