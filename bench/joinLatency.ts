/**
 * Join latency in an idle cluster and in one loaded to ~70 % of its nodes' configured capacity
 * (issue 4): join request → first media packet (a headless werift participant) and click on Join →
 * first decoded frame (a Chromium meeting page).
 *
 *   node bench/joinLatency.ts --help
 *
 * Everything is real: a redis-server, a `dotm controller` process and three `dotm node` processes
 * on 127.0.0.2-4, each node given a capacity (node.maxPacketsPerSecond). The idle trials run
 * first; then the benchmark's load generator (bench/loadgen: headless WebRTC publishers and
 * subscribers, real ICE + DTLS-SRTP) publishes one camera per node and adds subscribers until the
 * controller's placement utilization of every node (utilizationOf, what placement decides on, read
 * from the nodes' reports) is at the target; the same trials run again under that load.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NodeReport } from '../src/cluster/NodeReport.ts';
import { utilizationOf } from '../src/controller/placement/NodeLoadTracker.ts';
import { chromiumAvailable, launchChromium } from '../test/support/chromium.ts';
import { FailoverCluster, poll } from './failover/FailoverCluster.ts';
import { type ChromiumJoin, runJoinTrials } from './failover/joinTrials.ts';
import { busySince, cpuTimes } from './failover/machineLoad.ts';
import { type Summary, summarize } from './failover/stats.ts';
import type { HeadlessJoinTiming } from './failover/weriftJoin.ts';
import type { LoadStats } from './loadgen/LoadGenerator.ts';
import { LoadgenProcess } from './loadgen/LoadgenProcess.ts';
import { DEFAULT_PACKET_SOURCE } from './loadgen/PacketSource.ts';

const HELP = `Usage: node bench/joinLatency.ts [options]

Measures join latency (headless werift: join request → first media packet; Chromium: click on
Join → first packet and first decoded frame) in an idle three-node cluster, then loads the nodes to
--load of their capacity with the load generator and measures again.
Writes <out>/joinLatency-latest.{json,md} and prints the markdown.

Options:
  --trials <n>      joins of each kind in each phase, default 10
  --load <share>    target placement utilization of every node, default 0.7
  --capacity <pps>  each node's node.maxPacketsPerSecond, default 6000 (what this 2-core machine
                    sustains for three nodes beside Chromium and the load generator)
  --bitrate <bps>   load publishers' bit rate, default 3000000 (the seed paper's camera)
  --out <dir>       default bench/results
  -h, --help        this text
`;

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10' },
    load: { type: 'string', default: '0.7' },
    capacity: { type: 'string', default: '6000' },
    bitrate: { type: 'string', default: '3000000' },
    out: { type: 'string', default: 'bench/results' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const TRIALS = Number(values.trials);
const TARGET = Number(values.load);
const CAPACITY = Number(values.capacity);
const BITRATE = Number(values.bitrate);
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const LOAD_ROOM = 'load';
const COMMAND = ['node bench/joinLatency.ts', ...process.argv.slice(2)].join(' ');
/** Utilization is read this many times, this far apart, and averaged: keyframes make single reports jumpy. */
const READINGS = 6;
const READING_MS = 500;

