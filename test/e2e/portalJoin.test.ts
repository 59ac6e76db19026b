/**
 * A portal's join link opened in Chromium: the BigBlueButton API's `join` redirects into the
 * meeting page, which joins with the invitation (as the person the portal named), strips it from
 * the address bar, and publishes like anyone else. Someone typing the room name gets refused.
 * A portal-style page (the test's fixture, as Greenlight or Moodle would be) creates and joins
 * from the browser: two people land in the meeting and decode each other, while the dashboard
 * shows the meeting's participant count change by itself. The portal's `welcome` shows as the
 * first chat message, as text (markup in it stays text), and its `logoutURL` is where the browser
 * goes after leaving or after the moderator ends the meeting.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { joinLink, openJoinLink } from '../support/joinLinkPage.ts';
import { bbbCall, xmlTag } from '../support/portalClient.ts';
import { api, startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

describe('a portal join link in Chromium', {
  skip: chromiumAvailable() ? false : 'chromium is not installed',
}, () => {
  let cluster: EmbeddedCluster;
  let browser: Browser;
  let secret: string;

  before(async () => {
    cluster = await startTestCluster();
    secret = (await new TenantRepository(cluster.database).findDefault())!.secrets[0]!;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (cluster) await stopTestCluster(cluster);
  });

  it('enters the meeting as the portal named the person, publishes, and leaves no invitation in the URL', async () => {
    const base = cluster.controller.url;
    const created = await bbbCall(
      base,
      secret,
      'create',
      { meetingID: 'seminar', name: 'Seminar' },
      'sha256',
    );
    assert.equal(xmlTag(created.xml, 'returncode'), 'SUCCESS', created.xml);
    const link = await joinLink(base, secret, {
      meetingID: 'seminar',
      fullName: 'Ada Lovelace',
      role: 'VIEWER',
    });
    const room = decodeURIComponent(new URL(link).pathname.slice('/r/'.length));

    const { page, errors } = await openJoinLink(browser, link);
    assert.equal(new URL(page.url()).searchParams.get('join'), null, 'the invitation left the address bar');
    await page
      .getByTestId('participant-item')
      .filter({ hasText: 'Ada Lovelace' })
      .waitFor({ timeout: 10_000 });
    const view = await waitFor(
      'the camera live in the room',
      async () => {
        const r = await api<RoomView>(cluster, 'GET', `/api/v1/rooms/${encodeURIComponent(room)}`);
        const ada = r.body.participants?.find((p) => p.name === 'Ada Lovelace');
        return ada && r.body.streams?.some((s) => s.participantId === ada.participantId) ? r.body : undefined;
      },
      20_000,
    );
    assert.equal(view.participants.find((p) => p.name === 'Ada Lovelace')?.role, 'viewer');

    // Typing the room name is not a way in.
    const intruder = await (await browser.newContext()).newPage();
    await intruder.goto(`${cluster.controller.url}/`);
    await intruder.getByTestId('join-room').fill(room);
    await intruder.getByTestId('join-name').fill('Mallory');
    await intruder.getByTestId('join-submit').click();
    await intruder
      .getByText(/join link/i)
      .first()
      .waitFor({ timeout: 10_000 });

    await page.getByTestId('leave').click();
    await waitFor('Ada gone', async () => {
      const r = await api<RoomView>(cluster, 'GET', `/api/v1/rooms/${encodeURIComponent(room)}`);
      return r.status === 404 || r.body.participants?.length === 0 || undefined;
    });
    assert.deepEqual(errors, []);
  });

  it('a portal page creates and joins; two people see each other; the dashboard follows the count live', async () => {
    const base = cluster.controller.url;
    const portal = await startPortalFixture(base, secret);
    const dashboard = await (await browser.newContext()).newPage();
    try {
      await dashboard.goto(`${base}/dashboard`);
      await dashboard.getByTestId('api-key').fill(cluster.apiKey);
      await dashboard.getByTestId('key-submit').click();
      await dashboard.getByTestId('dashboard').waitFor({ timeout: 10_000 });

      const grace = await enterThroughPortal(browser, portal.url, 'Grace Hopper');
      const room = decodeURIComponent(new URL(grace.page.url()).pathname.slice('/r/'.length));
      const usersOf = dashboard.locator(
        `[data-testid="room"][data-room="${room}"] [data-testid="room-users"]`,
      );
      await usersOf.filter({ hasText: /^1$/ }).waitFor({ timeout: 15_000 });

      const alan = await enterThroughPortal(browser, portal.url, 'Alan Turing');
      await usersOf.filter({ hasText: /^2$/ }).waitFor({ timeout: 15_000 });
      await waitFor(
        'each decodes the other’s camera',
        async () => {
          const [g, a] = await Promise.all([framesDecoded(grace.page), framesDecoded(alan.page)]);
          return g > 0 && a > 0 ? true : undefined;
        },
        25_000,
      );

      await alan.page.getByTestId('leave').click();
      await usersOf.filter({ hasText: /^1$/ }).waitFor({ timeout: 15_000 });
      await grace.page.getByTestId('leave').click();
      assert.deepEqual([...grace.errors, ...alan.errors], []);
      assert.equal(await grace.page.getByTestId('left-redirect').isHidden(), true, 'no logoutURL: stays');
    } finally {
      await dashboard.context().close();
      await portal.close();
    }
  });

  it("the portal's welcome is the first chat message, as text; leaving or the end of the meeting lands on its logoutURL", async () => {
    const base = cluster.controller.url;
    const portal = await startPortalFixture(base, secret, {
      meetingID: 'farewell',
      meetingName: 'Farewell seminar',
      // Markup a portal might send: BigBlueButton's formatting is dropped, an <img> can never load
      // (and never runs its onerror), and an escaped one arrives as the words it spells.
      create: {
        welcome:
          'Welcome to <b>%%CONFNAME%%</b>!<img src=x onerror="window.pwned=true"> Ask: &lt;img src=x onerror="window.pwned=true"&gt;',
        meetingLayout: 'VIDEO_FOCUS',
        preUploadedPresentation: 'https://docs.example/seminar/slides.pdf',
        preUploadedPresentationName: 'Seminar slides',
      },
      logoutPath: '/goodbye',
    });
    const expected = 'Welcome to Farewell seminar! Ask: <img src=x onerror="window.pwned=true">';
    try {
      const grace = await enterThroughPortal(browser, portal.url, 'Grace Hopper');
      const alan = await enterThroughPortal(browser, portal.url, 'Alan Turing');
      for (const person of [grace, alan]) {
        assert.deepEqual(await welcomeOf(person.page), { first: true, text: expected, images: 0 });
        assert.equal(await person.page.evaluate(() => 'pwned' in window), false);
        assert.deepEqual(await person.page.evaluate(() => window.dotm?.meeting), {
          meetingName: 'Farewell seminar',
          welcome: expected,
          logoutUrl: `${portal.url}/goodbye`,
          layout: 'video-focus',
          presentation: { url: 'https://docs.example/seminar/slides.pdf', name: 'Seminar slides' },
        });
        // The portal's layout and its document (this page has no slide viewer: a link beside the welcome).
        const link = person.page.getByTestId('presentation-link');
        assert.equal(await link.textContent(), 'Seminar slides');
        assert.equal(await link.getAttribute('href'), 'https://docs.example/seminar/slides.pdf');
        assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
        assert.equal(await person.page.locator('#video-grid').getAttribute('data-layout'), 'video-focus');
        // The header names the meeting as the portal did, not by its internal room id.
        assert.equal(await person.page.locator('#room-name').textContent(), 'Farewell seminar');
        assert.match(await person.page.title(), /^Farewell seminar · /);
      }
      const room = decodeURIComponent(new URL(grace.page.url()).pathname.slice('/r/'.length));

      // Alan leaves: the notice shows, then the portal's page.
      await alan.page.getByTestId('leave').click();
      await alan.page.getByTestId('left-redirect').waitFor({ timeout: 10_000 });
      assert.equal(await alan.page.getByTestId('left-title').textContent(), 'You left the meeting');
      await alan.page.waitForURL(`${portal.url}/goodbye`, { timeout: 15_000 });
      await alan.page.getByTestId('portal-goodbye').waitFor({ timeout: 5_000 });

      // Grace reloads: the resumed join is not admitted again, so the page has the welcome and the
      // logoutURL from the tab's rejoin store. (A portal user has typed no name on this origin, so
      // the form asks for one; the rejoin ticket makes it the same participant.)
      await waitFor('Alan gone', async () => {
        const r = await api<RoomView>(cluster, 'GET', `/api/v1/rooms/${encodeURIComponent(room)}`);
        return r.body.participants?.length === 1 || undefined;
      });
      const graceId = await grace.page.evaluate(() => window.dotm?.self?.participantId);
      await grace.page.reload();
      const nameField = grace.page.getByTestId('join-name');
      const connected = grace.page.locator('[data-testid="connection-state"][data-state="connected"]');
      await nameField.or(connected).first().waitFor({ state: 'attached', timeout: 10_000 });
      if (await nameField.isVisible()) {
        await nameField.fill('Grace Hopper');
        await grace.page.getByTestId('join-submit').click();
      }
      await connected.waitFor({ state: 'attached', timeout: 20_000 });
      assert.equal(await grace.page.evaluate(() => window.dotm?.self?.participantId), graceId, 'resumed');
      assert.deepEqual(await welcomeOf(grace.page), { first: true, text: expected, images: 0 });

      // Grace ends the meeting for everyone: "The meeting has ended", then the portal's page.
      await grace.page.getByTestId('end-meeting').click();
      await grace.page
        .getByTestId('left-title')
        .filter({ hasText: 'The meeting has ended' })
        .waitFor({ timeout: 10_000 });
      assert.equal(await grace.page.getByTestId('left-redirect').isVisible(), true);
      await grace.page.waitForURL(`${portal.url}/goodbye`, { timeout: 15_000 });
      await grace.page.getByTestId('portal-goodbye').waitFor({ timeout: 5_000 });
      assert.deepEqual([...grace.errors, ...alan.errors], []);
    } finally {
      await portal.close();
    }
  });
});

interface PortalFixtureOptions {
  meetingID?: string;
  meetingName?: string;
  /** More `create` parameters, e.g. `welcome`. */
  create?: Record<string, string>;
  /** Sets `logoutURL` to this path on the portal itself, where a goodbye page is served. */
  logoutPath?: string;
}

