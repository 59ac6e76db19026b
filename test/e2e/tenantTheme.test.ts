/**
 * A tenant's theme on the meeting page in Chromium: a tenant made through the admin API with a
 * theme, a meeting created and joined through the BigBlueButton API with that tenant's secret, and
 * the join link showing the tenant's colours, name and logo. The page of someone with no join link
 * keeps the product's own look.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { joinLink, openJoinLink } from '../support/joinLinkPage.ts';
import { bbbCall, xmlTag } from '../support/portalClient.ts';
import { api, startTestCluster, stopTestCluster, waitFor } from '../support/startTestCluster.ts';

const TENANT_SECRET = 'secret-of-the-themed-tenant-0001';

describe("a tenant's theme on the meeting page in Chromium", {
  skip: chromiumAvailable() ? false : 'chromium is not installed',
}, () => {
  let cluster: EmbeddedCluster;
  let browser: Browser;

  before(async () => {
    cluster = await startTestCluster();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    if (cluster) await stopTestCluster(cluster);
  });

  it("shows the join token's tenant's accent, background, name and logo", async () => {
    const base = cluster.controller.url;
    const logoUrl = `${base}/tenant-logo-for-tests.svg`;
    const created = await api(cluster, 'POST', '/api/v1/tenants', {
      name: 'themed-school',
      secrets: [TENANT_SECRET],
      settings: {
        theme: {
          name: 'Themed School',
          logoUrl,
          colors: { primary: '#0a58ca', background: '#102030' },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    const meeting = await bbbCall(
      base,
      TENANT_SECRET,
      'create',
      { meetingID: 'themed', name: 'Themed' },
      'sha256',
    );
    assert.equal(xmlTag(meeting.xml, 'returncode'), 'SUCCESS', meeting.xml);
    const link = await joinLink(base, TENANT_SECRET, {
      meetingID: 'themed',
      fullName: 'Grace Hopper',
      role: 'MODERATOR',
    });
    const room = decodeURIComponent(new URL(link).pathname.slice('/r/'.length));

    const { page, errors } = await openJoinLink(browser, link);

    const logo = page.getByTestId('tenant-logo');
    await logo.waitFor({ state: 'attached' });
    await page.waitForFunction(
      () => document.querySelector<HTMLImageElement>('[data-testid="tenant-logo"]')?.hidden === false,
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await logo.getAttribute('src'), logoUrl);
    assert.equal(await page.getByTestId('brand-name').textContent(), 'Themed School');
    assert.equal(
      await page.evaluate(() =>
        getComputedStyle(document.documentElement).getPropertyValue('--accent').trim(),
      ),
      '#0a58ca',
    );
    // Buttons ease into a new background (a CSS transition): wait for where they settle.
    await page.waitForFunction(
      () =>
        getComputedStyle(document.querySelector('[data-testid="chat-send"]')!).backgroundColor ===
          'rgb(10, 88, 202)' && getComputedStyle(document.body).backgroundColor === 'rgb(16, 32, 48)',
      undefined,
      { timeout: 5000 },
    );
    assert.match(await page.title(), /Themed School/);

    // Someone on the same host without a join link sees the product's own look.
    const stranger = await (await browser.newContext()).newPage();
    await stranger.goto(`${base}/`);
    await stranger.getByTestId('join-submit').waitFor();
    // Give the theme request time to land, then check nothing of the tenant's arrived.
    await stranger.waitForLoadState('networkidle');
    const strangerLook = await stranger.evaluate(() => ({
      button: getComputedStyle(document.querySelector('[data-testid="join-submit"]')!).backgroundColor,
      logoHidden: document.querySelector<HTMLImageElement>('.tenant-logo')!.hidden,
    }));
    assert.equal(strangerLook.button, 'rgb(91, 140, 255)');
    assert.equal(strangerLook.logoHidden, true);
    await stranger.context().close();

    await page.getByTestId('leave').click();
    await waitFor('Grace gone', async () => {
      const r = await api<RoomView>(cluster, 'GET', `/api/v1/rooms/${encodeURIComponent(room)}`);
      return r.status === 404 || r.body.participants?.length === 0 || undefined;
    });
    await page.context().close();
    assert.deepEqual(errors, []);
  });
});
