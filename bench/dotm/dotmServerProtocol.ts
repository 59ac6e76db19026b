/** IPC between the benchmark orchestrator and the dotm server process it forks. */

export interface DotmServerStartOptions {
  nodes: number;
  workers: number;
  /** The media nodes' rtcListenIp (and announced IP). */
  mediaIp: string;
}

export type DotmServerRequest = { op: 'status' } | { op: 'stop' };

export interface DotmNodeStatus {
  nodeId: string;
  workerPids: number[];
  otms: number;
  /** The node's own last load report (1 s heartbeat): a cross-check of the OS figures. */
  report:
    | {
        packetsInPerSecond: number;
        packetsOutPerSecond: number;
        bitrateOutBps: number;
        subscribers: number;
        otms: number;
        reportedAt: number;
      }
    | undefined;
}

export type DotmServerMessage =
  | { kind: 'ready'; controllerUrl: string; apiKey: string }
  | { kind: 'status'; serverPid: number; nodes: DotmNodeStatus[] }
  | { kind: 'stopped' };