/**
 * An institution's portal in miniature: its page has a button per person; the click goes to the
 * portal's server, which calls `create` (idempotent) and `join` with its secret, as Greenlight does,
 * and redirects the browser into the meeting. Its goodbye page is where a `logoutURL` can lead.
 */
async function startPortalFixture(
  dotmUrl: string,
  secret: string,
  options: PortalFixtureOptions = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const meetingID = options.meetingID ?? 'lecture-hall';
  let ownUrl = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://portal');
    if (options.logoutPath && url.pathname === options.logoutPath) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>Back at the portal</title>
        <h1 data-testid="portal-goodbye">Thanks for coming</h1>`);
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>Course portal</title>
        <form action="/enter"><input name="name" data-testid="portal-name"><button data-testid="portal-join">Join the lecture</button></form>`);
      return;
    }
    if (url.pathname === '/enter') {
      const name = url.searchParams.get('name') ?? 'Someone';
      (async () => {
        const created = await bbbCall(dotmUrl, secret, 'create', {
          meetingID,
          name: options.meetingName ?? 'Lecture hall',
          ...options.create,
          ...(options.logoutPath ? { logoutURL: `${ownUrl}${options.logoutPath}` } : {}),
        });
        if (xmlTag(created.xml, 'returncode') !== 'SUCCESS') throw new Error(created.xml);
        const joined = await bbbCall(dotmUrl, secret, 'join', {
          meetingID,
          fullName: name,
          role: 'MODERATOR',
          userID: name.toLowerCase().replaceAll(' ', '-'),
        });
        res.writeHead(302, { Location: joined.location! });
        res.end();
      })().catch((error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ownUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: ownUrl,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The meeting page's welcome message: present, first in the chat, and its text. */
async function welcomeOf(page: Page): Promise<{ first: boolean; text: string; images: number }> {
  const welcome = page.getByTestId('chat-welcome');
  await welcome.waitFor({ timeout: 10_000 });
  return page.evaluate(() => {
    const list = document.querySelector('[data-testid="chat-messages"]');
    const item = document.querySelector('[data-testid="chat-welcome"]');
    return {
      first: list?.firstElementChild === item,
      text: item?.querySelector('.chat-text')?.textContent ?? '',
      images: list?.querySelectorAll('img').length ?? -1,
    };
  });
}

/** A person opens the portal, types their name and clicks Join; resolves once they are in the meeting. */
async function enterThroughPortal(
  browser: Browser,
  portalUrl: string,
  name: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(portalUrl);
  await page.getByTestId('portal-name').fill(name);
  await page.getByTestId('portal-join').click();
  await page
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ state: 'attached', timeout: 20_000 });
  return { page, errors };
}

/** Video frames the page has decoded from the other people's streams. */
function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let frames = 0;
    for (const stream of window.dotm?.streams ?? []) {
      const pc = stream.session?.peerConnection;
      if (!pc) continue;
      (await pc.getStats()).forEach((report: Record<string, unknown>) => {
        if (report.type === 'inbound-rtp' && report.kind === 'video')
          frames += Number(report.framesDecoded ?? 0);
      });
    }
    return frames;
  });
}
