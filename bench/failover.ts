/**
 * Failover figures (issue 4): failure-detection time and media gap after a media node is killed,
 * over repeated trials, and join latency in an idle cluster.
 *
 *   node bench/failover.ts --help
 *
 * Everything is real: a redis-server, a `dotm controller` process, three `dotm node` processes on
 * 127.0.0.2-4, and three participants in Chromium meeting pages (the browser SDK does the
 * re-publishing and re-subscribing on its own, as it would for a user). Each trial SIGKILLs the
 * node carrying one publisher's camera OTM, measures, then starts a replacement node on the freed
 * address so the next trial starts from three nodes again.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { referenceConfig } from '../src/config/reference.ts';
import type { RoomView } from '../src/protocol/httpApi.ts';
import { chromiumAvailable, launchChromium } from '../test/support/chromium.ts';
import {
  installPageProbe,
  type PageProbeState,
  readPageProbe,
  resetPageProbe,
} from '../test/support/pageProbe.ts';
import { childPids, processAlive } from '../test/support/processTree.ts';
import { FailoverCluster, logTime, poll } from './failover/FailoverCluster.ts';
import { type ChromiumJoin, runJoinTrials } from './failover/joinTrials.ts';
import { busySince, cpuTimes } from './failover/machineLoad.ts';
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
import type { HeadlessJoinTiming } from './failover/weriftJoin.ts';

const HELP = `Usage: node bench/failover.ts [options]

Kills the media node carrying a publisher's camera OTM under a three-person Chromium meeting,
--trials times, and measures detection time and media gap; then measures join latency in the idle
cluster (--join-trials headless werift joins and as many Chromium page joins).
Writes <out>/failover-latest.json and <out>/failover-latest.md and prints the markdown.

Options:
  --trials <n>        kill-a-node trials, default 12 (at least 10 for p95)
  --join-trials <n>   joins of each kind, default 10
  --probe-ms <ms>     how often the pages sample their peer connections, default 40
  --out <dir>         default bench/results
  --video <WxH>       the fake camera plays a plain test pattern of this size (e.g. 320x180) instead of
                      Chromium's built-in one: less CPU for the three encoders and six decoders
  --debug             pages log the SDK's recovery steps; each trial keeps its pages' console lines
  -h, --help          this text
`;

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '12' },
    'join-trials': { type: 'string', default: '10' },
    'probe-ms': { type: 'string', default: '40' },
    out: { type: 'string', default: 'bench/results' },
    debug: { type: 'boolean', default: false },
    video: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const TRIALS = Number(values.trials);
const JOIN_TRIALS = Number(values['join-trials']);
const PROBE_MS = Number(values['probe-ms']);
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const MEETING = 'failover-bench';
const JOIN_ROOM = 'join-bench';
const NAMES = ['Ada', 'Grace', 'Linus'];
const RECOVERY_TIMEOUT_MS = 25_000;

interface Person extends MeetingPerson {
  console: { at: number; text: string }[];
}

interface ViewerGap {
  viewer: string;
  publisher: string;
  streamId: string;
  /** Last frame decoded on the old connection (before the kill) → first frame on the new one. */
  gapMs: number;
  lastFrameBeforeKillMs: number;
  firstFrameAfterKillMs: number;
  firstPacketAfterKillMs: number;
}

