/**
 * Controller failover with the real browser SDK (issue 4): a real redis-server, three `dotm
 * controller` processes behind a TCP load balancer and three `dotm node` processes, each on its own
 * loopback address; two people in Chromium meeting pages opened through the load balancer. The
 * controller that homes the room is SIGKILLed: the pages must resume as the same participants
 * without a reload (the SDK reconnects through the load balancer and rejoins with its ticket), media
 * must keep flowing (the OTMs live on the nodes), nobody may leave the participant list, and a third
 * person joining afterwards must meet the other two. Then the new home is stopped with SIGTERM (a
 * rolling upgrade): it hands the room over and the pages resume again.
 *
 * The time from the kill to each page's "connected" again (as the page's probe saw it) is printed
 * as a test diagnostic; it is asserted only loosely.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { dependentSteps } from '../support/dependentSteps.ts';
import {
  describePages,
  framesDecoded,
  joinFromPage,
  leaveAll,
  type MeetingPage,
  openMeetingPage,
  readProbe,
  resetProbes,
  untilWithDiagnostics,
} from '../support/meetingPage.ts';
import { installPageProbe, type PageProbeState } from '../support/pageProbe.ts';
import { type ControllerProcess, ProcessCluster } from '../support/processCluster.ts';

const ROOM = 'e2e-controller-failover';
const NODES = [
  { nodeId: 'media-a', address: '127.0.0.2' },
  { nodeId: 'media-b', address: '127.0.0.3' },
  { nodeId: 'media-c', address: '127.0.0.4' },
] as const;
const CONTROLLER_HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;
const STEP_TIMEOUT_MS = 25_000;
const PROBE_INTERVAL_MS = 40;
/**
 * Loose bounds: the room's lease lapses 3 s after the dead home's last renewal and the SDK's
 * reconnect backoff adds its share; these catch a client that never came back, not a slow one.
 */
const RESUME_LIMIT_MS = 12_000;
/** Media never passes through a controller: a viewer's frames may pause only as long as the machine stalls. */
const MEDIA_PAUSE_LIMIT_MS = 2_000;

type Person = MeetingPage;
type Controller = ControllerProcess;

/** Longest time between consecutive rises of a stream's decoded-frame count within [from, to]. */
function longestFramePause(probe: PageProbeState, streamId: string, from: number, to: number): number {
  const rises: number[] = [];
  let frames = -1;
  let pc = -1;
  for (const event of probe.inbound) {
    if (event.streamId !== streamId) continue;
    if (event.pc !== pc || event.framesDecoded > frames) rises.push(event.at);
    frames = event.framesDecoded;
    pc = event.pc;
  }
  let worst = 0;
  for (let i = 1; i < rises.length; i++) {
    if (rises[i]! < from || rises[i - 1]! > to) continue;
    worst = Math.max(worst, rises[i]! - rises[i - 1]!);
  }
  return worst;
}

