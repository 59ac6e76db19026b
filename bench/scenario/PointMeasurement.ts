import type { LoadStats } from '../loadgen/LoadGenerator.ts';
import type { LoadgenProcess } from '../loadgen/LoadgenProcess.ts';
import type { EventLoopProbeReader, EventLoopSample } from '../metrics/EventLoopProbeReader.ts';
import { loadAverage1m, machineBusySeconds } from '../metrics/MachineCpu.ts';
import { type ProcessSample, sampleProcess } from '../metrics/ProcessStats.ts';
import { RssSampler } from '../metrics/RssSampler.ts';
import { udpDropsByPort } from '../metrics/UdpSocketDrops.ts';
import type { BenchPoint, ProcessMemoryBreakdown } from '../report/resultTypes.ts';
import type { Deployment } from './Deployment.ts';

export interface SaturationLimits {
  maxLossPct: number;
  maxEventLoopP99Ms: number;
  /**
   * The load generator is one JavaScript thread: near a full core it can no longer receive everything,
   * and what it measures is itself. Points past this are flagged and end the stepping.
   */
  maxLoadgenCores: number;
}

interface Snapshot {
  atMs: number;
  machineBusySeconds: number;
  load: LoadStats;
  processes: Map<number, ProcessSample & { role: string }>;
  drops: Map<number, number>;
}

/**
 * One measurement window: snapshots of the OS accounting (server processes, socket drops), the load
 * generator's counters and the event-loop probes at its start and end, and the figures between them.
 * CPU is summed only over processes present at both ends (a worker respawned mid-window would
 * otherwise count its whole life).
 */
export class PointMeasurement {
  readonly #deployment: Deployment;
  readonly #loadgen: LoadgenProcess;
  readonly #probes: EventLoopProbeReader;
  readonly #baselineRssBytes: number;
  #start: Snapshot | undefined;
  #rss: RssSampler | undefined;

  constructor(
    deployment: Deployment,
    loadgen: LoadgenProcess,
    probes: EventLoopProbeReader,
    baselineRssBytes: number,
  ) {
    this.#deployment = deployment;
    this.#loadgen = loadgen;
    this.#probes = probes;
    this.#baselineRssBytes = baselineRssBytes;
  }