interface Trial {
  trial: number;
  victim: string;
  victimAddress: string;
  streamsMoved: number;
  movedTo: string[];
  /** Kill time minus the victim's last heartbeat (`reportedAt`) as last seen before the kill. */
  lastHeartbeatBeforeKillMs: number;
  /** Kill → the node gone from /api/v1/nodes (its Redis presence key expired). */
  presenceExpiredMs: number;
  /** Kill → the controller's failure detector logged "media node lost" (when failover starts). */
  controllerDetectedMs: number | null;
  /** Kill → "OTM placed again" (last of the moved streams). */
  replacedMs: number | null;
  /** Kill → the publisher's WHIP session connected to the new node (page probe). */
  republishedMs: number | null;
  /** Kill → "stream live" on the new node (the publisher's media reached the new OTM). */
  liveAgainMs: number | null;
  gaps: ViewerGap[];
  orphanedWorkers: number[];
  problems: string[];
  /** With --debug: every page's console from 1 s before the kill, `+ms text` relative to the kill. */
  console?: Record<string, string[]>;
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) throw new Error('Chromium is missing (set DOTM_CHROMIUM or install chromium)');
  if (!(TRIALS >= 1 && JOIN_TRIALS >= 0 && PROBE_MS > 0)) throw new Error('bad options; see --help');
  const startedAt = new Date();
  const cluster = await FailoverCluster.start(ADDRESSES);
  const browser = await launchChromium(
    values.video ? { fakeVideoFile: await testPatternY4m(values.video) } : {},
  );
  log(`cluster up: controller ${cluster.controller.url}, nodes ${[...cluster.nodes.keys()].join(', ')}`);
  let trials: Trial[] = [];
  let headless: HeadlessJoinTiming[] = [];
  let chromiumJoins: ChromiumJoin[] = [];
  let exits: { name: string; code: number | string }[] = [];
  const load: Record<string, { busyPercent: number; loadavg1m: number }> = {};
  try {
    let cpu = cpuTimes();
    trials = await runFailoverTrials(cluster, browser);
    load.failover = { busyPercent: busySince(cpu), loadavg1m: loadavg()[0]! };
    cpu = cpuTimes();
    ({ headless, chromiumJoins } = await runJoinTrials(cluster, browser, {
      room: JOIN_ROOM,
      trials: JOIN_TRIALS,
      log,
    }));
    load.join = { busyPercent: busySince(cpu), loadavg1m: loadavg()[0]! };
  } finally {
    exits = await shutDown(cluster, browser);
  }
  const result = buildResult(startedAt, browser.version(), trials, headless, chromiumJoins, exits, load);
  writeResult(values.out, 'failover', result, toMarkdown(result));
}

// ── failover trials ─────────────────────────────────────────────────────────────────

async function runFailoverTrials(cluster: FailoverCluster, browser: Browser): Promise<Trial[]> {
  const people = await openPeople(browser, NAMES, (opened) => {
    const person: Person = { ...opened, console: [] };
    person.page.on('console', (message) => {
      person.console.push({ at: Date.now(), text: `${message.type()}: ${message.text()}` });
      if (person.console.length > 4_000) person.console.splice(0, 2_000);
    });
    return person;
  });
  await joinInTurn(cluster, people, MEETING, {
    debug: values.debug,
    streamsUp: (room) => room.streams.length,
    joined: (person, index) =>
      person.page.evaluate(installPageProbe, { interval: PROBE_MS, marker: `page-${index}` }),
  });
  await waitAllDecoding(cluster, people);
  log('meeting up: three participants decoding each other');

  const trials: Trial[] = [];
  for (let n = 1; n <= TRIALS; n++) {
    // A random phase against the nodes' 1 s heartbeat and the controller's poll.
    await sleep(Math.round(Math.random() * 1000));
    const trial = await runTrial(n, cluster, people);
    trials.push(trial);
    const gaps = trial.gaps.map((g) => `${g.viewer}←${g.publisher} ${g.gapMs} ms`).join(', ');
    log(
      `trial ${n}: killed ${trial.victim} (${trial.streamsMoved} stream(s)); presence expired ${trial.presenceExpiredMs} ms, ` +
        `controller detected ${trial.controllerDetectedMs} ms, republished ${trial.republishedMs} ms; gaps ${gaps}` +
        (trial.problems.length ? `; PROBLEMS: ${trial.problems.join(' | ')}` : ''),
    );
    // Back to three nodes, and everyone decoding everyone, before the next trial.
    cluster.addNode(trial.victimAddress);
    await cluster.waitForNodes(3);
    await waitAllDecoding(cluster, people);
  }

  await leaveMeeting(people);
  await poll(
    'the meeting closed',
    async () => ((await cluster.room(MEETING)) ? undefined : true),
    15_000,
  ).catch(async (error: Error) => {
    const left = await cluster.room(MEETING);
    const states = await Promise.all(people.map((p) => p.page.evaluate(() => window.dotm?.connectionState)));
    log(`WARNING: ${error.message}: room ${JSON.stringify(left)}; pages ${JSON.stringify(states)}`);
  });
  for (const person of people) await person.context.close();
  return trials;
}

