import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { Database } from '../../src/db/Database.ts';
import { Migrator } from '../../src/db/Migrator.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';
import { HttpError } from '../../src/http/HttpError.ts';
import { sendJson } from '../../src/http/httpIo.ts';
import { Logger } from '../../src/log/Logger.ts';
import { createStatsApi } from '../../src/stats/StatsApi.ts';
import type { FullReport, LiveView, MeetingSummary, TenantListing } from '../../src/stats/statsApiTypes.ts';
import { at, type BuiltHistory, buildHistory, MIN } from './statsHistory.ts';

const KEY = 'secret-key';

describe('StatsApi over HTTP', () => {
  let db: Database;
  let history: BuiltHistory;
  let server: Server;
  let base: string;
  const logged: string[] = [];

  before(async () => {
    db = new SqliteDatabase({ path: ':memory:' });
    await new Migrator(db).migrate();
    history = await buildHistory(db);
    const clusterState = new MemoryClusterState();
    await clusterState.putNode(
      {
        nodeId: 'n2',
        region: 'us',
        url: 'http://n2.invalid',
        version: 't',
        startedAt: at(0),
        reportedAt: at(230),
        draining: true,
        workers: 2,
        load: {
          cpu: 0.42,
          memoryRssBytes: 5e8,
          bitrateInBps: 2.5e6,
          bitrateOutBps: 12e6,
          packetsInPerSecond: 250,
          packetsOutPerSecond: 1200,
          otms: 4,
          subscribers: 11,
        },
        capacity: { maxPacketsPerSecond: 1e5, maxSubscribers: 0 },
      },
      3_600_000,
    );
    const handler = createStatsApi({
      db,
      clusterState,
      isAuthorized: (req) => {
        if (req.headers['x-banned']) throw new HttpError(403, 'forbidden', 'banned');
        return req.headers.authorization === `Bearer ${KEY}`;
      },
      liveWindowMs: 60 * MIN,
      log: new Logger({ level: 'error', format: 'json', write: (line) => logged.push(line) }),
      now: () => at(230),
    });
    server = createServer((req, res) => {
      handler(req, res).then((handled) => {
        if (!handled) sendJson(res, 404, { notMine: true });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.close();
    assert.deepEqual(logged, [], 'no unexpected errors were logged');
  });

  const get = async (path: string, headers: Record<string, string> = { Authorization: `Bearer ${KEY}` }) => {
    const response = await fetch(`${base}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
  };

  it('refuses callers without the API key with a JSON 401, and passes on what the check throws', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const answer = await get('/api/v1/stats/summary', headers);
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer');
      assert.deepEqual(answer.body, {
        error: { code: 'unauthorized', message: 'API key missing or not valid' },
      });
    }
    const banned = await get('/api/v1/stats/summary', { Authorization: `Bearer ${KEY}`, 'X-Banned': '1' });
    assert.equal(banned.status, 403);
  });

  it('answers the summary for a tenant over an interval', async () => {
    const answer = await get(
      `/api/v1/stats/summary?from=${at(0)}&to=${new Date(at(120)).toISOString()}&tenants=${history.alpha},${history.beta}`,
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const summary = answer.body as MeetingSummary;
    assert.deepEqual(summary, {
      from: at(0),
      to: at(120),
      tenantIds: [history.alpha, history.beta],
      meetings: 4,
      endedMeetings: 4,
      averageDurationMs: 57.5 * MIN,
      averagePeakUsers: 3.25,
      maxSimultaneousUsers: 9,
    });
  });

  it('answers every report in one call, and each on its own path', async () => {
    const query = `from=${at(0)}&to=${at(240)}&bucket=1h`;
    const full = (await get(`/api/v1/stats/report?${query}`)).body as FullReport;
    assert.equal(full.summary.meetings, 6);
    assert.deepEqual(full.users.total, [9, 8, 0, 12]);
    assert.deepEqual(
      full.meetingsPerNode.nodes.map((n) => n.meetings),
      [3, 3],
    );
    assert.deepEqual(full.nodeLoad.nodes[0]?.cpu, [0.3, 0.9, null, null]);
    assert.equal(
      full.roomSizes.buckets.reduce((sum, b) => sum + b.meetings, 0),
      6,
    );
    assert.deepEqual((await get(`/api/v1/stats/users?${query}`)).body, full.users);
    assert.deepEqual((await get(`/api/v1/stats/nodes?${query}`)).body, full.nodeLoad);
    assert.deepEqual(
      (await get(`/api/v1/stats/room-sizes?from=${at(0)}&to=${at(240)}`)).body,
      full.roomSizes,
    );
    assert.deepEqual(
      (await get(`/api/v1/stats/meetings-per-node?from=${at(0)}&to=${at(240)}`)).body,
      full.meetingsPerNode,
    );
  });

  it('answers the live view: nodes from the cluster state, rooms from the history', async () => {
    const live = (await get('/api/v1/stats/live')).body as LiveView;
    assert.equal(live.now, at(230));
    assert.deepEqual(live.nodes, [
      {
        nodeId: 'n2',
        region: 'us',
        draining: true,
        reportedAt: at(230),
        workers: 2,
        cpu: 0.42,
        memoryBytes: 5e8,
        mbpsIn: 2.5,
        mbpsOut: 12,
        packetsInPerSecond: 250,
        packetsOutPerSecond: 1200,
        otms: 4,
        subscribers: 11,
      },
    ]);
    assert.deepEqual(
      live.rooms.map((r) => [r.name, r.users, r.nodeIds]),
      [
        ['Meeting mA4', 12, ['n2', 'n3']],
        ['r3', 1, []],
      ],
    );
    assert.equal(live.users, 13);
    const beta = (await get(`/api/v1/stats/live?tenants=${history.beta}`)).body as LiveView;
    assert.deepEqual(beta.rooms, []);
    assert.equal(beta.nodes.length, 1, 'nodes are shared by every tenant');
  });

  it('lists tenants', async () => {
    const { tenants } = (await get('/api/v1/stats/tenants')).body as TenantListing;
    assert.deepEqual(
      tenants.map((t) => t.name),
      ['alpha', 'beta', 'gamma'],
    );
  });

  it('refuses bad parameters with a 400 that says what is wrong', async () => {
    const cases: [string, string, RegExp][] = [
      ['/api/v1/stats/summary?tenant=x', 'bad-request', /unknown parameter "tenant"/],
      ['/api/v1/stats/summary?from=soon', 'bad-request', /"from" must be milliseconds since 1970/],
      ['/api/v1/stats/summary?bucket=1h', 'bad-request', /unknown parameter "bucket"/],
      ['/api/v1/stats/nodes?tenants=x', 'bad-request', /unknown parameter "tenants"/],
      ['/api/v1/stats/users?from=-30d&bucket=1m', 'bad-request', /at most 1000/],
      ['/api/v1/stats/tenants?x=1', 'bad-request', /takes no parameters/],
      [
        `/api/v1/stats/summary?tenants=${history.alpha},nope`,
        'unknown-tenant',
        /no tenant has the id "nope"/,
      ],
    ];
    for (const [path, code, message] of cases) {
      const answer = await get(path);
      assert.equal(answer.status, 400, path);
      const error = (answer.body as { error: { code: string; message: string } }).error;
      assert.equal(error.code, code, path);
      assert.match(error.message, message, path);
    }
  });

  it('owns the /api/v1/stats/ paths only: 404 and 405 there, other paths left to the server', async () => {
    const unknown = await get('/api/v1/stats/nothing');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { error: { code: string } }).error.code, 'not-found');
    const post = await fetch(`${base}/api/v1/stats/summary`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}` },
    });
    assert.equal(post.status, 405);
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'method-not-allowed');
    for (const path of ['/api/v1/statsx', '/api/v1/rooms', '/dashboard']) {
      assert.deepEqual((await get(path)).body, { notMine: true }, path);
    }
  });
});
