/**
 * Roles in the meeting page, in Chromium: a portal sends a moderator and a viewer in through join
 * links; only the moderator gets the controls, and using them removes the viewer and ends the
 * meeting for everyone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import type { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';
import { joinLink, openJoinLink } from '../support/joinLinkPage.ts';
import { bbbCall } from '../support/portalClient.ts';
import { startTestCluster, stopTestCluster } from '../support/startTestCluster.ts';

describe('moderator controls in Chromium', {
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

  async function enter(fullName: string, role: 'MODERATOR' | 'VIEWER'): Promise<Page> {
    const link = await joinLink(cluster.controller.url, secret, { meetingID: 'class', fullName, role });
    return (await openJoinLink(browser, link)).page;
  }

  it('only the moderator can remove people and end the meeting', async () => {
    await bbbCall(cluster.controller.url, secret, 'create', { meetingID: 'class', name: 'Class' });
    const teacher = await enter('Teacher', 'MODERATOR');
    const student = await enter('Student', 'VIEWER');
    const studentRow = teacher.getByTestId('participant-item').filter({ hasText: 'Student' });
    await studentRow.waitFor({ timeout: 10_000 });

    // The viewer sees people but no controls.
    await student.getByTestId('participant-item').filter({ hasText: 'Teacher' }).waitFor({ timeout: 10_000 });
    assert.equal(await student.getByTestId('participant-remove').count(), 0);
    assert.equal(await student.getByTestId('end-meeting').isVisible(), false);

    await studentRow.getByTestId('participant-remove').click();
    await student
      .locator('#left-title', { hasText: 'You were removed from the meeting' })
      .waitFor({ timeout: 10_000 });
    await studentRow.waitFor({ state: 'detached', timeout: 10_000 });

    await teacher.getByTestId('end-meeting').click();
    await teacher.locator('#left-title', { hasText: 'The meeting has ended' }).waitFor({ timeout: 10_000 });
  });
});