async function runTrial(n: number, cluster: FailoverCluster, people: Person[]): Promise<Trial> {
  const view = (await cluster.room(MEETING))!;
  const victimId = pickVictim(view, people[(n - 1) % people.length]!.participantId);
  const victim = cluster.nodes.get(victimId)!;
  const moving = view.streams.filter((s) => s.nodeId === victimId);
  const reports = await cluster.liveNodes();
  const reportedAt = reports?.find((r) => r.nodeId === victimId)?.reportedAt ?? Number.NaN;
  const workers = childPids(victim.process.child.pid!);
  for (const person of people) await person.page.evaluate(resetPageProbe);
  const problems: string[] = [];

  const killedAt = Date.now();
  victim.process.child.kill('SIGKILL');

  const [expiredAt, movedView] = await Promise.all([
    poll(
      `${victimId} gone from /api/v1/nodes`,
      async () => {
        const live = await cluster.liveNodes();
        return live && !live.some((r) => r.nodeId === victimId) ? Date.now() : undefined;
      },
      RECOVERY_TIMEOUT_MS,
    ),
    poll(
      'every stream of the killed node placed again',
      async () => {
        const room = await cluster.room(MEETING);
        const now = room?.streams.filter((s) => moving.some((m) => m.streamId === s.streamId));
        return now && now.length === moving.length && now.every((s) => s.nodeId !== victimId)
          ? room
          : undefined;
      },
      RECOVERY_TIMEOUT_MS,
    ),
  ]);

  const gaps: ViewerGap[] = [];
  let republishedAt: number | undefined;
  for (const stream of moving) {
    const publisher = people.find((p) => p.participantId === stream.participantId)!;
    for (const viewer of people) {
      if (viewer === publisher) continue;
      const gap = await poll(
        `${viewer.name} decoding ${publisher.name} on a new connection`,
        async () => {
          const probe = await viewer.page.evaluate(readPageProbe, killedAt - 5_000);
          return gapFrom(probe, stream.streamId, killedAt);
        },
        RECOVERY_TIMEOUT_MS,
        50,
      ).catch((error: Error) => {
        problems.push(error.message);
        return undefined;
      });
      if (gap)
        gaps.push({ viewer: viewer.name, publisher: publisher.name, streamId: stream.streamId, ...gap });
    }
    const own = await publisher.page.evaluate(readPageProbe, killedAt - 60_000);
    const events = own.outbound.filter((e) => e.streamId === stream.streamId);
    const oldPc = events.filter((e) => e.at <= killedAt).at(-1)?.pc;
    const connected = events.find((e) => e.at > killedAt && e.pc !== oldPc && e.state === 'connected');
    if (connected) republishedAt = Math.max(republishedAt ?? 0, connected.at);
    else problems.push(`${publisher.name}'s camera not seen republished`);
  }

  for (const [index, person] of people.entries()) {
    const probe = await person.page.evaluate(readPageProbe, Date.now());
    const otherStreams = view.streams.filter((s) => s.participantId !== person.participantId).length;
    if (probe.marker !== `page-${index}`) problems.push(`${person.name}'s page reloaded`);
    if (probe.minListed < people.length) problems.push(`${person.name}'s list dropped to ${probe.minListed}`);
    if (probe.minRemoteStreams < otherStreams)
      problems.push(`${person.name}'s client dropped to ${probe.minRemoteStreams} remote streams`);
    if (probe.minTiles < otherStreams)
      problems.push(`${person.name}'s grid dropped to ${probe.minTiles} tiles`);
    if (probe.errorToasts.length > 0)
      problems.push(`${person.name} saw errors: ${probe.errorToasts.join(' / ')}`);
    await poll(
      `${person.name}'s "Reconnecting…" badges gone`,
      async () =>
        (await person.page.evaluate(readPageProbe, Date.now())).reconnectingBadgesNow === 0
          ? true
          : undefined,
      5_000,
    ).catch((error: Error) => problems.push(error.message));
  }

  const orphanedWorkers: number[] = [];
  for (const pid of workers) {
    const gone = await poll(`worker ${pid} gone`, () => (processAlive(pid) ? undefined : true), 5_000).catch(
      () => false,
    );
    if (!gone) orphanedWorkers.push(pid);
  }
  if (orphanedWorkers.length > 0) problems.push(`orphaned workers of ${victimId}: ${orphanedWorkers}`);

  const output = cluster.controller.process.output;
  const detectedAt = logTime(output, killedAt, (r) => r.msg === 'media node lost' && r.nodeId === victimId);
  const replacedAt = latest(
    moving.map((s) =>
      logTime(output, killedAt, (r) => r.msg === 'OTM placed again' && r.streamId === s.streamId),
    ),
  );
  const liveAt = latest(
    moving.map((s) =>
      logTime(
        output,
        killedAt,
        (r) => r.msg === 'stream live' && r.streamId === s.streamId && r.nodeId !== victimId,
      ),
    ),
  );
  const since = (at: number | undefined) => (at === undefined ? null : at - killedAt);
  const consoleLines = values.debug
    ? Object.fromEntries(
        people.map((p) => [
          p.name,
          p.console
            .filter((line) => line.at >= killedAt - 1_000)
            .map((line) => `+${line.at - killedAt} ${line.text}`),
        ]),
      )
    : undefined;
  return {
    trial: n,
    victim: victimId,
    victimAddress: victim.address,
    streamsMoved: moving.length,
    movedTo: movedView.streams
      .filter((s) => moving.some((m) => m.streamId === s.streamId))
      .map((s) => s.nodeId),
    lastHeartbeatBeforeKillMs: killedAt - reportedAt,
    presenceExpiredMs: expiredAt - killedAt,
    controllerDetectedMs: since(detectedAt),
    replacedMs: since(replacedAt),
    republishedMs: since(republishedAt),
    liveAgainMs: since(liveAt),
    gaps,
    orphanedWorkers,
    problems,
    console: consoleLines,
  };
}

