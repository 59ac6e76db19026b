import type { ClusterState } from '../cluster/ClusterState.ts';

export interface NodeWatcherEvents {
  /** The node stopped reporting (its presence expired): its OTMs are gone. */
  onNodeLost(nodeId: string): Promise<void>;
  /** The node reports again under the same id from a new process: its OTMs are gone too. */
  onNodeRestarted(nodeId: string, startedAt: number): Promise<void>;
}

/**
 * Resource monitoring's failure detector: compares each look at the cluster's nodes with the last.
 * A node restarted within its presence TTL never disappears from the list, so the process start
 * time (`startedAt`) is compared as well.
 */
export class NodeWatcher {
  readonly #clusterState: ClusterState;
  readonly #events: NodeWatcherEvents;
  /** nodeId → startedAt of the process last seen. */
  readonly #known = new Map<string, number>();

  constructor(clusterState: ClusterState, events: NodeWatcherEvents) {
    this.#clusterState = clusterState;
    this.#events = events;
  }

  async check(): Promise<void> {
    const live = new Map((await this.#clusterState.listNodes()).map((n) => [n.nodeId, n.startedAt]));
    for (const [nodeId, startedAt] of [...this.#known]) {
      const now = live.get(nodeId);
      if (now === startedAt) continue;
      if (now === undefined) {
        this.#known.delete(nodeId);
        await this.#events.onNodeLost(nodeId);
      } else {
        this.#known.set(nodeId, now);
        await this.#events.onNodeRestarted(nodeId, now);
      }
    }
    for (const [nodeId, startedAt] of live) this.#known.set(nodeId, startedAt);
  }
}
