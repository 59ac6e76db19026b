/**
 * Join latency in a running cluster: a presenter (a Chromium page with its camera) waits in a
 * room; then, one at a time, headless werift participants join and subscribe (join request → first
 * RTP packet), then Chromium pages join through the meeting page (click on Join → first packet,
 * first decoded frame). Each joiner leaves before the next comes, so every trial meets the same room.
 */
import type { Browser } from 'playwright-core';
import { installJoinProbe, type JoinProbeState, readJoinProbe } from '../../test/support/pageProbe.ts';
import { type FailoverCluster, poll } from './FailoverCluster.ts';
import { type HeadlessJoinTiming, headlessJoin } from './weriftJoin.ts';

export interface ChromiumJoin {
  /** Click on "Join" → the page's client is in the room (WebSocket connect + join). */
  joinedMs: number;
  firstPacketMs: number;
  firstFrameMs: number;
}

export async function runJoinTrials(
  cluster: FailoverCluster,
  browser: Browser,
  options: { room: string; trials: number; log: (line: string) => void },
): Promise<{ headless: HeadlessJoinTiming[]; chromiumJoins: ChromiumJoin[] }> {
  const { room: JOIN_ROOM, trials: JOIN_TRIALS, log } = options;
  const publisherContext = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const publisher = await publisherContext.newPage();
  await publisher.goto(`${cluster.controller.url}/r/${JOIN_ROOM}`);
  await publisher.getByTestId('join-name').fill('Presenter');
  await publisher.getByTestId('join-submit').click();
  await poll(
    'the presenter live',
    async () => ((await cluster.room(JOIN_ROOM))?.streams.length === 1 ? true : undefined),
    20_000,
  );
  await sleep(1_000);
  const alone = () =>
    poll(
      'the presenter alone in the room again',
      async () => {
        const room = await cluster.room(JOIN_ROOM);
        return room?.participants.length === 1 && room.streams.length === 1 ? true : undefined;
      },
      20_000,
    );

  const headless: HeadlessJoinTiming[] = [];
  for (let i = 1; i <= JOIN_TRIALS; i++) {
    const timing = await headlessJoin(cluster.controller.url, JOIN_ROOM, `headless-${i}`);
    headless.push(timing);
    log(
      `headless join ${i}: answered ${timing.joinAnsweredMs} ms, WHEP ${timing.whepAnsweredMs} ms, ` +
        `first packet ${timing.firstPacketMs} ms, first video packet ${timing.firstVideoPacketMs} ms`,
    );
    await alone();
    await sleep(300);
  }

  const chromiumJoins: ChromiumJoin[] = [];
  for (let i = 1; i <= JOIN_TRIALS; i++) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    await page.goto(`${cluster.controller.url}/r/${JOIN_ROOM}`);
    await page.getByTestId('join-name').fill(`viewer-${i}`);
    await page.evaluate(installJoinProbe, { interval: 10 });
    await page.getByTestId('join-submit').click();
    const state: JoinProbeState = await poll(
      `Chromium joiner ${i} decoding`,
      async () => {
        const now = await page.evaluate(readJoinProbe);
        return now.firstFrameAt && now.firstPacketAt ? now : undefined;
      },
      20_000,
      50,
    );
    const join = {
      joinedMs: state.joinedAt - state.joinClickedAt,
      firstPacketMs: state.firstPacketAt - state.joinClickedAt,
      firstFrameMs: state.firstFrameAt - state.joinClickedAt,
    };
    chromiumJoins.push(join);
    log(
      `Chromium join ${i}: in the room ${join.joinedMs} ms, first packet ${join.firstPacketMs} ms, first frame ${join.firstFrameMs} ms`,
    );
    await page
      .getByTestId('leave')
      .click({ timeout: 2_000 })
      .catch(() => undefined);
    await alone();
    await context.close();
    await sleep(300);
  }
  await publisher
    .getByTestId('leave')
    .click({ timeout: 2_000 })
    .catch(() => undefined);
  await poll(
    'the join room closed',
    async () => ((await cluster.room(JOIN_ROOM)) ? undefined : true),
    15_000,
  ).catch((error: Error) => log(`WARNING: ${error.message}`));
  await publisherContext.close();
  return { headless, chromiumJoins };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
