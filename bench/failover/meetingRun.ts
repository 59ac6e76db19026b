import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import { childPids, processAlive } from '../../test/support/processTree.ts';
import { type FailoverCluster, poll } from './FailoverCluster.ts';

/** One person of a bench meeting, in a Chromium page of a context of its own. */
export interface MeetingPerson {
  name: string;
  context: BrowserContext;
  page: Page;
  participantId: string;
}

/** A context (with camera and microphone allowed) and a page for each name, made into a person by `make`. */
export async function openPeople<P extends MeetingPerson>(
  browser: Browser,
  names: readonly string[],
  make: (person: MeetingPerson) => P,
): Promise<P[]> {
  const people: P[] = [];
  for (const name of names) {
    const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    people.push(make({ name, context, page, participantId: '' }));
  }
  return people;
}

/**
 * Each person in turn opens the meeting's page at the controller, joins under their name, and is
 * waited for until `streamsUp(room)` counts their camera too (as people arrive: each placement
 * knows where the earlier cameras went); `joined` runs for each once their camera is up.
 */
export async function joinInTurn<P extends MeetingPerson>(
  cluster: FailoverCluster,
  people: readonly P[],
  meeting: string,
  options: {
    debug: boolean;
    streamsUp: (room: RoomView) => number;
    joined?: (person: P, index: number) => Promise<void>;
  },
): Promise<void> {
  for (const [index, person] of people.entries()) {
    await person.page.goto(`${cluster.controller.url}/r/${meeting}${options.debug ? '?debug' : ''}`);
    await person.page.getByTestId('join-name').fill(person.name);
    await person.page.getByTestId('join-submit').click();
    person.participantId = await poll(
      `${person.name} joined`,
      () =>
        person.page.evaluate(() =>
          window.dotm?.connectionState === 'connected' ? window.dotm.self?.participantId : undefined,
        ),
      20_000,
    );
    await poll(
      `${person.name}'s camera live`,
      async () => {
        const room = await cluster.room(meeting);
        return room && options.streamsUp(room) === index + 1 ? true : undefined;
      },
      20_000,
    );
    await options.joined?.(person, index);
  }
}

/** Everyone clicks "leave" on their page (a page that cannot is left as it is). */
export async function leaveMeeting(people: readonly MeetingPerson[]): Promise<void> {
  for (const person of people) {
    await person.page
      .getByTestId('leave')
      .click({ timeout: 2_000 })
      .catch(() => undefined);
  }
}

/** Closes the browser and stops the cluster; warns of media workers that outlived their node. */
export async function shutDown(
  cluster: FailoverCluster,
  browser: Browser,
): Promise<{ name: string; code: number | string }[]> {
  await browser.close().catch(() => undefined);
  const pids = [...cluster.nodes.values()].flatMap((n) =>
    n.process.alive ? childPids(n.process.child.pid!) : [],
  );
  const exits = await cluster.stop();
  const left = pids.filter(processAlive);
  if (left.length > 0) log(`WARNING: worker processes still running after the nodes stopped: ${left}`);
  return exits;
}

/** Writes <out>/<name>-latest.json and .md, and prints the markdown. */
export function writeResult(out: string, name: string, result: unknown, markdown: string): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}-latest.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(out, `${name}-latest.md`), markdown);
  process.stdout.write(`\n${markdown}`);
}

/** Runs a bench's main; a failure is printed and sets the exit code. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${name} bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    process.exitCode = 1;
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
}
