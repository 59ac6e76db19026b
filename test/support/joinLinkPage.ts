import type { Browser, Page } from 'playwright-core';
import { bbbCall } from './portalClient.ts';

/**
 * Asks the BigBlueButton API for a join link (sha256-signed, as current portals do) and returns
 * the URL it redirects the browser to.
 */
export async function joinLink(
  baseUrl: string,
  secret: string,
  params: { meetingID: string; fullName: string; role: 'MODERATOR' | 'VIEWER' },
): Promise<string> {
  const join = await bbbCall(baseUrl, secret, 'join', params, 'sha256');
  if (join.status !== 302 || !join.location)
    throw new Error(`join did not redirect (${join.status}): ${join.xml}`);
  return join.location;
}

/**
 * Opens a join link in a fresh browser context, as a person clicking it in their portal, and
 * waits until the page is in the meeting. Uncaught page errors are collected for the test to check.
 */
export async function openJoinLink(
  browser: Browser,
  link: string,
): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(link);
  await page
    .locator('[data-testid="connection-state"][data-state="connected"]')
    .waitFor({ state: 'attached', timeout: 20_000 });
  return { page, errors };
}
