/**
 * Messages between a node agent and one of its media worker processes (child_process IPC).
 * Requests carry an id and get exactly one reply; events are spontaneous.
 */

import type { ResourceEndpoint } from '../../media/otm/Otm.ts';
import type { WorkerRuntimeStats } from './WorkerRuntimeMonitor.ts';

export type WorkerRequest =
  | { op: 'createOtm'; streamId: string; room: string; publisherId: string }
  | { op: 'closeOtm'; streamId: string; reason: string }
  | { op: 'publish'; streamId: string; participantId: string; offer: string }
  | { op: 'subscribe'; streamId: string; participantId: string; offer: string }
  | {
      op: 'restartIce';
      streamId: string;
      resourceId: string;
      endpoint: ResourceEndpoint;
      sdpFragment: string;
    }
  | { op: 'deleteResource'; streamId: string; resourceId: string; endpoint: ResourceEndpoint }
  | { op: 'stats' };

export interface WorkerReplyMap {
  createOtm: Record<string, never>;
  closeOtm: Record<string, never>;
  publish: NegotiationResult;
  subscribe: NegotiationResult;
  restartIce: { sdpFragment: string };
  deleteResource: Record<string, never>;
  stats: WorkerStats;
}

export interface NegotiationResult {
  answer: string;
  resourceId: string;
}

/** Counters of the worker's OTMs and socket, plus its runtime's (event-loop delay, GC, memory). */
export interface WorkerStats extends WorkerRuntimeStats {
  otms: number;
  subscribers: number;
  /** Memory of the OTMs' NACK caches, and the longest time one keeps packets (0 without OTMs). */
  nackCacheBytes: number;
  maxNackRetentionMs: number;
  rtpPacketsIn: number;
  rtpPacketsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** process.cpuUsage() of the worker, µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  udpPort: number;
  droppedDatagrams: number;
}

export type WorkerEvent =
  | { event: 'publisherConnected'; streamId: string; hasAudio: boolean; hasVideo: boolean }
  | { event: 'publisherDisconnected'; streamId: string; reason: string }
  | { event: 'subscriberConnected'; streamId: string; participantId: string }
  | { event: 'subscriberDisconnected'; streamId: string; participantId: string; reason: string };

/** A failed request: `code` maps onto an HTTP status at the node's edge. */
export interface WorkerErrorBody {
  code: 'not-found' | 'bad-sdp' | 'conflict' | 'internal';
  message: string;
}

export type WorkerToAgent =
  | { kind: 'ready'; udpPort: number }
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WorkerErrorBody }
  | { kind: 'event'; body: WorkerEvent };

export type AgentToWorker = { kind: 'request'; id: number; body: WorkerRequest };

/** Passed to the worker at fork, as JSON in argv[2]. */
export interface WorkerStartOptions {
  index: number;
  /** The worker process's V8 flags (node.workerV8Flags): used to start it, not inside it. */
  v8Flags: string[];
  /** MALLOC_ARENA_MAX for the worker process (node.workerMallocArenaMax; 0: as the environment sets it). */
  mallocArenaMax: number;
  listenIp: string;
  announcedIp: string;
  portRange: [number, number];
  udpBufferBytes: number;
  consentTimeoutMs: number;
  nackCachePackets: number;
  keyframeRequestIntervalMs: number;
  publisherMaxBitrateBps: number;
  publisherCongestionControl: 'transport-cc' | 'remb';
  logLevel: string;
}
