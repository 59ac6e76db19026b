/**
 * The media gap people see while a node is drained: Redis, a `dotm controller` and three
 * `dotm node` processes (bench/failover/FailoverCluster.ts), three people in Chromium meeting pages
 * publishing their cameras; each trial drains the node carrying one camera through the admin API
 * and measures, in every other page, the longest pause between frames presented by that camera's
 * <video> (requestVideoFrameCallback: what the viewer sees, swap of tracks included), then
 * undrains the node for the next trial. Writes <out>/drain-latest.{md,json}.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NodeView } from '../src/controller/NodeDrainer.ts';
import { chromiumAvailable, launchChromium } from '../test/support/chromium.ts';
import { FailoverCluster, poll } from './failover/FailoverCluster.ts';
import {
  joinInTurn,
  leaveMeeting,
  log,
  type MeetingPerson,
  openPeople,
  runBench,
  shutDown,
  sleep,
  writeResult,
} from './failover/meetingRun.ts';
import { type Summary, summarize } from './failover/stats.ts';

const HELP = `Usage: node bench/drain.ts [options]

Drains the node carrying a publisher's camera under a three-person Chromium meeting, --trials
times, and measures the frame gap every viewer sees on each camera that moved (and on the cameras
that did not move, for reference). Writes <out>/drain-latest.json and <out>/drain-latest.md.

Options:
  --trials <n>   drains, default 9
  --out <dir>    default bench/results
  --debug        pages log the SDK's steps; printed after each trial
  -h, --help     this text
`;

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '9' },
    out: { type: 'string', default: 'bench/results' },
    debug: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const TRIALS = Number(values.trials);
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const NAMES = ['Ada', 'Bob', 'Cyd'];
const MEETING = 'drain-bench';
/** After the node reports drained, frames are still collected this long (the gap may end later). */
const SETTLE_MS = 1500;

type Person = MeetingPerson;