describe('controller failover in Chromium: the room’s home controller dies under a meeting', () => {
  const skip = chromiumAvailable() ? false : 'no Chromium here (set DOTM_CHROMIUM or install chromium)';
  let cluster: ProcessCluster | undefined;
  let browser: Browser | undefined;
  const people: Person[] = [];
  const step = dependentSteps({ skip, timeoutMs: 3 * STEP_TIMEOUT_MS });

  async function diagnostics(): Promise<string> {
    const logs = [...(cluster?.controllers.map((c) => c.process) ?? []), ...(cluster?.nodes ?? [])].map(
      (p) => `  --- ${p.name} (last lines)\n${p.output.split('\n').slice(-12).join('\n')}`,
    );
    return [...(await describePages(people, 20)), ...logs].join('\n');
  }

  const until = untilWithDiagnostics(diagnostics, STEP_TIMEOUT_MS);

  async function roomView(): Promise<RoomView | undefined> {
    const response = await cluster!.api<RoomView>(`/api/v1/rooms/${ROOM}`).catch(() => undefined);
    return response?.status === 200 ? response.body : undefined;
  }

  /** The controller the directory names as the room's home. */
  async function home(): Promise<Controller | undefined> {
    const url = await cluster!.homeUrl(ROOM);
    return cluster!.controllers.find((c) => c.url === url);
  }

  async function openPerson(name: string): Promise<Person> {
    const person = await openMeetingPage(browser!, name);
    people.push(person);
    // Through the load balancer, as a user would: the page, the SDK and its socket may each land on any controller.
    await person.page.goto(`${cluster!.balancerUrl}/r/${ROOM}?debug`);
    await person.page.evaluate(installPageProbe, { interval: PROBE_INTERVAL_MS, marker: `page-of-${name}` });
    await joinFromPage(person, until);
    await until(`${name}'s camera is live in the room`, async () => {
      const room = await roomView();
      return room?.streams.some((s) => s.participantId === person.participantId && s.live) || undefined;
    });
    return person;
  }

  /** Until every page decodes every other person's camera, its frame count going up. */
  async function everyoneDecodesEveryone(): Promise<RoomView> {
    const view = await until('every camera live', async () => {
      const room = await roomView();
      return room?.streams.length === people.length && room.streams.every((s) => s.live) ? room : undefined;
    });
    for (const viewer of people) {
      for (const stream of view.streams) {
        if (stream.participantId === viewer.participantId) continue;
        const since = Date.now();
        let first: number | undefined;
        await until(`${viewer.name} decodes ${stream.participantId}'s camera`, async () => {
          const frames = await framesDecoded(viewer, stream.streamId);
          first ??= frames;
          return (frames > first && Date.now() > since) || undefined;
        });
      }
    }
    return view;
  }

  /**
   * Stops the room's home with `signal` and waits until every page is connected again as the same
   * participant, with nothing lost on screen; returns each page's time from the stop to connected.
   */
  async function stopHomeAndResume(t: TestContext, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const victim = await until('the room’s home known', () => home());
    const before = await everyoneDecodesEveryone();
    await resetProbes(people);
    const stoppedAt = Date.now();
    const stopping = victim.process.stop(signal);
    if (signal === 'SIGTERM') assert.equal(await stopping, 0, victim.process.output.slice(-3000));
    else await stopping;

    const resumedAfter: string[] = [];
    for (const person of people) {
      const resumed = await until(
        `${person.name} connected again after the ${signal}`,
        async () => {
          const events = (await readProbe(person, stoppedAt)).connection;
          const dropped = events.findIndex((e) => e.state !== 'connected');
          if (dropped < 0) return undefined;
          return events.slice(dropped).find((e) => e.state === 'connected');
        },
        RESUME_LIMIT_MS + 5_000,
      );
      assert.equal(resumed.participantId, person.participantId, `${person.name} came back as someone else`);
      resumedAfter.push(`${person.name} ${resumed.at - stoppedAt} ms`);
      assert.ok(
        resumed.at - stoppedAt <= RESUME_LIMIT_MS,
        `${person.name} resumed ${resumed.at - stoppedAt} ms after the ${signal}`,
      );
    }
    const adopter = await until('another controller homes the room', async () => {
      const now = await home();
      return now && now !== victim ? now : undefined;
    });

    // Media: frames kept coming (or came back) on every stream, at every page.
    const checkedAt = Date.now() + 1_500;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const pauses: string[] = [];
    for (const viewer of people) {
      const probe = await readProbe(viewer);
      for (const stream of before.streams) {
        if (stream.participantId === viewer.participantId) continue;
        const pause = longestFramePause(probe, stream.streamId, stoppedAt - 500, checkedAt);
        const last = probe.inbound.filter((e) => e.streamId === stream.streamId).at(-1);
        assert.ok(
          last && last.at > stoppedAt,
          `${viewer.name} decodes nothing of ${stream.streamId} any more`,
        );
        pauses.push(`${viewer.name}←${stream.participantId.slice(0, 8)} ${pause} ms`);
        // With the processes' last lines: seen twice in CI (2.4 and 2.6 s after a SIGTERM), cause unknown.
        if (pause > MEDIA_PAUSE_LIMIT_MS)
          assert.fail(
            `${viewer.name}'s frames of ${stream.streamId} paused ${pause} ms across the ${signal}\n${await diagnostics()}`,
          );
      }
    }

    // Nobody reloaded, nobody left a list or lost a tile; the room is whole at its new home.
    const room = await until('the room view through the load balancer', () => roomView());
    assert.deepEqual(
      room.participants.map((p) => p.participantId).sort(),
      people.map((p) => p.participantId).sort(),
    );
    assert.deepEqual(
      room.streams.map((s) => s.streamId).sort(),
      before.streams.map((s) => s.streamId).sort(),
      'the streams changed',
    );
    for (const person of people) {
      const probe = await readProbe(person);
      assert.equal(probe.marker, `page-of-${person.name}`, `${person.name}'s page was reloaded`);
      assert.equal(probe.minListed, people.length, `${person.name}'s participant list dropped someone`);
      assert.equal(probe.minRemoteStreams, people.length - 1, `${person.name}'s client dropped a stream`);
      assert.equal(probe.minTiles, people.length - 1, `${person.name}'s page lost a tile for a moment`);
      assert.deepEqual(probe.errorToasts, [], `${person.name}'s page showed an error`);
    }
    const adoption = adopter.process.output
      .split('\n')
      .filter((line) => line.includes('room adopted') || line.includes('"room handed'))
      .at(-1);
    t.diagnostic(
      `controller ${signal} (${victim.process.name}) → room at ${adopter.process.name}; ` +
        `pages connected again after: ${resumedAfter.join(', ')}; longest frame pause: ${pauses.join(', ')}`,
    );
    if (adoption) t.diagnostic(`adopter log: ${adoption.slice(0, 300)}`);
  }

  before(async () => {
    if (skip) return;
    cluster = await ProcessCluster.start({
      apiKey: 'controller-failover-key',
      nodes: NODES,
      controllers: CONTROLLER_HOSTS,
    });
    browser = await launchChromium();
  });

  after(async () => {
    if (skip) return;
    const problems: string[] = [];
    problems.push(...(await leaveAll(people)));
    if (people.length > 0 && cluster?.balancer) {
      await cluster
        .roomClosedEverywhere(ROOM, cluster.balancerUrl)
        .catch((error: Error) => problems.push(error.message));
    }
    await browser?.close().catch(() => undefined);
    problems.push(...((await cluster?.stop()) ?? []));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  step('three nodes and three controllers register', async () => {
    await cluster!
      .registered(cluster!.balancerUrl, CONTROLLER_HOSTS.length, STEP_TIMEOUT_MS)
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await diagnostics()}`);
      });
  });

  step('Ada and Grace join through the load balancer and decode each other', async () => {
    await openPerson('Ada');
    await openPerson('Grace');
    await everyoneDecodesEveryone();
  });

  step('the room’s home is SIGKILLed: both pages resume as themselves, media keeps flowing', async (t) => {
    await stopHomeAndResume(t, 'SIGKILL');
  });

  step('after the kill, Linus joins and meets both; they see him', async () => {
    const linus = await openPerson('Linus');
    await everyoneDecodesEveryone();
    const listed = await linus.page.getByTestId('participant-item').count();
    assert.equal(listed, 3);
    for (const person of people) {
      await until(`${person.name} lists three people`, async () =>
        (await person.page.getByTestId('participant-item').count()) === 3 ? true : undefined,
      );
    }
  });

  step('the new home is stopped with SIGTERM (hand-over): everyone resumes again', async (t) => {
    await stopHomeAndResume(t, 'SIGTERM');
  });
});