/** Prefer the node of `preferredPublisher`'s camera when it carries that stream alone. */
function pickVictim(view: RoomView, preferredPublisher: string): string {
  const load = new Map<string, number>();
  for (const s of view.streams) load.set(s.nodeId, (load.get(s.nodeId) ?? 0) + 1);
  const preferred = view.streams.find((s) => s.participantId === preferredPublisher);
  if (preferred && load.get(preferred.nodeId) === 1) return preferred.nodeId;
  const alone = view.streams.find((s) => load.get(s.nodeId) === 1);
  return (alone ?? preferred ?? view.streams[0]!).nodeId;
}

/** The gap seen by one viewer, once frames are decoded again on a connection newer than the kill. */
function gapFrom(probe: PageProbeState, streamId: string, killedAt: number) {
  const events = probe.inbound.filter((e) => e.streamId === streamId);
  const before = events.filter((e) => e.at <= killedAt);
  const old = before.at(-1);
  if (!old) return undefined;
  // When the old connection's frame count reached its final value: its last decoded frame.
  const lastFrame = before.find((e) => e.pc === old.pc && e.framesDecoded === old.framesDecoded) ?? old;
  const after = events.filter((e) => e.at > killedAt && e.pc !== old.pc);
  const firstFrame = after.find((e) => e.framesDecoded > 0);
  const firstPacket = after.find((e) => e.packetsReceived > 0);
  if (!firstFrame || !firstPacket) return undefined;
  return {
    gapMs: firstFrame.at - lastFrame.at,
    lastFrameBeforeKillMs: killedAt - lastFrame.at,
    firstFrameAfterKillMs: firstFrame.at - killedAt,
    firstPacketAfterKillMs: firstPacket.at - killedAt,
  };
}

/** Until every page decodes every other camera on a connection whose frame count is going up. */
async function waitAllDecoding(cluster: FailoverCluster, people: Person[]): Promise<void> {
  const since = Date.now() - 2_000;
  const view = await poll(
    'three live cameras',
    async () => {
      const room = await cluster.room(MEETING);
      return room?.streams.length === people.length ? room : undefined;
    },
    RECOVERY_TIMEOUT_MS,
  );
  for (const viewer of people) {
    for (const stream of view.streams) {
      if (stream.participantId === viewer.participantId) continue;
      const first = await poll(
        `${viewer.name} decoding ${stream.streamId}`,
        async () => {
          const probe = await viewer.page.evaluate(readPageProbe, since);
          const last = probe.inbound.filter((e) => e.streamId === stream.streamId).at(-1);
          return last && last.framesDecoded > 0 ? last : undefined;
        },
        RECOVERY_TIMEOUT_MS,
        50,
      );
      await poll(
        `${viewer.name}'s frames of ${stream.streamId} growing`,
        async () => {
          const probe = await viewer.page.evaluate(readPageProbe, since);
          const last = probe.inbound.filter((e) => e.streamId === stream.streamId).at(-1);
          return last && last.pc === first.pc && last.framesDecoded > first.framesDecoded ? true : undefined;
        },
        RECOVERY_TIMEOUT_MS,
        50,
      );
    }
  }
}