interface Phase {
  name: 'idle' | 'loaded';
  headless: HeadlessJoinTiming[];
  chromium: ChromiumJoin[];
  /** Placement utilization of each node sampled every second during the phase's trials. */
  utilization: Record<string, Summary>;
  machineBusyPercent: number;
  loadavg1m: number;
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) throw new Error('Chromium is missing (set DOTM_CHROMIUM or install chromium)');
  if (!(TRIALS >= 1 && TARGET > 0 && TARGET < 1 && CAPACITY > 0)) throw new Error('bad options; see --help');
  const startedAt = new Date();
  const cluster = await FailoverCluster.start(ADDRESSES, {
    DOTM_NODE_MAX_PACKETS_PER_SECOND: String(CAPACITY),
  });
  const browser = await launchChromium();
  const loadgen = LoadgenProcess.start();
  const phases: Phase[] = [];
  let load: Awaited<ReturnType<typeof loadTo>> | undefined;
  let exits: { name: string; code: number | string }[] = [];
  try {
    phases.push(await runPhase('idle', cluster, browser));
    load = await loadTo(cluster, loadgen);
    phases.push(await runPhase('loaded', cluster, browser));
    load.statsAfter = await loadgen.request({ op: 'stats' });
  } finally {
    await loadgen.close();
    await browser.close().catch(() => undefined);
    exits = await cluster.stop();
  }
  const result = {
    benchmark: 'joinLatency',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version },
    setup: {
      nodes: ADDRESSES.length,
      maxPacketsPerSecondPerNode: CAPACITY,
      targetUtilization: TARGET,
      loadPublisherBitrateBps: BITRATE,
      trialsPerKind: TRIALS,
    },
    load,
    phases: phases.map((phase) => ({
      ...phase,
      summary: {
        headlessJoinAnsweredMs: summarize(phase.headless.map((h) => h.joinAnsweredMs)),
        headlessFirstPacketMs: summarize(phase.headless.map((h) => h.firstPacketMs)),
        headlessFirstVideoPacketMs: summarize(phase.headless.map((h) => h.firstVideoPacketMs)),
        chromiumJoinedMs: summarize(phase.chromium.map((c) => c.joinedMs)),
        chromiumFirstPacketMs: summarize(phase.chromium.map((c) => c.firstPacketMs)),
        chromiumFirstFrameMs: summarize(phase.chromium.map((c) => c.firstFrameMs)),
      },
    })),
    processExits: exits,
  };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'joinLatency-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  const markdown = toMarkdown(result);
  writeFileSync(join(values.out, 'joinLatency-latest.md'), markdown);
  process.stdout.write(`\n${markdown}`);
}

async function runPhase(
  name: Phase['name'],
  cluster: FailoverCluster,
  browser: Awaited<ReturnType<typeof launchChromium>>,
): Promise<Phase> {
  log(`${name}: ${TRIALS} headless and ${TRIALS} Chromium joins`);
  const samples = new Map<string, number[]>();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const node of (await cluster.liveNodes()) ?? []) {
        const list = samples.get(node.nodeId) ?? [];
        list.push(utilizationOf(node, 0));
        samples.set(node.nodeId, list);
      }
      await sleep(1_000);
    }
  })();
  const cpu = cpuTimes();
  const { headless, chromiumJoins } = await runJoinTrials(cluster, browser, {
    room: `join-${name}`,
    trials: TRIALS,
    log,
  });
  const machineBusyPercent = busySince(cpu);
  sampling = false;
  await sampler;
  const utilization: Record<string, Summary> = {};
  for (const [nodeId, list] of samples) utilization[nodeId] = summarizeShares(list);
  return {
    name,
    headless,
    chromium: chromiumJoins,
    utilization,
    machineBusyPercent,
    loadavg1m: loadavg()[0]!,
  };
}

/**
 * One publisher per node (placement spreads them), then subscribers on each node's stream until
 * every node's placement utilization reaches the target: the count is computed from the node's
 * measured packets per subscriber, and topped up once after the reports settle.
 */
