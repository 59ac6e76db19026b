/** What a media node tells the cluster about itself on every heartbeat. */
export interface NodeReport {
  nodeId: string;
  region: string;
  /** Base URL of the node's HTTP endpoints (WHIP/WHEP and the controller-only internal API). */
  url: string;
  version: string;
  startedAt: number;
  reportedAt: number;
  /** Placement leaves the node out: it is being drained (see `drain`) or shutting down. */
  draining: boolean;
  /**
   * Set while an operator (or the controller's defragmenter) drains the node: controllers move its
   * OTMs elsewhere. Kept by the node itself, so every controller sees it and it survives a
   * controller crash; a restarted node process starts undrained.
   */
  drain?: NodeDrain;
  /**
   * Generation of the controller↔node wire protocol (internal API, events, WHIP/WHEP behaviour):
   * a controller places nothing on a node whose protocol it does not speak, so a rolling upgrade
   * can add nodes of the next generation before the controllers know it. Missing means 1 (nodes
   * older than the field).
   */
  protocol?: number;
  workers: number;
  load: NodeLoad;
  capacity: NodeCapacity;
}

export interface NodeDrain {
  /** Why, for the operator: e.g. "operator", "defragment: nearly empty". */
  reason: string;
  /** Also remove streams of WHIP-only publishers (OBS), which cannot be told to move. */
  force: boolean;
  since: number;
}

/** The wire-protocol generation this code speaks (see NodeReport.protocol). */
export const NODE_PROTOCOL = 1;

export function protocolOf(report: Pick<NodeReport, 'protocol'>): number {
  return typeof report.protocol === 'number' ? report.protocol : 1;
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
  /**
   * Memory of the OTMs' NACK caches, and the longest time one keeps packets for its viewers (3 RTTs
   * of its farthest viewer; see OtmForwarder). Optional: older nodes do not send them.
   */
  nackCacheBytes?: number;
  maxNackRetentionMs?: number;
}

export interface NodeCapacity {
  /** Packets in + out per second: configured, else from the measured cost per packet (see below). */
  maxPacketsPerSecond: number;
  /**
   * The node's measured CPU µs per packet (in + out), when it has carried enough traffic to tell;
   * maxPacketsPerSecond follows it unless node.maxPacketsPerSecond is set. Optional: older nodes.
   */
  measuredUsPerPacket?: number;
  /** 0 = unlimited. */
  maxSubscribers: number;
}
