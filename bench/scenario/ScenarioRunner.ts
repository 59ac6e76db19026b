import type { LoadGeneratorOptions } from '../loadgen/LoadGenerator.ts';
import { LoadgenProcess } from '../loadgen/LoadgenProcess.ts';
import { EventLoopProbeReader } from '../metrics/EventLoopProbeReader.ts';
import { sampleProcesses } from '../metrics/ProcessStats.ts';
import { RssSampler } from '../metrics/RssSampler.ts';
import type { BaselineProcess, BenchPoint, ScenarioName } from '../report/resultTypes.ts';
import type { Deployment } from './Deployment.ts';
import { memoryBreakdownMiB, PointMeasurement, round, type SaturationLimits } from './PointMeasurement.ts';

export interface ScenarioSettings {
  scenario: ScenarioName;
  /** Load levels to try, in order; the run stops at the first saturated one. */
  steps: number[];
  warmupSeconds: number;
  windowSeconds: number;
  setupConcurrency: number;
  limits: SaturationLimits;
  loadgen: LoadGeneratorOptions;
  probeDir: string;
  log: (line: string) => void;
}

/**
 * Runs one scenario on one deployment: a load generator process, a fresh room, then load levels
 * stepping up (joins are incremental: the room grows, nobody rejoins) with a warm-up and a
 * measurement window each, until a level saturates or the steps run out. Always ends the sessions,
 * the room and the load generator, even on failure.
 */