async function loadTo(cluster: FailoverCluster, loadgen: LoadgenProcess) {
  log(`loading every node to ${TARGET * 100} % of ${CAPACITY} packets/s`);
  await loadgen.request({
    op: 'init',
    target: {
      kind: 'dotm',
      controllerUrl: cluster.controller.url,
      apiKey: cluster.env.apiKey,
      room: LOAD_ROOM,
    },
    options: {
      bindAddress: '127.0.0.1',
      source: { ...DEFAULT_PACKET_SOURCE, bitrateBps: BITRATE },
      pacingFactor: 2.5,
      tickMs: 5,
      recvBufferBytes: 4 * 1024 * 1024,
      connectTimeoutMs: 15_000,
    },
  });
  const publishers = ADDRESSES.map((_, i) => `publisher-${i + 1}`);
  const { streamIds } = await loadgen.request({ op: 'publish', participants: publishers, concurrency: 3 });
  const view = await poll(
    'the load publishers live',
    async () => {
      const room = await cluster.room(LOAD_ROOM);
      return room && room.streams.filter((s) => s.live).length === streamIds.length ? room : undefined;
    },
    20_000,
  );
  const streamOfNode = new Map(view.streams.map((s) => [s.nodeId, s.streamId]));
  log(`publishers on ${[...streamOfNode.keys()].join(', ')}`);
  const subscribers = new Map<string, number>();
  let added = 0;
  for (let round = 0; round < 4; round++) {
    await sleep(3_000);
    const reading = await readUtilization(cluster);
    const pairs: Array<{ participant: string; streamId: string }> = [];
    for (const [nodeId, streamId] of streamOfNode) {
      const node = reading.nodes.find((n) => n.nodeId === nodeId);
      if (!node) continue;
      const subs = subscribers.get(nodeId) ?? 0;
      // Packets per second one more subscriber costs: the publisher's rate going out once more.
      const perSubscriber = node.packetsIn / Math.max(1, node.otms);
      const exact = ((TARGET - node.utilization) * CAPACITY) / Math.max(1, perSubscriber);
      const missing = Math.floor(exact);
      const count = round === 0 ? Math.floor(missing * 0.9) : Math.max(0, Math.round(exact));
      for (let i = 0; i < count; i++) pairs.push({ participant: `viewer-${++added}`, streamId });
      subscribers.set(nodeId, subs + Math.max(0, count));
    }
    log(
      `round ${round + 1}: ${reading.nodes.map((n) => `${n.nodeId} ${(n.utilization * 100).toFixed(0)} %`).join(', ')}` +
        (pairs.length > 0 ? `; adding ${pairs.length} subscribers` : ''),
    );
    if (pairs.length === 0) break;
    await loadgen.request({ op: 'subscribe', pairs, concurrency: 4 });
  }
  await sleep(3_000);
  const settled = await readUtilization(cluster);
  log(`loaded: ${settled.nodes.map((n) => `${n.nodeId} ${(n.utilization * 100).toFixed(0)} %`).join(', ')}`);
  return {
    publishers: publishers.length,
    subscribersPerNode: Object.fromEntries(subscribers),
    utilizationBeforeTrials: settled.nodes,
    statsAfter: undefined as LoadStats | undefined,
  };
}

/** Each node's placement utilization and packet rates, averaged over READINGS reports. */
async function readUtilization(cluster: FailoverCluster) {
  const sums = new Map<
    string,
    { utilization: number; packetsIn: number; packetsOut: number; otms: number; n: number }
  >();
  for (let i = 0; i < READINGS; i++) {
    for (const node of (await cluster.liveNodes()) ?? []) {
      const sum = sums.get(node.nodeId) ?? { utilization: 0, packetsIn: 0, packetsOut: 0, otms: 0, n: 0 };
      sum.utilization += utilizationOf(node as NodeReport, 0);
      sum.packetsIn += node.load.packetsInPerSecond;
      sum.packetsOut += node.load.packetsOutPerSecond;
      sum.otms = node.load.otms;
      sum.n++;
      sums.set(node.nodeId, sum);
    }
    await sleep(READING_MS);
  }
  return {
    nodes: [...sums].map(([nodeId, s]) => ({
      nodeId,
      utilization: s.utilization / s.n,
      packetsIn: Math.round(s.packetsIn / s.n),
      packetsOut: Math.round(s.packetsOut / s.n),
      otms: s.otms,
    })),
  };
}

/** Shares (0..1) summarized as percents. */
function summarizeShares(values: number[]): Summary {
  return summarize(values.map((v) => v * 100));
}

