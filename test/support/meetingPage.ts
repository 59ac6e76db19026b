import type { Browser, Page } from 'playwright-core';
import { type PageProbeState, readPageProbe, resetPageProbe } from './pageProbe.ts';
import { waitFor } from './startTestCluster.ts';

/** One person in a Chromium meeting page. */
export interface MeetingPage {
  name: string;
  page: Page;
  /** Empty until the page joined. */
  participantId: string;
  /** What the page logged, time-stamped (only its errors when opened with `errorsOnly`). */
  console: string[];
}

/** waitFor with what the pages show appended to a timeout's message. */
export type Until = <T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs?: number,
) => Promise<T>;

export function untilWithDiagnostics(diagnostics: () => Promise<string>, defaultTimeoutMs: number): Until {
  return async (what, probe, timeoutMs = defaultTimeoutMs) => {
    try {
      return await waitFor(what, probe, timeoutMs);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await diagnostics()}`);
    }
  };
}

/**
 * A page in a browser context of its own (its own storage, so its own participant) that may use
 * the camera and microphone, its console kept for diagnostics.
 */
export async function openMeetingPage(
  browser: Browser,
  name: string,
  options: { errorsOnly?: boolean } = {},
): Promise<MeetingPage> {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const page = await context.newPage();
  const person: MeetingPage = { name, page, participantId: '', console: [] };
  page.on('console', (message) => {
    if (options.errorsOnly && message.type() !== 'error') return;
    person.console.push(
      options.errorsOnly
        ? message.text()
        : `${new Date().toISOString().slice(11, 23)} ${message.type()}: ${message.text()}`,
    );
    if (person.console.length > 400) person.console.splice(0, 200);
  });
  page.on('pageerror', (error) => person.console.push(`uncaught: ${error.message}`));
  return person;
}

/** Enters the person's name on the page's join form and waits until its SDK is connected; sets participantId. */
export async function joinFromPage(person: MeetingPage, until: Until): Promise<string> {
  const { page } = person;
  await page.getByTestId('join-name').fill(person.name);
  await page.getByTestId('join-submit').click();
  person.participantId = await until(`${person.name} joined`, () =>
    page.evaluate(() =>
      window.dotm?.connectionState === 'connected' ? window.dotm.self?.participantId : undefined,
    ),
  );
  return person.participantId;
}

/** Each page's connection banner, URL and last `lines` of console: what a failure message needs. */
export async function describePages(people: readonly MeetingPage[], lines: number): Promise<string[]> {
  const described: string[] = [];
  for (const person of people) {
    const banner = await person.page
      .getByTestId('connection-state')
      .textContent({ timeout: 1_000 })
      .catch((error: Error) => `<unreadable: ${error.message.split('\n')[0]}>`);
    described.push(
      `  ${person.name} (${person.participantId || 'not joined'}) at ${person.page.url()}: "${banner?.trim()}"; ` +
        (person.console.length
          ? `console (last ${lines}):\n    ${person.console.slice(-lines).join('\n    ')}`
          : 'console: nothing'),
    );
  }
  return described;
}

/** What the page's probe (see pageProbe.ts) has recorded since `since`. */
export function readProbe(person: MeetingPage, since = 0): Promise<PageProbeState> {
  return person.page.evaluate(readPageProbe, since);
}

/** Starts every page's probe afresh (its minimums and its events). */
export async function resetProbes(people: readonly MeetingPage[]): Promise<void> {
  for (const person of people) await person.page.evaluate(resetPageProbe);
}

/** Frames decoded so far of one remote stream at this page, as its probe last saw. */
export async function framesDecoded(person: MeetingPage, streamId: string): Promise<number> {
  const probe = await readProbe(person);
  return probe.inbound.filter((e) => e.streamId === streamId).at(-1)?.framesDecoded ?? 0;
}

/**
 * Everyone still in the meeting leaves through the page; the controller then closes their OTMs by
 * its own flow. A click can miss (the controls re-render as someone becomes moderator when the
 * previous one leaves), so it is retried until the page has left; returns who could not leave, with
 * their pages described, for the test to report.
 */
export async function leaveAll(people: readonly MeetingPage[]): Promise<string[]> {
  const stuck: MeetingPage[] = [];
  for (const person of people) {
    const leave = person.page.getByTestId('leave');
    const inMeeting = () => leave.isVisible().catch(() => false);
    for (let attempt = 0; attempt < 5 && (await inMeeting()); attempt++) {
      await leave.click({ timeout: 2_000 }).catch(() => undefined);
      await leave.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
    }
    if (await inMeeting()) stuck.push(person);
  }
  if (stuck.length === 0) return [];
  return [
    `could not leave through the page: ${stuck.map((p) => p.name).join(', ')}`,
    ...(await describePages(stuck, 10)),
  ];
}
