/**
 * The acceptance test of the foundation: three people in real Chromium pages meet through the
 * meeting page on the embedded system (a controller and two media nodes). One browser, three
 * contexts (each its own storage, so its own participant), driven as a user would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { dependentSteps } from '../support/dependentSteps.ts';
import {
  describePages,
  joinFromPage,
  type MeetingPage,
  openMeetingPage,
  untilWithDiagnostics,
} from '../support/meetingPage.ts';
import { api, startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

const ROOM = 'e2e-meeting';
const NAMES = ['Ada', 'Grace', 'Linus'] as const;
const STEP_TIMEOUT_MS = 25_000;

/** What one page receives from one remote stream, read from its WHEP peer connection's getStats. */
interface InboundSample {
  streamId: string;
  participantId: string;
  kind: string;
  sessionState: string;
  framesDecoded: number;
  videoPackets: number;
  audioPackets: number;
}

type Participant = MeetingPage;

describe('meeting page in Chromium: three participants on two media nodes', () => {
  const skip = chromiumAvailable() ? false : 'no Chromium here (set DOTM_CHROMIUM or install chromium)';
  let cluster: EmbeddedCluster;
  let browser: Browser | undefined;
  const people: Participant[] = [];
  const step = dependentSteps({ skip, timeoutMs: 2 * STEP_TIMEOUT_MS });

  /** Every page's banner, URL and console errors: what a failure message needs to be understood. */
  async function diagnostics(): Promise<string> {
    return (await describePages(people, 10)).join('\n');
  }

  /** waitFor from the test support, with every page's state in the timeout message. */
  const until = untilWithDiagnostics(diagnostics, STEP_TIMEOUT_MS);

  async function assertWithDiagnostics(ok: boolean, message: string): Promise<void> {
    if (!ok) assert.fail(`${message}\n${await diagnostics()}`);
  }

  async function roomView(): Promise<RoomView | undefined> {
    const response = await api<RoomView>(cluster, 'GET', `/api/v1/rooms/${ROOM}`);
    return response.status === 200 ? response.body : undefined;
  }

  /** Per remote stream, what the page's WHEP peer connection has received and decoded so far. */
  function inbound(person: Participant): Promise<InboundSample[]> {
    return person.page.evaluate(async () => {
      const client = window.dotm;
      if (!client) return [];
      return Promise.all(
        client.streams.map(async (stream) => {
          const sample = {
            streamId: stream.streamId,
            participantId: stream.participantId,
            kind: stream.kind as string,
            sessionState: stream.state as string,
            framesDecoded: 0,
            videoPackets: 0,
            audioPackets: 0,
          };
          const pc = stream.session?.peerConnection;
          if (!pc) return sample;
          (await pc.getStats()).forEach((report: Record<string, unknown>) => {
            if (report.type !== 'inbound-rtp') return;
            if (report.kind === 'video') {
              sample.framesDecoded += Number(report.framesDecoded ?? 0);
              sample.videoPackets += Number(report.packetsReceived ?? 0);
            } else if (report.kind === 'audio') {
              sample.audioPackets += Number(report.packetsReceived ?? 0);
            }
          });
          return sample;
        }),
      );
    });
  }

  /**
   * Waits until `viewer` decodes video from `publisherId`'s stream of `kind` (and hears its audio
   * when `withAudio`), with the decoded frame count still growing a moment later.
   */
  async function assertDecoding(
    t: TestContext,
    viewer: Participant,
    publisherId: string,
    kind: string,
    withAudio: boolean,
  ) {
    const find = (samples: InboundSample[]) =>
      samples.find((s) => s.participantId === publisherId && s.kind === kind);
    const publisher = people.find((p) => p.participantId === publisherId)?.name ?? publisherId;
    let seen: InboundSample[] = [];
    const sampleUntil = (what: string, enough: (sample: InboundSample) => boolean) =>
      until(what, async () => {
        seen = await inbound(viewer);
        const sample = find(seen);
        return sample && enough(sample) ? sample : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}\n  ${viewer.name}'s last inbound stats: ${JSON.stringify(seen)}`);
      });
    const first = await sampleUntil(
      `${viewer.name} decodes ${publisher}'s ${kind} video`,
      (s) => s.framesDecoded > 0 && (!withAudio || s.audioPackets > 0),
    );
    const later = await sampleUntil(
      `${viewer.name}'s frames from ${publisher}'s ${kind} keep coming`,
      (s) => s.framesDecoded > first.framesDecoded,
    );
    await assertWithDiagnostics(
      later.streamId === first.streamId,
      `${viewer.name}'s subscription to ${publisher}'s ${kind} changed stream while sampled`,
    );
    t.diagnostic(
      `${viewer.name} ← ${publisher}'s ${kind}: frames decoded ${first.framesDecoded} → ${later.framesDecoded}` +
        (withAudio ? `, audio packets ${later.audioPackets}` : ''),
    );
  }

  /** Attribute selector for one participant's elements; ids are opaque, so quote them. */
  const byParticipant = (testId: string, participantId: string, extra = '') =>
    `[data-testid="${testId}"][data-participant-id=${JSON.stringify(participantId)}]${extra}`;

  async function countIn(page: Page, selector: string): Promise<number> {
    return page.locator(selector).count();
  }

  before(async () => {
    if (skip) return;
    cluster = await startTestCluster();
    browser = await launchChromium();
  });

  after(async () => {
    if (skip) return;
    // Closing the browser is everyone hanging up at once: the controller lets them go after
    // their rejoin grace and closes their OTMs by its own flow.
    await browser?.close().catch(() => undefined);
    if (!cluster) return;
    let left = 'not asked yet';
    try {
      await waitFor(
        'the admin API to show no room and no OTM after the browser went away',
        async () => {
          const nodes = await api<{ nodes: NodeReport[] }>(cluster, 'GET', '/api/v1/nodes');
          const rooms = await api<{ rooms: RoomView[] }>(cluster, 'GET', '/api/v1/rooms');
          left = `nodes report ${JSON.stringify(nodes.body.nodes.map((n) => [n.nodeId, n.load.otms]))}, rooms ${JSON.stringify(rooms.body.rooms)}`;
          return rooms.body.rooms.length === 0 && nodes.body.nodes.every((node) => node.load.otms === 0);
        },
        STEP_TIMEOUT_MS,
      );
    } catch (error) {
      await stopTestCluster(cluster).catch(() => undefined);
      assert.fail(`${(error as Error).message}: ${left}`);
    }
    await stopTestCluster(cluster);
  });

  step('three participants join through the page and each decodes both others', async (t) => {
    assert.ok(browser);
    for (const name of NAMES) people.push(await openMeetingPage(browser, name, { errorsOnly: true }));
    // One after another, as people arrive at a meeting: each placement then knows where the
    // previous OTMs went. Publishes racing each other are the placement tests' business.
    for (const [index, person] of people.entries()) {
      const { page } = person;
      await page.goto(cluster.controller.url);
      await page.getByTestId('join-room').fill(ROOM);
      await joinFromPage(person, until);
      await assertWithDiagnostics(
        new URL(page.url()).pathname === `/r/${ROOM}`,
        `${person.name}'s page is not at the room's URL but at ${page.url()}`,
      );
      await until(`${person.name}'s camera is live in the room`, async () => {
        const room = await roomView();
        const own = room?.streams.filter((s) => s.participantId === person.participantId) ?? [];
        return room?.streams.length === index + 1 && own.length === 1 ? true : undefined;
      });
    }

    for (const viewer of people) {
      for (const other of people) {
        if (other === viewer) continue;
        await until(`${viewer.name} shows ${other.name} in the list and the grid`, async () => {
          const listed = await countIn(viewer.page, byParticipant('participant-item', other.participantId));
          const tiles = await countIn(
            viewer.page,
            byParticipant('video-tile', other.participantId, '[data-kind="camera"]'),
          );
          return listed === 1 && tiles === 1;
        });
        await assertDecoding(t, viewer, other.participantId, 'camera', true);
      }
    }
  });

  step("the room's three camera OTMs sit on both media nodes", async () => {
    const view = await until('three live streams in the room', async () => {
      const room = await roomView();
      return room?.streams.length === 3 ? room : undefined;
    });
    const nodes = new Set(view.streams.map((stream) => stream.nodeId));
    const placement = view.streams.map((s) => `${s.participantId}@${s.nodeId}`).join(', ');
    assert.deepEqual(
      [...nodes].sort(),
      cluster.nodes.map((node) => node.nodeId).sort(),
      `OTMs not spread over both nodes: ${placement}`,
    );
  });

  step('a screen share reaches the others as a new tile with decoded frames', async (t) => {
    const [sharer, ...viewers] = people;
    await sharer.page.getByTestId('share-screen').click();
    await until(`${sharer.name}'s share button shows sharing`, async () => {
      const state = await sharer.page.getByTestId('share-screen').getAttribute('data-state');
      return state === 'on';
    });
    const screen = await until(`${sharer.name}'s screen is live in the room`, async () => {
      const room = await roomView();
      return room?.streams.find((s) => s.participantId === sharer.participantId && s.kind === 'screen');
    });
    for (const viewer of viewers) {
      await until(`${viewer.name} gets a tile for ${sharer.name}'s screen`, async () => {
        const tiles = viewer.page.locator(
          byParticipant('video-tile', sharer.participantId, '[data-kind="screen"]'),
        );
        const streamIds = await tiles.evaluateAll((elements) =>
          elements.map((element) => (element as HTMLElement).dataset.streamId),
        );
        return streamIds.length === 1 && streamIds[0] === screen.streamId;
      });
      await assertDecoding(t, viewer, sharer.participantId, 'screen', false);
    }
  });

  step('a chat message from one arrives at the others', async () => {
    const [, writer, ...readers] = people;
    const text = `hello from ${writer.name} ${Date.now()}`;
    await writer.page.getByTestId('chat-input').fill(text);
    await writer.page.getByTestId('chat-send').click();
    for (const reader of [people[0], ...readers]) {
      await until(`${reader.name} reads ${writer.name}'s message`, async () => {
        const messages = reader.page.locator(byParticipant('chat-message', writer.participantId));
        const texts = await messages.allTextContents();
        return texts.some((t) => t.includes(text));
      });
    }
  });

  step('the sharer leaves: the others drop their camera and screen tiles and list entry', async (t) => {
    const [leaver, ...stayers] = people;
    await leaver.page.getByTestId('leave').click();
    await until(`${leaver.name}'s page says they left`, async () =>
      (await leaver.page.locator('#left-title').isVisible()) ? true : undefined,
    );
    for (const stayer of stayers) {
      await until(`${stayer.name} no longer shows ${leaver.name}`, async () => {
        const listed = await countIn(stayer.page, byParticipant('participant-item', leaver.participantId));
        const tiles = await countIn(stayer.page, byParticipant('video-tile', leaver.participantId));
        const streams = await stayer.page.evaluate(
          (id) => window.dotm?.streams.filter((s) => s.participantId === id).length ?? -1,
          leaver.participantId,
        );
        return listed === 0 && tiles === 0 && streams === 0;
      });
      // The one who stays still sees the other one who stays.
      const other = stayers.find((p) => p !== stayer)!;
      assert.equal(
        await countIn(stayer.page, byParticipant('video-tile', other.participantId, '[data-kind="camera"]')),
        1,
        `${stayer.name} lost ${other.name}'s tile too\n${await diagnostics()}`,
      );
    }
    await until(`the controller let ${leaver.name} and both their OTMs go`, async () => {
      const room = await roomView();
      return room &&
        room.participants.length === 2 &&
        room.streams.length === 2 &&
        room.streams.every((s) => s.participantId !== leaver.participantId)
        ? true
        : undefined;
    });
    const logged = people.filter((p) => p.console.length > 0);
    if (logged.length > 0) t.diagnostic(`pages that logged errors:\n${await diagnostics()}`);
  });
});
