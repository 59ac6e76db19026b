/**
 * The dashboard page in Chromium against a real HTTP server made of the stats API handler and the
 * page built here with esbuild (as WebAssets would build it): the API key gate, the live nodes and
 * meetings updating by themselves, the history charts, and the tenant filter.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { Database } from '../../src/db/Database.ts';
import { Migrator } from '../../src/db/Migrator.ts';
import { NodeSampleRepository } from '../../src/db/NodeSampleRepository.ts';
import { RoomNodeRepository } from '../../src/db/RoomNodeRepository.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { sendJson } from '../../src/http/httpIo.ts';
import { Logger } from '../../src/log/Logger.ts';
import { createStatsApi } from '../../src/stats/StatsApi.ts';
import { chromiumAvailable, launchChromium } from '../support/chromium.ts';

const KEY = 'dashboard-test-key';
const DASHBOARD_DIR = join(import.meta.dirname, '..', '..', 'src', 'web', 'dashboard');
const MIN = 60_000;

function nodeReport(nodeId: string, cpu: number): NodeReport {
  return {
    nodeId,
    region: nodeId === 'node-a' ? 'eu' : 'us',
    url: `http://${nodeId}.invalid`,
    version: 'test',
    startedAt: Date.now() - 3600_000,
    reportedAt: Date.now(),
    draining: false,
    workers: 2,
    load: {
      cpu,
      memoryRssBytes: 3e8,
      bitrateInBps: 4e6,
      bitrateOutBps: 16e6,
      packetsInPerSecond: 400,
      packetsOutPerSecond: 1600,
      otms: 3,
      subscribers: 9,
    },
    capacity: { maxPacketsPerSecond: 1e5, maxSubscribers: 0 },
  };
}

async function serveDashboard(db: Database, clusterState: MemoryClusterState): Promise<Server> {
  const bundle = await build({
    entryPoints: [join(DASHBOARD_DIR, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  const files: Record<string, [string, string | Uint8Array]> = {
    '/dashboard': ['text/html; charset=utf-8', await readFile(join(DASHBOARD_DIR, 'dashboard.html'), 'utf8')],
    '/assets/dashboard.js': ['text/javascript; charset=utf-8', bundle.outputFiles[0]!.contents],
    '/assets/base.css': [
      'text/css; charset=utf-8',
      await readFile(join(DASHBOARD_DIR, '..', 'base.css'), 'utf8'),
    ],
    '/assets/dashboard.css': [
      'text/css; charset=utf-8',
      await readFile(join(DASHBOARD_DIR, 'dashboard.css'), 'utf8'),
    ],
  };
  const stats = createStatsApi({
    db,
    clusterState,
    isAuthorized: (req) => req.headers.authorization === `Bearer ${KEY}`,
    liveWindowMs: 10 * MIN,
    log: new Logger({ level: 'error', format: 'json' }),
  });
  const server = createServer((req, res) => {
    void stats(req, res).then((handled) => {
      if (handled) return;
      const file = files[new URL(req.url ?? '/', 'http://x').pathname];
      if (!file) {
        sendJson(res, 404, { error: { code: 'not-found', message: 'no such page' } });
        return;
      }
      res.writeHead(200, { 'Content-Type': file[0], 'Cache-Control': 'no-cache' });
      res.end(file[1]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('dashboard page in Chromium', () => {
  const skip = chromiumAvailable() ? false : 'no Chromium here (set DOTM_CHROMIUM or install chromium)';
  let db: Database;
  let server: Server;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];

  before(async () => {
    if (skip) return;
    db = new SqliteDatabase({ path: ':memory:' });
    await new Migrator(db).migrate();
    const tenants = new TenantRepository(db);
    const alpha = (await tenants.create({ name: 'Alpha University', secrets: ['a'] })).id;
    const beta = (await tenants.create({ name: 'Beta College', secrets: ['b'] })).id;
    const now = Date.now();
    const meeting = (
      id: string,
      tenant: string,
      name: string,
      start: number,
      end: number | null,
      peak: number,
    ) =>
      db.execute(
        `INSERT INTO meetings (id, tenant_id, external_id, room, name, attendee_pw, moderator_pw, created_at,
           started_at, ended_at, peak_users) VALUES (?, ?, ?, ?, ?, 'a', 'm', ?, ?, ?, ?)`,
        [id, tenant, id, `room-${id}`, name, start, start, end, peak],
      );
    await meeting('live-1', alpha, 'Physics lecture', now - 30 * MIN, null, 3);
    await meeting('done-1', beta, 'Beta seminar', now - 5 * 3600_000, now - 4 * 3600_000, 5);
    for (const who of ['p1', 'p2', 'p3']) await join('live-1', alpha, who, now - 20 * MIN);
    for (const who of ['q1', 'q2', 'q3', 'q4', 'q5'])
      await db.execute(
        `INSERT INTO attendance (id, meeting_id, tenant_id, participant_id, user_id, full_name, role, joined_at, left_at)
         VALUES (?, 'done-1', ?, ?, ?, ?, 'viewer', ?, ?)`,
        [`done-1-${who}`, beta, who, who, who, now - 5 * 3600_000, now - 4 * 3600_000],
      );
    await new RoomNodeRepository(db).noteSeen([{ sessionId: 'live-1', nodeId: 'node-a' }], now);
    const samples = new NodeSampleRepository(db);
    for (let minute = 120; minute >= 1; minute--) {
      await samples.insertIfAbsent(
        ['node-a', 'node-b'].map((nodeId, i) => ({
          nodeId,
          region: i === 0 ? 'eu' : 'us',
          sampledAt: now - minute * MIN,
          cpu: 0.2 + 0.2 * i + 0.1 * Math.sin(minute / 10),
          memoryBytes: 3e8,
          bitrateInBps: 4e6 + minute * 1e4,
          bitrateOutBps: 16e6,
          packetsInPerSecond: 400,
          packetsOutPerSecond: 1600,
          otms: 3,
          subscribers: 9,
        })),
        10_000,
      );
    }
    const clusterState = new MemoryClusterState();
    await clusterState.putNode(nodeReport('node-a', 0.31), 3600_000);
    await clusterState.putNode(nodeReport('node-b', 0.74), 3600_000);
    server = await serveDashboard(db, clusterState);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.on('console', (message) => {
      // The refused key is the test's own doing; anything else red in the console is a bug.
      if (message.type() === 'error' && !message.text().includes('401')) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
  });

  after(async () => {
    await browser?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await db?.close();
  });

  async function join(meetingId: string, tenantId: string, who: string, at: number): Promise<void> {
    await db.execute(
      `INSERT INTO attendance (id, meeting_id, tenant_id, participant_id, user_id, full_name, role, joined_at)
       VALUES (?, ?, ?, ?, ?, ?, 'viewer', ?)`,
      [`${meetingId}-${who}`, meetingId, tenantId, who, who, who, at],
    );
  }

  it('asks for the API key and refuses a wrong one', { skip, timeout: 30_000 }, async () => {
    await page.goto(`${base}/dashboard`);
    await page.getByTestId('key-form').waitFor();
    await page.getByTestId('api-key').fill('not-the-key');
    await page.getByTestId('key-submit').click();
    await page.getByTestId('key-error').filter({ hasText: 'not accepted' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('dashboard').isHidden(), true);
  });

  it('shows the nodes, the meetings now and the history charts', { skip, timeout: 30_000 }, async () => {
    await page.getByTestId('api-key').fill(KEY);
    await page.getByTestId('key-submit').click();
    const rows = page.getByTestId('node-row');
    await rows.nth(1).waitFor({ timeout: 10_000 });
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.nodeId)), [
      'node-a',
      'node-b',
    ]);
    assert.equal(await rows.nth(1).getByTestId('node-cpu').textContent(), '74 %');
    assert.equal(await page.getByTestId('now-nodes').textContent(), '2');
    const room = page.getByTestId('room').first();
    assert.match((await room.textContent()) ?? '', /Physics lecture.*Alpha University.*on node-a/);
    assert.equal(await room.getByTestId('room-users').textContent(), '3');
    assert.equal(await page.getByTestId('now-users').textContent(), '3');

    await page.locator('[data-testid="dashboard"][data-history="ready"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('summary-meetings').textContent(), '2');
    assert.equal(await page.getByTestId('summary-max-users').textContent(), '5');
    assert.equal(await page.getByTestId('summary-duration').textContent(), '1 h 00 min');
    // Both nodes' CPU over the last 24 h drawn as lines, the users chart with a line per tenant and one for all.
    await page.locator('[data-testid="chart-cpu"] path.series').nth(1).waitFor();
    assert.deepEqual(
      await page
        .locator('[data-testid="chart-cpu"] path.series')
        .evaluateAll((paths) =>
          paths.map((p) => [
            p.getAttribute('data-series'),
            (p.getAttribute('d') ?? '').split('L').length > 3,
          ]),
        ),
      [
        ['node-a', true],
        ['node-b', true],
      ],
    );
    assert.deepEqual(
      await page
        .locator('[data-testid="chart-users"] path.series')
        .evaluateAll((paths) => paths.map((p) => p.getAttribute('data-series'))),
      ['all', 'Alpha University', 'Beta College'],
    );
    assert.deepEqual(
      await page
        .locator('[data-testid="chart-room-sizes"] rect.bar')
        .evaluateAll((bars) =>
          bars.filter((b) => b.getAttribute('data-value') !== '0').map((b) => b.getAttribute('data-label')),
        ),
      ['3–5'],
    );
    await page.locator('[data-testid="chart-recent-users"][data-empty="false"] path.series').waitFor();
  });

  it('updates the live view by itself when someone joins', { skip, timeout: 30_000 }, async () => {
    const tenantId = (await db.queryOne<{ tenant_id: string }>(
      "SELECT tenant_id FROM meetings WHERE id = 'live-1'",
    ))!.tenant_id;
    await join('live-1', tenantId, 'p4', Date.now());
    await page
      .getByTestId('room')
      .first()
      .getByTestId('room-users')
      .filter({ hasText: /^4$/ })
      .waitFor({ timeout: 6_000 });
    assert.equal(await page.getByTestId('now-users').textContent(), '4');
  });

  it('filters by tenant', { skip, timeout: 30_000 }, async () => {
    await page.getByTestId('tenant-filter').locator('summary').click();
    await page.getByTestId('tenant-option').filter({ hasText: 'Beta College' }).locator('input').check();
    await page
      .getByTestId('room-list')
      .filter({ hasText: 'No meetings right now' })
      .waitFor({ timeout: 6_000 });
    await page.getByTestId('summary-meetings').filter({ hasText: /^1$/ }).waitFor({ timeout: 6_000 });
    assert.equal(await page.getByTestId('summary-max-users').textContent(), '5');
    assert.equal(await page.getByTestId('node-row').count(), 2, 'nodes serve every tenant');
  });

  it('keeps the key for the tab across a reload, and forgets it on sign-out', {
    skip,
    timeout: 30_000,
  }, async () => {
    await page.reload();
    await page.getByTestId('node-row').first().waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('key-form').isHidden(), true);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('key-form').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.deepEqual(consoleErrors, []);
  });
});
