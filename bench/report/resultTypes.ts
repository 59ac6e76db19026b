import type { DeploymentName } from '../scenario/Deployment.ts';

export type ScenarioName = 'room' | 'webinar';

/** One load level of one scenario on one deployment: the measurement window's figures. */
export interface BenchPoint {
  /** Room: participants (each publishes and watches everyone else). Webinar: viewers of one publisher. */
  n: number;
  publishers: number;
  subscribers: number;
  windowSeconds: number;
  /** Windows measured at this n: more than one when a saturated window coincided with a busy machine. */
  windows: number;
  setupSeconds: number;
  /** Server CPU over the window, in cores (1.0 = one core busy), user + system, all server processes. */
  serverCpuCores: number;
  serverCpuUserCores: number;
  serverCpuSystemCores: number;
  /** Server CPU seconds per RTP packet delivered to a viewer, in µs. */
  usCpuPerForwardedPacket: number;
  packetsInPerSecond: number;
  packetsOutPerSecond: number;
  mbitsOutPerSecond: number;
  /** Packets never received (after NACK repair) ÷ packets expected, over every viewer and SSRC, %. */
  lossPct: number;
  /** Packets missing on arrival (before retransmission) ÷ expected, %. */
  gapPct: number;
  nacksSent: number;
  plisSent: number;
  keyframesSent: number;
  /** Worst p99 event-loop delay among dotm's worker processes over the window, ms (undefined: Janus). */
  eventLoopP99Ms: number | undefined;
  eventLoopMaxMs: number | undefined;
  /** The controller+agents process (dotm). */
  controllerEventLoopP99Ms: number | undefined;
  serverRssBytes: number;
  rssKiBPerSubscriber: number;
  /** Kernel receive-buffer drops over the window on the server's sockets and on ours. */
  serverSocketDrops: number;
  loadgenSocketDrops: number;
  loadgenCpuCores: number;
  loadgenEventLoopP99Ms: number;
  /** dotm's own heartbeat figure, as a cross-check of ours. */
  serverReportedPacketsOutPerSecond: number | undefined;
  otmsPerNode: number[] | undefined;
  srtpErrors: number;
  closedClients: number;
  /**
   * CPU the rest of the machine used during the window (all busy CPU minus server minus load
   * generator), in cores: on a shared machine, how noisy this point was.
   */
  otherCpuCores: number;
  loadAverage1m: number;
  /** Negotiations retried by the load generator so far (cumulative). */
  setupRetries: number;
  /** Each server process over the window (dotm: controller+agents and every worker). */
  serverProcesses: Array<{
    role: string;
    pid: number;
    cpuCores: number;
    rssMiB: number;
    eventLoopP99Ms: number | undefined;
    eventLoopMaxMs: number | undefined;
    /** GC pause time per second of window, mark-compact count, longest pause (dotm processes). */
    gcMsPerSecond: number | undefined;
    gcMajorCount: number | undefined;
    gcMaxPauseMs: number | undefined;
    /** V8 heap in use and memory outside it (Buffers…), at the window's end (dotm processes). */
    heapUsedMiB: number | undefined;
    externalMiB: number | undefined;
  }>;
  saturated: boolean;
  saturationReasons: string[];
  /** What looked like saturation but is explained by the shared machine (see PointMeasurement). */
  noise: string[];
}

export interface BenchSummary {
  /** At the highest load that did not saturate. */
  usCpuPerForwardedPacket: number | null;
  /** Least-squares slope of server CPU against packets out over the unsaturated points, µs per packet. */
  marginalUsPerForwardedPacket: number | null;
  /** This deployment's µs per packet ÷ Janus's, at the highest n both reached unsaturated. */
  janusRatio: number | null;
  janusRatioAtN: number | null;
  janusRatioByN: Record<string, number>;
  rssKiBPerSubscriber: number | null;
  lossPct: number | null;
  /** The largest n measured without saturation (null when the first point saturated). */
  maxParticipantsBeforeSaturation: number | null;
  /** The n that saturated, and why; null when none did up to the largest n tried. */
  saturatedAtN: number | null;
  saturationReasons: string[];
}

export interface DeploymentResult {
  deployment: DeploymentName;
  description: string;
  points: BenchPoint[];
  summary: BenchSummary;
  /** Whether the load generator ran at nice -10 (false: not allowed, it competed as an equal). */
  loadgenPriorityRaised?: boolean;
  error?: string;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  description: string;
  deployments: DeploymentResult[];
}

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  command: string;
  settings: Record<string, unknown>;
  machine: Record<string, unknown>;
  scenarios: ScenarioResult[];
  notes: string[];
}
