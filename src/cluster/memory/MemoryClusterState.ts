import type { ClusterState } from '../ClusterState.ts';
import type { NodeReport } from '../NodeReport.ts';

/** ClusterState for a single process (`dotm start`): a map with expiry times. */
export class MemoryClusterState implements ClusterState {
  readonly #nodes = new Map<string, { report: NodeReport; expiresAt: number }>();
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async putNode(report: NodeReport, ttlMs: number): Promise<void> {
    this.#nodes.set(report.nodeId, { report: structuredClone(report), expiresAt: this.#now() + ttlMs });
  }

  async removeNode(nodeId: string): Promise<void> {
    this.#nodes.delete(nodeId);
  }

  async listNodes(): Promise<NodeReport[]> {
    const now = this.#now();
    const live: NodeReport[] = [];
    for (const [nodeId, entry] of this.#nodes) {
      if (entry.expiresAt <= now) this.#nodes.delete(nodeId);
      else live.push(structuredClone(entry.report));
    }
    return live;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const lease = this.#leases.get(name);
    if (lease && lease.expiresAt > now && lease.holder !== holder) return false;
    this.#leases.set(name, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    if (this.#leases.get(name)?.holder === holder) this.#leases.delete(name);
  }

  async close(): Promise<void> {
    this.#nodes.clear();
    this.#leases.clear();
  }
}