export async function runScenario(
  deployment: Deployment,
  settings: ScenarioSettings,
): Promise<{
  points: BenchPoint[];
  baselineProcesses: BaselineProcess[];
  loadgenPriorityRaised: boolean;
  error?: string;
}> {
  const points: BenchPoint[] = [];
  const baselineProcesses: BaselineProcess[] = [];
  const log = settings.log;
  const maxN = Math.max(...settings.steps);
  const publishersNeeded = settings.scenario === 'room' ? maxN : 1;
  const target = await deployment.openRoom(
    `bench-${settings.scenario}-${Date.now()}`,
    publishersNeeded,
    settings.loadgen.source.bitrateBps,
  );
  const loadgen = LoadgenProcess.start();
  const loadgenPriorityRaised = loadgen.priorityRaised;
  try {
    await loadgen.request({ op: 'init', target, options: settings.loadgen });
    await sleep(1000);
    const serverProcesses = await deployment.serverProcesses();
    const probes = new EventLoopProbeReader(settings.probeDir);
    const probed = deployment.hasEventLoopProbe
      ? await probes.collect(serverProcesses.map((p) => p.pid))
      : [];
    const sampled = sampleProcesses(serverProcesses.map((p) => p.pid));
    // Read like every point: the mean over a window, not one reading.
    const idle = new RssSampler(serverProcesses.map((p) => p.pid));
    await sleep(BASELINE_SECONDS * 1000);
    const baseline = idle.stop().meanBytes;
    for (const { pid, role } of serverProcesses) {
      const sample = probed.find((s) => s.pid === pid);
      baselineProcesses.push({
        role,
        pid,
        rssMiB: round((sampled.byPid.get(pid)?.rssBytes ?? 0) / 1048576, 1),
        memory: sample ? memoryBreakdownMiB(sample) : undefined,
      });
    }
    const measurement = new PointMeasurement(deployment, loadgen, probes, baseline);
    const growth = settings.scenario === 'room' ? new RoomGrowth() : new WebinarGrowth();
    for (const n of settings.steps) {
      const setupStarted = performance.now();
      await growth.growTo(n, loadgen, settings.setupConcurrency);
      const setupSeconds = (performance.now() - setupStarted) / 1000;
      await sleep(settings.warmupSeconds * 1000);
      let point: BenchPoint;
      let windows = 0;
      for (;;) {
        await measurement.begin();
        await sleep(settings.windowSeconds * 1000);
        point = await measurement.end(n, setupSeconds, settings.limits);
        windows++;
        // On a shared machine a busy neighbour can make a healthy point look saturated: measure again.
        if (!point.saturated || point.otherCpuCores < NOISY_CORES || windows > NOISY_RETRIES) break;
        log(`${describePoint(deployment.name, settings.scenario, point)}  (noisy: measuring again)`);
      }
      point.windows = windows;
      points.push(point);
      log(describePoint(deployment.name, settings.scenario, point));
      if (point.saturated) break;
    }
    return { points, baselineProcesses, loadgenPriorityRaised };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${deployment.name} ${settings.scenario}: FAILED: ${message.split('\n')[0]}`);
    return { points, baselineProcesses, loadgenPriorityRaised, error: message };
  } finally {
    await loadgen.close();
    await deployment.closeRoom().catch(() => undefined);
    // Let the server finish tearing the sessions down before the next run measures anything.
    await sleep(1500);
  }
}

const BASELINE_SECONDS = 2;

/** Other processes using more than this many cores make a saturated point suspect. */
const NOISY_CORES = 0.5;
const NOISY_RETRIES = 1;

interface Growth {
  growTo(n: number, loadgen: LoadgenProcess, concurrency: number): Promise<void>;
}

/** Figure 2's room: every participant publishes and watches every other participant. */
class RoomGrowth implements Growth {
  readonly #streams: Array<{ participant: string; streamId: string }> = [];

  async growTo(n: number, loadgen: LoadgenProcess, concurrency: number): Promise<void> {
    const existing = [...this.#streams];
    const joining = Array.from({ length: n - existing.length }, (_, i) => `p${existing.length + i + 1}`);
    if (joining.length <= 0) return;
    const { streamIds } = await loadgen.request({ op: 'publish', participants: joining, concurrency });
    const added = joining.map((participant, i) => ({ participant, streamId: streamIds[i]! }));
    this.#streams.push(...added);
    const pairs: Array<{ participant: string; streamId: string }> = [];
    // Newcomers watch everyone; everyone already there watches the newcomers.
    for (const viewer of added)
      for (const stream of this.#streams)
        if (stream.participant !== viewer.participant)
          pairs.push({ participant: viewer.participant, streamId: stream.streamId });
    for (const viewer of existing)
      for (const stream of added) pairs.push({ participant: viewer.participant, streamId: stream.streamId });
    await loadgen.request({ op: 'subscribe', pairs, concurrency });
  }
}

/** One publisher, n viewers. */
class WebinarGrowth implements Growth {
  #streamId: string | undefined;
  #viewers = 0;

  async growTo(n: number, loadgen: LoadgenProcess, concurrency: number): Promise<void> {
    if (this.#streamId === undefined) {
      const { streamIds } = await loadgen.request({
        op: 'publish',
        participants: ['speaker'],
        concurrency: 1,
      });
      this.#streamId = streamIds[0]!;
    }
    const streamId = this.#streamId;
    const pairs = Array.from({ length: n - this.#viewers }, (_, i) => ({
      participant: `v${this.#viewers + i + 1}`,
      streamId,
    }));
    if (pairs.length === 0) return;
    await loadgen.request({ op: 'subscribe', pairs, concurrency });
    this.#viewers = n;
  }
}

function describePoint(deployment: string, scenario: string, p: BenchPoint): string {
  const eld = p.eventLoopP99Ms === undefined ? '' : ` eld-p99 ${p.eventLoopP99Ms}ms`;
  return (
    `  ${deployment.padEnd(16)} ${scenario.padEnd(7)} n=${String(p.n).padStart(3)}` +
    ` cpu ${p.serverCpuCores.toFixed(2)} cores ${p.usCpuPerForwardedPacket.toFixed(1)} µs/pkt` +
    ` out ${p.packetsOutPerSecond} pps ${p.mbitsOutPerSecond} Mb/s loss ${p.lossPct}%${eld}` +
    ` loadgen ${p.loadgenCpuCores.toFixed(2)} cores, others ${p.otherCpuCores.toFixed(2)} cores${p.saturated ? `  SATURATED (${p.saturationReasons.join('; ')})` : ''}`
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
