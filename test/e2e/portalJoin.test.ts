/**
 * A portal's join link opened in Chromium: the BigBlueButton API's `join` redirects into the
 * meeting page, which joins with the invitation (as the person the portal named), strips it from
 * the address bar, and publishes like anyone else. Someone typing the room name gets refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
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
});