interface Trial {
  n: number;
  node: string;
  publisher: string;
  /** Drain request → the node reports drained (0 OTMs). */
  drainedMs: number;
  /** Per viewer and moved camera (every camera on the drained node): the longest frame gap during the drain. */
  gaps: { viewer: string; publisher: string; gapMs: number }[];
  /** The longest frame gap on cameras that did not move, same window (the baseline; 0 when all moved). */
  otherGapMs: number;
  reconnects: number;
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) throw new Error('Chromium is missing (set DOTM_CHROMIUM or install chromium)');
  if (!(TRIALS >= 1)) throw new Error('bad --trials; see --help');
  const startedAt = new Date();
  const cluster = await FailoverCluster.start(ADDRESSES);
  const browser = await launchChromium();
  const trials: Trial[] = [];
  let fallbacks = Number.NaN;
  let newMediaStreams = Number.NaN;
  let people: Person[] = [];
  let exits: { name: string; code: number | string }[] = [];
  try {
    people = await openPeople(browser, NAMES, (person) => {
      if (values.debug) person.page.on('console', (message) => log(`[${person.name}] ${message.text()}`));
      return person;
    });
    await joinInTurn(cluster, people, MEETING, {
      debug: values.debug,
      streamsUp: (room) => room.streams.filter((s) => s.live).length,
    });
    for (const person of people) await person.page.evaluate(installFrameProbe);
    await waitForFrames(people, Date.now());
    log('meeting up: three cameras, every page presenting the two others');

    for (let n = 1; n <= TRIALS; n++) {
      const trial = await runTrial(n, cluster, people);
      trials.push(trial);
      log(
        `trial ${n}: drained ${trial.node} (${trial.publisher}'s camera) in ${trial.drainedMs} ms; ` +
          `gaps ${trial.gaps.map((g) => `${g.viewer}←${g.publisher} ${g.gapMs} ms`).join(', ')}; cameras that stayed ${trial.otherGapMs} ms` +
          (trial.reconnects ? `; ${trial.reconnects} RECONNECTS` : ''),
      );
    }
    const metrics = await (await fetch(new URL('/metrics', cluster.controller.url))).text();
    fallbacks = Number(/^dotm_migration_fallbacks_total (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
    newMediaStreams = await probeTotal(people, 'newMediaStreams');
    await leaveMeeting(people);
    for (const person of people) await person.context.close();
  } finally {
    exits = await shutDown(cluster, browser);
  }
  const result = {
    startedAt: startedAt.toISOString(),
    chromium: browser.version(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg1m: loadavg()[0] },
    trials,
    gap: summarize(trials.flatMap((t) => t.gaps.map((g) => g.gapMs))),
    baselineGap: summarize(trials.map((t) => t.otherGapMs).filter((gap) => gap > 0)),
    drained: summarize(trials.map((t) => t.drainedMs)),
    fallbacks,
    newMediaStreams,
    reconnects: trials.reduce((sum, t) => sum + t.reconnects, 0),
    exits,
  };
  writeResult(values.out, 'drain', result, toMarkdown(result));
}

async function runTrial(n: number, cluster: FailoverCluster, people: Person[]): Promise<Trial> {
  const view = (await cluster.room(MEETING))!;
  const publisher = people[(n - 1) % people.length]!;
  const stream = view.streams.find(
    (s) => s.participantId === publisher.participantId && s.kind === 'camera',
  )!;
  const node = stream.nodeId;
  // The drained node may carry more than that camera (an earlier trial moved one there): all move.
  const movedIds = new Set(
    view.streams.filter((s) => s.nodeId === node && s.kind === 'camera').map((s) => s.participantId),
  );
  const reconnectsBefore = await countReconnects(people);
  // A random phase against the heartbeats and the controller's watch.
  await sleep(500 + Math.round(Math.random() * 500));
  const start = Date.now();
  const answer = await fetch(new URL(`/api/v1/nodes/${node}/drain`, cluster.controller.url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${cluster.env.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reason: 'drain bench' }),
  });
  if (answer.status !== 200) throw new Error(`drain answered ${answer.status}: ${await answer.text()}`);
  await answer.body?.cancel();
  const drainedAt = await poll(
    `${node} drained`,
    async () =>
      (await nodes(cluster)).find((x) => x.nodeId === node)?.state === 'drained' ? Date.now() : undefined,
    30_000,
  );
  await sleep(SETTLE_MS);
  const end = Date.now();
  const gaps: Trial['gaps'] = [];
  let otherGapMs = 0;
  for (const viewer of people) {
    const frames = await viewer.page.evaluate(readFrameProbe, start - 1000);
    for (const other of people) {
      if (other === viewer) continue;
      const gap = longestGap(frames[other.participantId] ?? [], start, end);
      if (movedIds.has(other.participantId))
        gaps.push({ viewer: viewer.name, publisher: other.name, gapMs: Math.round(gap) });
      else otherGapMs = Math.max(otherGapMs, Math.round(gap));
    }
  }
  const undrain = await fetch(new URL(`/api/v1/nodes/${node}/undrain`, cluster.controller.url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${cluster.env.apiKey}` },
  });
  await undrain.body?.cancel();
  await poll(
    `${node} active`,
    async () =>
      (await nodes(cluster)).find((x) => x.nodeId === node)?.state === 'active' ? true : undefined,
    10_000,
  );
  return {
    n,
    node,
    publisher: publisher.name,
    drainedMs: drainedAt - start,
    gaps,
    otherGapMs,
    reconnects: (await countReconnects(people)) - reconnectsBefore,
  };
}

async function nodes(cluster: FailoverCluster): Promise<NodeView[]> {
  return (await cluster.get<{ nodes: NodeView[] }>('/api/v1/nodes'))?.body.nodes ?? [];
}

/** Runs in the page: records when each remote camera tile's <video> presents a frame. */
function installFrameProbe(): void {
  type Probe = { frames: Record<string, number[]>; reconnects: number; newMediaStreams: number };
  const w = window as unknown as {
    __drainProbe?: Probe;
    dotm?: { on(e: string, l: (a: unknown, b?: unknown) => void): void };
  };
  const probe: Probe = { frames: {}, reconnects: 0, newMediaStreams: 0 };
  w.__drainProbe = probe;
  w.dotm?.on('connectionState', (state) => {
    if (state === 'reconnecting') probe.reconnects++;
  });
  // A migrated subscription swaps its tracks into the MediaStream the page plays: no new one.
  w.dotm?.on('streamUpdated', (_stream, mediaChanged) => {
    if (mediaChanged === true) probe.newMediaStreams++;
  });
  const hooked = new WeakSet<HTMLVideoElement>();
  const hook = () => {
    for (const tile of document.querySelectorAll<HTMLElement>(
      '[data-testid="video-tile"][data-local="false"]',
    )) {
      const video = tile.querySelector('video') as
        | (HTMLVideoElement & { requestVideoFrameCallback?(cb: () => void): number })
        | null;
      if (!video?.requestVideoFrameCallback || hooked.has(video)) continue;
      hooked.add(video);
      const onFrame = () => {
        const who = tile.dataset.participantId ?? '?';
        if (tile.dataset.kind === 'camera') {
          const list = probe.frames[who] ?? [];
          probe.frames[who] = list;
          list.push(Date.now());
          if (list.length > 20_000) list.splice(0, 10_000);
        }
        video.requestVideoFrameCallback!(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
  };
  hook();
  setInterval(hook, 200);
}

/** Runs in the page: frame times per participant from `since` on. */
function readFrameProbe(since: number): Record<string, number[]> {
  const probe = (window as unknown as { __drainProbe: { frames: Record<string, number[]> } }).__drainProbe;
  const out: Record<string, number[]> = {};
  for (const [who, times] of Object.entries(probe.frames)) out[who] = times.filter((t) => t >= since);
  return out;
}

async function countReconnects(people: Person[]): Promise<number> {
  return probeTotal(people, 'reconnects');
}

async function probeTotal(people: Person[], key: 'reconnects' | 'newMediaStreams'): Promise<number> {
  let total = 0;
  for (const person of people)
    total += await person.page.evaluate(
      (k) => (window as unknown as { __drainProbe: Record<string, number> }).__drainProbe[k]!,
      key,
    );
  return total;
}

async function waitForFrames(people: Person[], since: number): Promise<void> {
  await poll(
    'every page presenting both other cameras',
    async () => {
      for (const person of people) {
        const frames = await person.page.evaluate(readFrameProbe, since);
        const others = people.filter((p) => p !== person);
        if (!others.every((o) => (frames[o.participantId]?.length ?? 0) > 30)) return undefined;
      }
      return true;
    },
    30_000,
    200,
  );
}

/** The longest pause between presented frames within [from, to], the edges included. */
function longestGap(times: readonly number[], from: number, to: number): number {
  let last = times.filter((t) => t <= from).at(-1) ?? from;
  let longest = 0;
  for (const t of times) {
    if (t <= from || t > to) continue;
    longest = Math.max(longest, t - last);
    last = t;
  }
  return Math.max(longest, to - last);
}

function toMarkdown(result: {
  startedAt: string;
  chromium: string;
  machine: { cpus: number; model?: string; loadavg1m?: number };
  trials: Trial[];
  gap: Summary;
  baselineGap: Summary;
  drained: Summary;
  fallbacks: number;
  newMediaStreams: number;
  reconnects: number;
}): string {
  const row = (name: string, s: Summary) => `| ${name} | ${s.n} | ${s.p50} | ${s.p95} | ${s.max} |`;
  return [
    `# Drain: media gap at the viewers (${result.startedAt})`,
    '',
    `Chromium ${result.chromium}, ${result.machine.cpus} × ${result.machine.model}, load ${result.machine.loadavg1m?.toFixed(2)}.`,
    'Three people in meeting pages, one `dotm controller` and three `dotm node` processes over Redis;',
    'each trial drains the node carrying one camera (`POST /api/v1/nodes/:id/drain`), then undrains it.',
    'Gap: the longest pause between frames the viewer’s <video> presented (requestVideoFrameCallback)',
    'from the drain request until 1.5 s after the node reported drained.',
    '',
    '| figure (ms) | n | p50 | p95 | max |',
    '|---|---:|---:|---:|---:|',
    row('frame gap on a moved camera, per viewer', result.gap),
    row('frame gap on the cameras that stayed (baseline)', result.baselineGap),
    row('drain request → node reports drained (0 OTMs)', result.drained),
    '',
    `Publishers that fell back to break-before-make: ${result.fallbacks}. Signalling reconnects: ${result.reconnects}. ` +
      `New MediaStream objects handed to the pages: ${result.newMediaStreams} (0: every switch swapped tracks in place).`,
    "The baseline row is the same measure on cameras that did not move: on a loaded machine it shows how much of a gap is the machine's.",
    '',
    '| trial | node | drained for | drained (ms) | gaps viewer←camera (ms) | baseline (ms) |',
    '|---:|---|---|---:|---|---:|',
    ...result.trials.map(
      (t) =>
        `| ${t.n} | ${t.node} | ${t.publisher} | ${t.drainedMs} | ${t.gaps.map((g) => `${g.viewer}←${g.publisher} ${g.gapMs}`).join(', ')} | ${t.otherGapMs} |`,
    ),
    '',
  ].join('\n');
}

runBench('drain', main);