  async begin(): Promise<void> {
    const processes = await this.#deployment.serverProcesses();
    if (this.#deployment.hasEventLoopProbe) await this.#probes.mark(processes.map((p) => p.pid));
    await this.#loadgen.request({ op: 'resetEventLoop' });
    this.#start = await this.#snapshot();
    this.#rss = new RssSampler(processes.map((p) => p.pid));
  }

  async end(n: number, setupSeconds: number, limits: SaturationLimits): Promise<BenchPoint> {
    const start = this.#start;
    const rssSampler = this.#rss;
    if (!start || !rssSampler) throw new Error('end() before begin()');
    const rssReading = rssSampler.stop();
    const processes = await this.#deployment.serverProcesses();
    const eventLoop = this.#deployment.hasEventLoopProbe
      ? await this.#probes.collect(processes.map((p) => p.pid))
      : [];
    const end = await this.#snapshot();
    const view = await this.#deployment.serverSideView();
    const seconds = (end.atMs - start.atMs) / 1000;

    let user = 0;
    let system = 0;
    const cpuByProcess: BenchPoint['serverProcesses'] = [];
    for (const [pid, after] of end.processes) {
      const before = start.processes.get(pid);
      if (!before) continue;
      const processUser = after.userSeconds - before.userSeconds;
      const processSystem = after.systemSeconds - before.systemSeconds;
      user += processUser;
      system += processSystem;
      const loop = eventLoop.find((sample) => sample.pid === pid);
      cpuByProcess.push({
        role: after.role,
        pid,
        cpuCores: round((processUser + processSystem) / seconds, 3),
        rssMiB: round(after.rssBytes / 1048576, 1),
        eventLoopP99Ms: loop ? round(loop.p99Ms, 1) : undefined,
        eventLoopMaxMs: loop ? round(loop.maxMs, 1) : undefined,
        gcMsPerSecond: loop?.gc ? round((loop.gc.minorMs + loop.gc.majorMs) / seconds, 1) : undefined,
        gcMajorCount: loop?.gc?.majorCount,
        gcMaxPauseMs: loop?.gc ? round(loop.gc.maxPauseMs, 1) : undefined,
        heapUsedMiB: loop?.memory ? round(loop.memory.heapUsed / 1048576, 1) : undefined,
        externalMiB: loop?.memory ? round(loop.memory.external / 1048576, 1) : undefined,
        memory: loop?.memoryDetail ? memoryBreakdownMiB(loop) : undefined,
      });
    }
    const a = start.load;
    const b = end.load;
    const forwarded = b.receivedRtpPackets - a.receivedRtpPackets;
    const expected = b.expected - a.expected;
    const distinct = b.distinct - a.distinct;
    const loadgenPorts = new Set(b.udpPorts);
    const serverPorts = new Set(b.serverPorts);
    const dropsDelta = (ports: Set<number>) => {
      let total = 0;
      for (const port of ports) total += (end.drops.get(port) ?? 0) - (start.drops.get(port) ?? 0);
      return total;
    };
    const kiBPerSubscriber = (rssBytes: number) =>
      b.subscribers > 0 ? round((rssBytes - this.#baselineRssBytes) / 1024 / b.subscribers, 1) : 0;
    const workerLoops = eventLoop.filter((s) => end.processes.get(s.pid)?.role.startsWith('worker'));
    const controllerLoop = eventLoop.find((s) => end.processes.get(s.pid)?.role === 'controller+agents');
    const point: BenchPoint = {
      n,
      publishers: b.publishers,
      subscribers: b.subscribers,
      windowSeconds: round(seconds, 2),
      windows: 1,
      setupSeconds: round(setupSeconds, 1),
      serverCpuCores: round((user + system) / seconds, 3),
      serverCpuUserCores: round(user / seconds, 3),
      serverCpuSystemCores: round(system / seconds, 3),
      usCpuPerForwardedPacket: forwarded > 0 ? round(((user + system) * 1e6) / forwarded, 2) : 0,
      packetsInPerSecond: round((b.sentRtpPackets - a.sentRtpPackets) / seconds, 0),
      packetsOutPerSecond: round(forwarded / seconds, 0),
      mbitsOutPerSecond: round(((b.receivedRtpBytes - a.receivedRtpBytes) * 8) / seconds / 1e6, 2),
      // Retransmissions that fill gaps from before the window can make the difference slightly negative.
      lossPct: expected > 0 ? Math.max(0, round(((expected - distinct) / expected) * 100, 3)) : 0,
      gapPct: expected > 0 ? round(((b.gapPackets - a.gapPackets) / expected) * 100, 3) : 0,
      nacksSent: b.nacksSent - a.nacksSent,
      plisSent: b.plisSent - a.plisSent,
      keyframesSent: b.keyframesSent - a.keyframesSent,
      eventLoopP99Ms:
        workerLoops.length > 0 ? round(Math.max(...workerLoops.map((s) => s.p99Ms)), 1) : undefined,
      eventLoopMaxMs:
        workerLoops.length > 0 ? round(Math.max(...workerLoops.map((s) => s.maxMs)), 1) : undefined,
      controllerEventLoopP99Ms: controllerLoop ? round(controllerLoop.p99Ms, 1) : undefined,
      serverRssBytes: rssReading.meanBytes,
      serverRssPeakBytes: rssReading.peakBytes,
      rssKiBPerSubscriber: kiBPerSubscriber(rssReading.meanBytes),
      rssPeakKiBPerSubscriber: kiBPerSubscriber(rssReading.peakBytes),
      serverSocketDrops: dropsDelta(serverPorts),
      loadgenSocketDrops: dropsDelta(loadgenPorts),
      loadgenCpuCores: round(
        (b.cpuUserMicros + b.cpuSystemMicros - a.cpuUserMicros - a.cpuSystemMicros) / 1e6 / seconds,
        3,
      ),
      loadgenEventLoopP99Ms: round(b.eventLoopP99Ms, 1),
      serverReportedPacketsOutPerSecond:
        view?.reportedPacketsOutPerSecond === undefined
          ? undefined
          : round(view.reportedPacketsOutPerSecond, 0),
      otmsPerNode: view?.otmsPerNode,
      srtpErrors: b.srtpErrors - a.srtpErrors,
      closedClients: b.closedClients,
      setupRetries: b.setupRetries,
      otherCpuCores: round(
        (end.machineBusySeconds - start.machineBusySeconds) / seconds -
          (user + system) / seconds -
          (b.cpuUserMicros + b.cpuSystemMicros - a.cpuUserMicros - a.cpuSystemMicros) / 1e6 / seconds,
        2,
      ),
      loadAverage1m: round(loadAverage1m(), 2),
      serverProcesses: cpuByProcess,
      saturated: false,
      saturationReasons: [],
      noise: [],
    };
    if (point.lossPct > limits.maxLossPct)
      point.saturationReasons.push(`loss ${point.lossPct}% > ${limits.maxLossPct}%`);
    if (point.eventLoopP99Ms !== undefined && point.eventLoopP99Ms > limits.maxEventLoopP99Ms) {
      // The least delayed dotm process (the nearly idle controller+agents process, or an idle worker) is
      // the control: what it suffers is the machine's scheduling delay, not the worker's own load.
      const control = Math.min(...eventLoop.map((sample) => sample.p99Ms));
      if (point.eventLoopP99Ms - control > limits.maxEventLoopP99Ms / 2)
        point.saturationReasons.push(
          `worker event-loop p99 ${point.eventLoopP99Ms} ms > ${limits.maxEventLoopP99Ms} ms (least delayed dotm process: ${round(control, 1)} ms)`,
        );
      else
        point.noise.push(
          `worker event-loop p99 ${point.eventLoopP99Ms} ms, but the least delayed dotm process had ${round(control, 1)} ms: machine scheduling delay, not counted`,
        );
    }
    if (point.loadgenCpuCores > limits.maxLoadgenCores)
      point.saturationReasons.push(`load generator at ${point.loadgenCpuCores} cores (its own limit)`);
    if (point.loadgenSocketDrops > 0)
      point.saturationReasons.push(`load generator sockets dropped ${point.loadgenSocketDrops} datagrams`);
    if (point.closedClients > 0)
      point.saturationReasons.push(
        `${point.closedClients} session(s) died: ${Object.entries(b.closedReasons)
          .map(([reason, count]) => `${count}× ${reason}`)
          .join(', ')}`,
      );
    point.saturated = point.saturationReasons.length > 0;
    return point;
  }

  async #snapshot(): Promise<Snapshot> {
    const load = await this.#loadgen.request({ op: 'stats' });
    const processes = new Map<number, ProcessSample & { role: string }>();
    for (const { pid, role } of await this.#deployment.serverProcesses()) {
      const sample = sampleProcess(pid);
      if (sample) processes.set(pid, { ...sample, role });
    }
    return {
      atMs: performance.now(),
      machineBusySeconds: machineBusySeconds(),
      load,
      processes,
      drops: udpDropsByPort(),
    };
  }
}

/** The probe's memory figures of one process, MiB (see ProcessMemoryBreakdown). */
export function memoryBreakdownMiB(sample: EventLoopSample): ProcessMemoryBreakdown | undefined {
  const detail = sample.memoryDetail;
  const memory = sample.memory;
  if (!detail || !memory) return undefined;
  const mib = (bytes: number | undefined) => round((bytes ?? 0) / 1048576, 1);
  const spaces: Record<string, number> = {};
  let heapPhysical = 0;
  for (const [space, bytes] of Object.entries(detail.heapSpacesPhysical)) {
    spaces[space.replace(/_space$/, '')] = mib(bytes);
    heapPhysical += bytes;
  }
  return {
    rss: mib(memory.rss),
    heapPhysical: mib(heapPhysical),
    heapSpaces: spaces,
    external: mib(memory.external),
    arrayBuffers: mib(memory.arrayBuffers),
    anonymous: mib(detail.smaps.Anonymous),
    fileBacked: mib((detail.smaps.Rss ?? 0) - (detail.smaps.Anonymous ?? 0)),
  };
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
