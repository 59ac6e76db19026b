/** What a media node tells the cluster about itself on every heartbeat. */
export interface NodeReport {
  nodeId: string;
  region: string;
  /** Base URL of the node's HTTP endpoints (WHIP/WHEP and the controller-only internal API). */
  url: string;
  version: string;
  startedAt: number;
  reportedAt: number;
  draining: boolean;
  workers: number;
  load: NodeLoad;
  capacity: NodeCapacity;
}

export interface NodeLoad {
  /** Share of the node's CPU in use by its processes, 0..1 (1 = all cores busy). */
  cpu: number;
  memoryRssBytes: number;
  bitrateInBps: number;
  bitrateOutBps: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  otms: number;
  subscribers: number;
  /**
   * The worst worker event-loop delay since the last report (p99 and max, ms): what media packets
   * waited before being forwarded. Optional: nodes of an older version do not send it.
   */
  eventLoopDelayP99Ms?: number;
  eventLoopDelayMaxMs?: number;
}

export interface NodeCapacity {
  maxPacketsPerSecond: number;
  /** 0 = unlimited. */
  maxSubscribers: number;
}
