import type { LoadTarget } from '../loadgen/loadgenProtocol.ts';

export type DeploymentName = 'dotm-centralized' | 'dotm-distributed' | 'janus';

/** Where the media went, as the server itself reports it (dotm only). */
export interface ServerSideView {
  /** OTMs per node, e.g. [4, 4] on two nodes. */
  otmsPerNode: number[];
  /** Sum of the nodes' own packets-out rate from their last heartbeat. */
  reportedPacketsOutPerSecond: number | undefined;
}

/** A server under test, as the scenario runner sees it. */
export interface Deployment {
  readonly name: DeploymentName;
  /** Whether its processes carry the event-loop probe (the saturation criterion needs it). */
  readonly hasEventLoopProbe: boolean;
  start(): Promise<void>;
  /** A fresh room for one scenario run. */
  openRoom(room: string, maxPublishers: number, bitrateBps: number): Promise<LoadTarget>;
  closeRoom(): Promise<void>;
  /** Every process whose CPU and memory count as the server's, now (workers can be respawned). */
  serverProcesses(): Promise<Array<{ pid: number; role: string }>>;
  serverSideView(): Promise<ServerSideView | undefined>;
  stop(): Promise<void>;
}
