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
  close(): Promise<void>;
}