function toMarkdown(result: {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string };
  setup: { maxPacketsPerSecondPerNode: number; targetUtilization: number; loadPublisherBitrateBps: number };
  load: Awaited<ReturnType<typeof loadTo>> | undefined;
  phases: Array<Phase & { summary: Record<string, Summary> }>;
  processExits: { name: string; code: number | string }[];
}): string {
  const [idle, loaded] = result.phases;
  const cell = (s: Summary | undefined) => (s && s.n > 0 ? `${s.p50} / ${s.p95}` : '–');
  const row = (label: string, key: string, how: string) =>
    `| ${label} | ${cell(idle?.summary[key])} | ${cell(loaded?.summary[key])} | ${how} |`;
  const utilization = (phase: Phase | undefined) =>
    phase
      ? Object.entries(phase.utilization)
          .map(([nodeId, s]) => `${nodeId} ${s.p50} % (${s.min}–${s.max})`)
          .join(', ')
      : '–';
  const stats = result.load?.statsAfter;
  const lines = [
    `# Join latency, idle vs loaded cluster (${result.startedAt.slice(0, 19)}Z)`,
    '',
    `${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}. Redis + 1 controller + 3 node processes ` +
      `(1 worker each, node.maxPacketsPerSecond = ${result.setup.maxPacketsPerSecondPerNode}) on 127.0.0.2-4, ` +
      `all on this machine with Chromium and the load generator. \`${COMMAND}\`.`,
    '',
    `Load: the benchmark's load generator (headless WebRTC clients, ${result.setup.loadPublisherBitrateBps / 1e6} Mbit/s VP8+Opus ` +
      `publishers) with ${result.load?.publishers ?? 0} publishers (one per node) and ` +
      `${Object.values(result.load?.subscribersPerNode ?? {}).reduce((a, b) => a + b, 0)} subscribers ` +
      `(${Object.entries(result.load?.subscribersPerNode ?? {})
        .map(([n, c]) => `${n}: ${c}`)
        .join(', ')}), to a target placement utilization of ${result.setup.targetUtilization * 100} %.`,
    '',
    `Placement utilization during the trials (controller's utilizationOf over the node reports, sampled every second; p50 (min–max)):`,
    `- idle: ${utilization(idle)}`,
    `- loaded: ${utilization(loaded)}`,
    '',
    `Machine CPU busy during the trials: idle ${idle?.machineBusyPercent ?? '?'} %, loaded ${loaded?.machineBusyPercent ?? '?'} %.`,
    stats
      ? `Load generator at the end: ${stats.publishers} publishers, ${stats.subscribers} subscribers, ` +
        `${stats.closedClients} closed, loss ${stats.expected > 0 ? (((stats.expected - stats.distinct) / stats.expected) * 100).toFixed(2) : '?'} % of expected packets.`
      : '',
    '',
    `| figure (ms, p50 / p95, ${idle?.headless.length ?? 0} trials each) | idle | ~${result.setup.targetUtilization * 100} % load | how |`,
    '| --- | --- | --- | --- |',
    row(
      'headless: join answered',
      'headlessJoinAnsweredMs',
      'werift client: `join` sent on an open WebSocket → answer',
    ),
    row(
      '**headless: first media packet**',
      'headlessFirstPacketMs',
      '`join` sent → first RTP packet via WHEP',
    ),
    row('headless: first video packet', 'headlessFirstVideoPacketMs', '`join` sent → first video RTP packet'),
    row('Chromium: in the room', 'chromiumJoinedMs', 'click on Join → SDK connected'),
    row(
      'Chromium: first media packet',
      'chromiumFirstPacketMs',
      'click on Join → inbound-rtp packetsReceived > 0',
    ),
    row(
      '**Chromium: first decoded frame**',
      'chromiumFirstFrameMs',
      'click on Join → framesDecoded > 0 (10 ms polling)',
    ),
    '',
    `Process exits: ${result.processExits.map((e) => `${e.name} ${e.code}`).join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `join latency bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  process.exitCode = 1;
});