// ── results ─────────────────────────────────────────────────────────────────────────

function buildResult(
  startedAt: Date,
  chromiumVersion: string,
  trials: Trial[],
  headless: HeadlessJoinTiming[],
  chromiumJoins: ChromiumJoin[],
  exits: { name: string; code: number | string }[],
  load: Record<string, { busyPercent: number; loadavg1m: number }>,
) {
  const gaps = trials.flatMap((t) => t.gaps);
  const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
  return {
    benchmark: 'failover',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      node: process.version,
      chromium: chromiumVersion,
    },
    /** Whole-machine CPU busy share (/proc/stat) during each phase: other work on the host counts too. */
    load,
    setup: {
      nodes: ADDRESSES.length,
      addresses: ADDRESSES,
      workersPerNode: 1,
      // The processes run on the reference defaults (no override), so report those.
      nodeTimeoutMs: referenceConfig.cluster.nodeTimeoutMs,
      heartbeatMs: referenceConfig.node.heartbeatMs,
      participants: NAMES.length,
      client: 'Chromium meeting page (browser SDK re-publishes / re-subscribes by itself)',
      probeIntervalMs: PROBE_MS,
      camera: values.video
        ? `test pattern ${values.video} @ 30 fps (Y4M file)`
        : "Chromium's built-in fake camera",
    },
    failover: {
      trials,
      summary: {
        presenceExpiredMs: summarize(trials.map((t) => t.presenceExpiredMs)),
        controllerDetectedMs: summarize(present(trials.map((t) => t.controllerDetectedMs))),
        replacedMs: summarize(present(trials.map((t) => t.replacedMs))),
        republishedMs: summarize(present(trials.map((t) => t.republishedMs))),
        liveAgainMs: summarize(present(trials.map((t) => t.liveAgainMs))),
        mediaGapMs: summarize(gaps.map((g) => g.gapMs)),
        firstFrameAfterKillMs: summarize(gaps.map((g) => g.firstFrameAfterKillMs)),
        recoveryAfterDetectionMs: summarize(
          trials.flatMap((t) =>
            t.controllerDetectedMs === null
              ? []
              : t.gaps.map((g) => g.firstFrameAfterKillMs - (t.controllerDetectedMs as number)),
          ),
        ),
        trialsWithProblems: trials.filter((t) => t.problems.length > 0).length,
        orphanedWorkers: trials.reduce((sum, t) => sum + t.orphanedWorkers.length, 0),
      },
    },
    join: {
      headless,
      chromium: chromiumJoins,
      summary: {
        headlessJoinAnsweredMs: summarize(headless.map((h) => h.joinAnsweredMs)),
        headlessFirstPacketMs: summarize(headless.map((h) => h.firstPacketMs)),
        headlessFirstVideoPacketMs: summarize(headless.map((h) => h.firstVideoPacketMs)),
        chromiumJoinedMs: summarize(chromiumJoins.map((c) => c.joinedMs)),
        chromiumFirstPacketMs: summarize(chromiumJoins.map((c) => c.firstPacketMs)),
        chromiumFirstFrameMs: summarize(chromiumJoins.map((c) => c.firstFrameMs)),
      },
    },
    processExits: exits,
  };
}

type Result = ReturnType<typeof buildResult>;

