import type { NodeReport } from './NodeReport.ts';

/**
 * Shared, expiring knowledge of the cluster's nodes. A node is present while it keeps reporting;
 * one that stops reporting for the TTL disappears by itself (that is how a crash is noticed).
 * Implementations: MemoryClusterState (one process) and, for several machines, a Redis one.
 */
export interface ClusterState {
  putNode(report: NodeReport, ttlMs: number): Promise<void>;
  removeNode(nodeId: string): Promise<void>;
  /** Live nodes only. */
  listNodes(): Promise<NodeReport[]>;
  /**
   * A cluster-wide lease under `name`, so that one controller at a time does a job (defragmenting):
   * true when `holder` holds it now (taken free, or renewed for another `ttlMs`), false while
   * someone else holds it. It lapses by itself when its holder stops renewing.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `holder` holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
  close(): Promise<void>;
}
