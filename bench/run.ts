/**
 * The system benchmark: the seed paper's Figure 2 ("room") and a webinar, on dotm with every OTM on
 * one node (centralized), dotm on two nodes (distributed), and Janus's VideoRoom, in one run on one
 * machine, driven by a headless WebRTC load generator in its own process.
 *
 *   node bench/run.ts --help
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DotmDeployment } from './dotm/DotmDeployment.ts';
import { JanusDeployment } from './janus/JanusDeployment.ts';
import type { LoadGeneratorOptions } from './loadgen/LoadGenerator.ts';
import { DEFAULT_PACKET_SOURCE } from './loadgen/PacketSource.ts';
import { hostMediaIp } from './metrics/hostMediaIp.ts';
import { profileTable, summarizeCpuProfile } from './profile/summarizeCpuProfile.ts';
import { markdownReport } from './report/markdownReport.ts';
import type { BenchRun, DeploymentResult, ScenarioName, ScenarioResult } from './report/resultTypes.ts';
import { summarizeScenario } from './report/summarize.ts';
import { lineChartSvg } from './report/svgChart.ts';
import type { Deployment, DeploymentName } from './scenario/Deployment.ts';
import { runScenario } from './scenario/ScenarioRunner.ts';

const HELP = `Usage: node bench/run.ts [options]

Runs the "room" scenario (n participants, everyone publishes and watches everyone: the seed paper's
Figure 2) and the "webinar" scenario (1 publisher, n viewers) on dotm-centralized (1 node), dotm-distributed
(2 nodes) and Janus VideoRoom, stepping n up until loss > 1 % or a dotm worker's event-loop p99 > 50 ms.
Writes bench/results/<timestamp>.{md,json}, one SVG chart per scenario and bench/results/latest.json.

Options:
  --scenario <room|webinar|all>   default all
  --deployments <list>            comma-separated from dotm-centralized,dotm-distributed,janus (default all)
  --max-n <n>                     largest room (participants), default 16 (quick: 6)
  --max-viewers <n>               largest webinar (viewers), default 120 (quick: 20)
  --room-steps <list>             explicit room sizes, e.g. 2,4,8 (overrides --max-n)
  --webinar-steps <list>          explicit webinar sizes, e.g. 10,40 (overrides --max-viewers)
  --bitrate <rate>                per publisher, e.g. 3M, 2.5M, 800k (default 3M, the paper's)
  --duration <s>                  measurement window per point, default 5 (quick: 3)
  --warmup <s>                    settle time after each join step, default 2
  --workers <n>                   dotm worker processes per node, default 1
  --janus-event-loops <n>         Janus's event_loops (0 = its default: one thread per handle), default 0
  --max-loss <pct>                saturation: loss above this, default 1
  --max-eld <ms>                  saturation: worker event-loop p99 above this, default 50
  --cpu-prof                      write V8 CPU profiles of dotm's processes and add their top functions
                                  to the report (the profiler's own cost inflates the CPU figures)
  --quick                         a few small points per scenario (a minute or two)
  --out <dir>                     results folder, default bench/results
  -h, --help                      this text
`;

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    deployments: { type: 'string', default: 'dotm-centralized,dotm-distributed,janus' },
    'max-n': { type: 'string' },
    'max-viewers': { type: 'string' },
    'room-steps': { type: 'string' },
    'webinar-steps': { type: 'string' },
    bitrate: { type: 'string', default: '3M' },
    duration: { type: 'string' },
    warmup: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1' },
    'janus-event-loops': { type: 'string', default: '0' },
    'max-loss': { type: 'string', default: '1' },
    'max-eld': { type: 'string', default: '50' },
    'cpu-prof': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const quick = values.quick;
const maxN = Number(values['max-n'] ?? (quick ? 6 : 16));
const maxViewers = Number(values['max-viewers'] ?? (quick ? 20 : 120));
const roomSteps = values['room-steps'] ? parseList(values['room-steps']) : roomSizes(maxN);
const webinarSteps = values['webinar-steps'] ? parseList(values['webinar-steps']) : webinarSizes(maxViewers);
const bitrateBps = parseRate(values.bitrate);
const windowSeconds = Number(values.duration ?? (quick ? 3 : 5));
const warmupSeconds = Number(values.warmup);
const workers = Number(values.workers);
const janusEventLoops = Number(values['janus-event-loops']);
const scenarios: ScenarioName[] =
  values.scenario === 'all' ? ['room', 'webinar'] : [values.scenario as ScenarioName];
for (const s of scenarios) if (s !== 'room' && s !== 'webinar') fail(`unknown scenario ${s}`);
const deploymentNames = values.deployments.split(',').map((d) => d.trim()) as DeploymentName[];
for (const d of deploymentNames)
  if (!['dotm-centralized', 'dotm-distributed', 'janus'].includes(d)) fail(`unknown deployment ${d}`);

const mediaIp = hostMediaIp();
const startedAt = new Date();
const stamp = startedAt
  .toISOString()
  .replace(/:/g, '-')
  .replace(/\.\d+Z$/, 'Z');
const outDir = values.out;
mkdirSync(outDir, { recursive: true });
const probeDir = mkdtempSync(join(tmpdir(), 'dotm-bench-probe-'));
const profileDir = values['cpu-prof'] ? join(outDir, `${stamp}-profiles`) : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const notes: string[] = [];
const janusAvailable = existsSync('/usr/bin/janus');
if (deploymentNames.includes('janus') && !janusAvailable) {
  notes.push(
    'Janus is not installed (/usr/bin/janus): the janus deployment was skipped and no ratio exists.',
  );
}

const loadgen: LoadGeneratorOptions = {
  bindAddress: mediaIp,
  source: { ...DEFAULT_PACKET_SOURCE, bitrateBps },
  pacingFactor: 2.5,
  tickMs: 5,
  recvBufferBytes: 4 * 1024 * 1024,
  connectTimeoutMs: 15_000,
};

const descriptions: Record<DeploymentName, string> = {
  'dotm-centralized': `dotm, 1 media node × ${workers} worker (every OTM on one node: the centralized MCU)`,
  'dotm-distributed': `dotm, 2 media nodes × ${workers} worker (OTMs spread by the controller: dOTM)`,
  janus: `Janus 1.1.2 (Debian) VideoRoom, ICE-lite, HTTP API, one PeerConnection per subscription, ${
    janusEventLoops > 0 ? `event_loops = ${janusEventLoops}` : 'one media thread per handle (default)'
  }`,
};

const COLORS: Record<DeploymentName, string> = {
  'dotm-centralized': '#d62728',
  'dotm-distributed': '#1f77b4',
  janus: '#2ca02c',
};

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function makeDeployment(name: DeploymentName): Deployment {
  if (name === 'janus') return new JanusDeployment(mediaIp, janusEventLoops);
  return new DotmDeployment({
    name,
    nodes: name === 'dotm-centralized' ? 1 : 2,
    workers,
    mediaIp,
    probeDir,
    cpuProfileDir: profileDir,
  });
}

log(
  `dotm benchmark: scenarios ${scenarios.join(', ')}; deployments ${deploymentNames.join(', ')}; ` +
    `${bitrateBps / 1e6} Mbit/s per publisher; window ${windowSeconds}s after ${warmupSeconds}s warm-up; media on ${mediaIp}`,
);
const loadStart = loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
// Janus is spawned, not forked: it would outlive an interrupted run. Stop what is running first.
let running: Deployment | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping ${running?.name ?? 'nothing'} and exiting`);
    const stopping = running?.stop() ?? Promise.resolve();
    stopping.finally(() => {
      rmSync(probeDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}
const results: ScenarioResult[] = [];
const profiledPids = new Map<number, string>();
for (const scenario of scenarios) {
  const steps = scenario === 'room' ? roomSteps : webinarSteps;
  log(`\n${scenario}: n = ${steps.join(', ')}`);
  const deploymentResults: DeploymentResult[] = [];
  for (const name of deploymentNames) {
    if (name === 'janus' && !janusAvailable) continue;
    const deployment = makeDeployment(name);
    running = deployment;
    const result: DeploymentResult = {
      deployment: name,
      description: descriptions[name],
      points: [],
      summary: emptySummary(),
    };
    try {
      await deployment.start();
      if (profileDir)
        for (const p of await deployment.serverProcesses())
          profiledPids.set(p.pid, `${name} ${scenario} ${p.role}`);
      const outcome = await runScenario(deployment, {
        scenario,
        steps,
        warmupSeconds,
        windowSeconds,
        setupConcurrency: 4,
        limits: {
          maxLossPct: Number(values['max-loss']),
          maxEventLoopP99Ms: Number(values['max-eld']),
          maxLoadgenCores: 0.9,
        },
        loadgen,
        probeDir,
        log,
      });
      result.points = outcome.points;
      result.baselineProcesses = outcome.baselineProcesses;
      result.loadgenPriorityRaised = outcome.loadgenPriorityRaised;
      if (outcome.error) result.error = outcome.error;
    } catch (error) {
      result.error = error instanceof Error ? error.message : String(error);
      log(`  ${name}: could not run: ${result.error}`);
    } finally {
      await deployment.stop().catch(() => undefined);
      running = undefined;
    }
    deploymentResults.push(result);
  }
  summarizeScenario(deploymentResults);
  results.push({
    scenario,
    description:
      scenario === 'room'
        ? 'one room of n participants, each publishes one camera (VP8 + Opus) and watches every other (Figure 2)'
        : 'one publisher, n viewers',
    deployments: deploymentResults,
  });
}

notes.push(
  'CPU is utime+stime from /proc/<pid>/stat of every server process (dotm: the controller+agents process and every worker; Janus: its one process), over the measurement window; the load generator runs in its own process and is not counted.',
  '"Forwarded packets" are RTP packets decrypted by the viewers (retransmissions included); loss is packets never received after NACK repair.',
  "dotm's workers do not report their event-loop delay: it is measured by a probe the benchmark preloads into them (NODE_OPTIONS=--import bench/dotm/eventLoopProbe.ts).",
  'Janus runs ICE-lite (like dotm) on the host address; Janus never gathers loopback, so dotm and the load generator use the same address.',
  "dotm runs as `npm start` runs it: MALLOC_ARENA_MAX=1 for the server process, and its defaults for the workers (node.workerV8Flags, node.workerMallocArenaMax); Janus runs as Debian packages it, with glibc's default arenas.",
  'RSS is the mean of readings every 250 ms over the window (the idle baseline: over 2 s); "peak" is the highest reading.',
  `The load generator runs at nice -10 when allowed (${
    results.every((r) => r.deployments.every((d) => d.loadgenPriorityRaised !== false))
      ? 'it was'
      : 'it was NOT, in some runs'
  }), so that on a busy machine (or against a server with a thread per PeerConnection) it is the server, not the load generator, that runs short of CPU.`,
  `The machine is shared: compare deployments by their ratio in this run, not by absolute times across runs.`,
);

const run: BenchRun = {
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  command: `node bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
  settings: {
    bitrateBps,
    windowSeconds,
    warmupSeconds,
    workersPerNode: workers,
    janusEventLoops,
    roomSteps,
    webinarSteps,
    maxLossPct: Number(values['max-loss']),
    maxEventLoopP99Ms: Number(values['max-eld']),
    keyframeBytes: DEFAULT_PACKET_SOURCE.keyframeBytes,
    keyframeIntervalMs: DEFAULT_PACKET_SOURCE.keyframeIntervalMs,
    videoPayloadBytes: DEFAULT_PACKET_SOURCE.maxVideoPayloadBytes,
    pacingFactor: loadgen.pacingFactor,
    cpuProfile: Boolean(profileDir),
  },
  machine: machineInfo(loadStart),
  scenarios: results,
  notes,
};

const charts: Record<string, string> = {};
for (const scenario of results) {
  const file = `${stamp}-${scenario.scenario}.svg`;
  writeFileSync(join(outDir, file), chartFor(scenario));
  charts[scenario.scenario] = file;
}
let markdown = markdownReport(run, charts);
if (profileDir) markdown += profileSection(profileDir);
writeFileSync(join(outDir, `${stamp}.json`), `${JSON.stringify(run, null, 2)}\n`);
writeFileSync(join(outDir, `${stamp}.md`), markdown);
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(latestOf(run, stamp), null, 2)}\n`);
rmSync(probeDir, { recursive: true, force: true });
log(`\n${summaryLines(run).join('\n')}`);
log(`\nwrote ${relative(process.cwd(), join(outDir, `${stamp}.md`))} (+ .json, charts, latest.json)`);

// ── helpers ──────────────────────────────────────────────────────────────────

function roomSizes(max: number): number[] {
  const sizes: number[] = [];
  for (let n = 2; n <= max; n += 2) sizes.push(n);
  if (sizes[sizes.length - 1] !== max && max >= 2) sizes.push(max);
  return sizes;
}

function webinarSizes(max: number): number[] {
  const base = quick ? [5, 10, 20] : [10, 20, 40, 80, 120, 160, 200, 300, 400];
  const sizes = base.filter((n) => n <= max);
  if (sizes[sizes.length - 1] !== max && max > 0) sizes.push(max);
  return sizes;
}

function parseList(text: string): number[] {
  return text.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) fail(`not a positive integer: ${s}`);
    return n;
  });
}

function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kKmM]?)/.exec(text.trim());
  if (!match) fail(`not a bit rate: ${text}`);
  const unit = match![2]!.toLowerCase();
  return Math.round(Number(match![1]) * (unit === 'm' ? 1e6 : unit === 'k' ? 1e3 : 1));
}

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}

function emptySummary(): DeploymentResult['summary'] {
  return {
    usCpuPerForwardedPacket: null,
    marginalUsPerForwardedPacket: null,
    janusRatio: null,
    janusRatioAtN: null,
    janusRatioByN: {},
    rssKiBPerSubscriber: null,
    rssPeakKiBPerSubscriber: null,
    marginalRssKiBPerSubscriber: null,
    lossPct: null,
    maxParticipantsBeforeSaturation: null,
    saturatedAtN: null,
    saturationReasons: [],
  };
}

function machineInfo(loadAverageStart: string): Record<string, unknown> {
  const tryRun = (file: string, args: string[]) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  const dirty = tryRun('git', ['status', '--porcelain', '--', 'src']);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    // janus --version exits non-zero after printing.
    janus: janusAvailable
      ? (spawnSync('/usr/bin/janus', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'unknown')
      : 'not installed',
    gitCommit: tryRun('git', ['rev-parse', '--short', 'HEAD']),
    srcUncommittedFiles: dirty === 'unknown' || dirty === '' ? 0 : dirty.split('\n').length,
    loadAverageStart,
    loadAverageEnd: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    mediaIp,
  };
}

function chartFor(scenario: ScenarioResult): string {
  return lineChartSvg(
    scenario.deployments.map((d) => ({
      name: d.deployment,
      color: COLORS[d.deployment],
      points: d.points.map((p) => ({ x: p.n, y: p.serverCpuCores * 100, marked: p.saturated })),
    })),
    {
      title:
        scenario.scenario === 'room'
          ? 'Server CPU vs room size (everyone publishes and watches everyone)'
          : 'Server CPU vs webinar viewers (1 publisher)',
      subtitle: `${bitrateBps / 1e6} Mbit/s per publisher, ${cpus().length} cores, ${startedAt.toISOString()}`,
      xLabel: scenario.scenario === 'room' ? 'participants' : 'viewers',
      yLabel: 'server CPU (% of one core)',
    },
  );
}

function latestOf(bench: BenchRun, id: string): unknown {
  const scenariosOut: Record<string, unknown> = {};
  for (const scenario of bench.scenarios) {
    const deployments: Record<string, unknown> = {};
    for (const d of scenario.deployments)
      deployments[d.deployment] = {
        points: d.points,
        summary: d.summary,
        ...(d.error ? { error: d.error } : {}),
      };
    scenariosOut[scenario.scenario] = deployments;
  }
  return {
    run: id,
    startedAt: bench.startedAt,
    command: bench.command,
    machine: bench.machine,
    settings: bench.settings,
    scenarios: scenariosOut,
  };
}

function summaryLines(bench: BenchRun): string[] {
  const lines = [
    'summary (µs server CPU per forwarded packet at the top unsaturated n; ratio to Janus at the same n):',
  ];
  for (const scenario of bench.scenarios) {
    for (const d of scenario.deployments) {
      const s = d.summary;
      lines.push(
        `  ${scenario.scenario.padEnd(8)} ${d.deployment.padEnd(17)} ${
          s.usCpuPerForwardedPacket === null ? '–' : `${s.usCpuPerForwardedPacket.toFixed(1)} µs`
        }  ratio ${s.janusRatio === null ? '–' : `${s.janusRatio.toFixed(2)} (n=${s.janusRatioAtN})`}  ` +
          `RSS ${s.rssKiBPerSubscriber ?? '–'} KiB/sub (peak ${s.rssPeakKiBPerSubscriber ?? '–'}, marginal ${s.marginalRssKiBPerSubscriber ?? '–'})  loss ${s.lossPct ?? '–'}%  max n ${s.maxParticipantsBeforeSaturation ?? '–'}` +
          `${s.saturatedAtN === null ? '' : `  saturated at ${s.saturatedAtN}: ${s.saturationReasons.join('; ')}`}${d.error ? '  ERROR' : ''}`,
      );
    }
  }
  return lines;
}

function profileSection(dir: string): string {
  const lines = ['', '## CPU profiles (--cpu-prof)', ''];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(file)?.[1]);
    const role = profiledPids.get(pid) ?? 'unknown process';
    const summary = summarizeCpuProfile(join(dir, file), 25);
    if (summary.totalMs < 500) continue;
    lines.push(
      `### ${role} (pid ${pid}, ${summary.totalMs} ms sampled) — ${file}`,
      '',
      profileTable(summary),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