function toMarkdown(result: Result): string {
  const row = (label: string, s: Summary, how: string) =>
    `| ${label} | ${s.n} | ${s.p50} | ${s.p95} | ${s.min} | ${s.max} | ${how} |`;
  const f = result.failover.summary;
  const j = result.join.summary;
  const lines = [
    `# Failover figures (${result.startedAt.slice(0, 19)}Z)`,
    '',
    `${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}, Chromium ${result.machine.chromium}. ` +
      `Redis + 1 controller + ${result.setup.nodes} node processes (1 worker each) on ${result.setup.addresses.join(', ')}; ` +
      `node heartbeat ${result.setup.heartbeatMs} ms, presence TTL (cluster.nodeTimeoutMs) ${result.setup.nodeTimeoutMs} ms. ` +
      `${result.setup.participants} participants in Chromium meeting pages (camera: ${result.setup.camera}); ` +
      `pages sampled every ${result.setup.probeIntervalMs} ms. ` +
      `Machine CPU busy during the trials ${result.load.failover?.busyPercent ?? '?'} % ` +
      `(1-min load ${result.load.failover?.loadavg1m.toFixed(1) ?? '?'}), during the joins ${result.load.join?.busyPercent ?? '?'} %.`,
    '',
    '## Node killed with SIGKILL (ms after the kill unless stated)',
    '',
    '| figure | n | p50 | p95 | min | max | how |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row('presence expired', f.presenceExpiredMs, 'node gone from `/api/v1/nodes` (polled every 25 ms)'),
    row('failure detected', f.controllerDetectedMs, 'controller logs "media node lost"'),
    row('OTM placed again', f.replacedMs, 'controller logs "OTM placed again"'),
    row('publisher republished', f.republishedMs, "publisher page's new WHIP connection `connected`"),
    row('stream live again', f.liveAgainMs, 'controller logs "stream live" on the new node'),
    row('first frame at a viewer', f.firstFrameAfterKillMs, 'first frame decoded on the new WHEP connection'),
    row('**media gap**', f.mediaGapMs, 'last frame decoded before the kill → first frame after (per viewer)'),
    row('detection → first frame', f.recoveryAfterDetectionMs, 'the part after detection (per viewer)'),
    '',
    `Trials with problems (reload, list or tile dropped, error shown, no recovery): ${f.trialsWithProblems} of ${result.failover.trials.length}. ` +
      `Orphaned media workers of killed nodes: ${f.orphanedWorkers}.`,
    '',
    '| trial | killed | streams | heartbeat age at kill | presence expired | detected | republished | gaps (viewer ← publisher) | problems |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.failover.trials.map(
      (t) =>
        `| ${t.trial} | ${t.victim} | ${t.streamsMoved} → ${t.movedTo.join(', ')} | ${t.lastHeartbeatBeforeKillMs} | ` +
        `${t.presenceExpiredMs} | ${t.controllerDetectedMs} | ${t.republishedMs} | ` +
        `${t.gaps.map((g) => `${g.viewer}←${g.publisher} ${g.gapMs}`).join(', ')} | ${t.problems.join('; ') || '–'} |`,
    ),
    '',
    '## Join latency, idle cluster (one presenter in the room), ms',
    '',
    '| figure | n | p50 | p95 | min | max | how |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row(
      'headless: join answered',
      j.headlessJoinAnsweredMs,
      'werift client: `join` sent on an open WebSocket → answer',
    ),
    row(
      'headless: first media packet',
      j.headlessFirstPacketMs,
      '`join` sent → first RTP packet (audio or video) via WHEP',
    ),
    row('headless: first video packet', j.headlessFirstVideoPacketMs, '`join` sent → first video RTP packet'),
    row('Chromium: in the room', j.chromiumJoinedMs, 'click on Join → SDK connected (WebSocket + join)'),
    row(
      'Chromium: first media packet',
      j.chromiumFirstPacketMs,
      'click on Join → inbound-rtp packetsReceived > 0 (10 ms polling)',
    ),
    row(
      'Chromium: first decoded frame',
      j.chromiumFirstFrameMs,
      'click on Join → framesDecoded > 0 (10 ms polling)',
    ),
    '',
    `Process exits: ${result.processExits.map((e) => `${e.name} ${e.code}`).join(', ')}.`,
    '',
  ];
  return lines.join('\n');
}

// ── helpers ─────────────────────────────────────────────────────────────────────────

/** A plain moving test pattern (cheap to encode, unlike the noise of test/support's noiseY4m). */
async function testPatternY4m(size: string): Promise<string> {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) throw new Error(`--video wants WxH, e.g. 320x180, not ${size}`);
  const folder = join(tmpdir(), 'dotm-test-media');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `testsrc2-${size}-30fps-4s.y4m`);
  if (!existsSync(file)) {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=30`,
      '-t',
      '4',
      '-pix_fmt',
      'yuv420p',
      file,
    ]);
  }
  return file;
}

function latest(values: (number | undefined)[]): number | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  return Math.max(...(values as number[]));
}

runBench('failover', main);
