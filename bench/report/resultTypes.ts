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
  /** Summed RSS of the server processes, mean of the samples taken every 250 ms over the window. */
  serverRssBytes: number;
  /** The highest of those samples. */
  serverRssPeakBytes?: number;
  /** (serverRssBytes − the idle baseline) ÷ subscribers. */
  rssKiBPerSubscriber: number;
  /** The same from the peak sample: what a machine must hold at the worst moment of the window. */
  rssPeakKiBPerSubscriber?: number;
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
    /** Where this process's resident memory is, at the window's end (dotm processes). */
    memory?: ProcessMemoryBreakdown;
  }>;
  saturated: boolean;
  saturationReasons: string[];
  /** What looked like saturation but is explained by the shared machine (see PointMeasurement). */
  noise: string[];
}

/**
 * One dotm process's resident memory, MiB: V8's heap pages (per space), Buffers and other memory V8 is
 * told about (external, of which arrayBuffers), and the kernel's split into anonymous pages (heaps,
 * malloc arenas, stacks) and file-backed ones (the node binary and shared libraries).
 */
export interface ProcessMemoryBreakdown {
  rss: number;
  heapPhysical: number;
  heapSpaces: Record<string, number>;
  external: number;
  arrayBuffers: number;
  anonymous: number;
  fileBacked: number;
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
  /** From the mean RSS over the top point's window. */
  rssKiBPerSubscriber: number | null;
  /** From the highest RSS sample of that window. */
  rssPeakKiBPerSubscriber?: number | null;
  /**
   * Least-squares slope of server RSS against subscribers over the unsaturated points, KiB: the cost of
   * one more subscriber, beside rssKiBPerSubscriber (which also spreads one-time costs of the first
   * sessions over the top point's subscribers).
   */
  marginalRssKiBPerSubscriber?: number | null;
  lossPct: number | null;
  /** The largest n measured without saturation (null when the first point saturated). */
  maxParticipantsBeforeSaturation: number | null;
  /** The n that saturated, and why; null when none did up to the largest n tried. */
  saturatedAtN: number | null;
  saturationReasons: string[];
}

/** A server process before the scenario's first session: what rssKiBPerSubscriber subtracts. */
export interface BaselineProcess {
  role: string;
  pid: number;
  rssMiB: number;
  memory?: ProcessMemoryBreakdown;
}

export interface DeploymentResult {
  deployment: DeploymentName;
  description: string;
  /** The server processes at the idle baseline (before the scenario's first session). */
  baselineProcesses?: BaselineProcess[];
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
