import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { AttendanceRepository } from '../../src/db/AttendanceRepository.ts';
import type { Database } from '../../src/db/Database.ts';
import { MeetingRepository, type NewMeeting } from '../../src/db/MeetingRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../../src/http/httpServerLifecycle.ts';
import { Logger } from '../../src/log/Logger.ts';
import { MeetingAdminApi } from '../../src/portal/MeetingAdminApi.ts';
import type { LiveRoom } from '../../src/portal/MeetingRuntime.ts';
import type { WebhookEvent } from '../../src/portal/webhookEvents.ts';
import { newMeeting } from '../db/dbRig.ts';
import { FakeRuntime } from './FakeRuntime.ts';
import { openPortalDatabase } from './portalRig.ts';

const KEY = 'admin-key';

class ListingRuntime extends FakeRuntime {
  async liveRooms(rooms: readonly string[]): Promise<Map<string, LiveRoom>> {
    const live = new Map<string, LiveRoom>();
    for (const room of rooms) {
      const found = await this.liveRoom(room);
      if (found) live.set(room, found);
    }
    return live;
  }
}

let db: Database;
let server: Server;
let base = '';
const runtime = new ListingRuntime();
const told: string[] = [];

async function call(method: string, path: string, key = KEY) {
  const response = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

before(async () => {
  db = await openPortalDatabase();
  const tenants = new TenantRepository(db);
  const uniA = await tenants.create({ name: 'uni-a', secrets: ['sa'] });
  const uniB = await tenants.create({ name: 'uni-b', secrets: ['sb'] });
  const meetings = new MeetingRepository(db);
  const meeting = (tenantId: string, externalId: string, createdAt: number): NewMeeting =>
    newMeeting(tenantId, `${tenantId}-${externalId}`, {
      externalId,
      room: `room-${tenantId}-${externalId}`,
      name: externalId,
      createdAt,
    });
  await meetings.createIfAbsent(meeting(uniA.id, 'maths/101', 1));
  await meetings.createIfAbsent(meeting(uniB.id, 'chemistry', 2));
  runtime.addParticipant(`room-${uniA.id}-maths/101`, {
    participantId: 'p1',
    userId: 'u1',
    fullName: 'Ada',
    role: 'moderator',
    hasAudio: true,
  });
  const api = new MeetingAdminApi({
    meetings,
    attendance: new AttendanceRepository(db),
    tenants,
    runtime,
    isAuthorized: (req) => req.headers.authorization === `Bearer ${KEY}`,
    log: new Logger({ level: 'silent', format: 'json' }),
    events: { wants: async () => false, publish: (_m, event: WebhookEvent) => told.push(event.data.id) },
  });
  server = createDotmServer(async (req, res) => {
    if (await api.handler(req, res)) return;
    res.writeHead(404);
    res.end();
  });
  await listenHttp(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${boundPort(server)}`;
});

after(async () => {
  await closeHttp(server);
  await db.close();
});

test('lists every tenant’s running meetings with who is in them; ?tenant= narrows it', async () => {
  const all = await call('GET', '/api/v1/meetings');
  assert.equal(all.status, 200);
  assert.deepEqual(
    all.body.meetings.map((m: { tenant: { name: string }; meetingID: string; participantCount: number }) => [
      m.tenant.name,
      m.meetingID,
      m.participantCount,
    ]),
    [
      ['uni-a', 'maths/101', 1],
      ['uni-b', 'chemistry', 0],
    ],
  );
  assert.deepEqual(all.body.meetings[0].participants, [
    {
      participantId: 'p1',
      userID: 'u1',
      fullName: 'Ada',
      role: 'moderator',
      hasAudio: true,
      hasVideo: false,
    },
  ]);
  const onlyB = await call('GET', '/api/v1/meetings?tenant=uni-b');
  assert.deepEqual(
    onlyB.body.meetings.map((m: { meetingID: string }) => m.meetingID),
    ['chemistry'],
  );
  assert.equal((await call('GET', '/api/v1/meetings?tenant=nobody')).status, 404);
});

test('without the API key: 401', async () => {
  assert.equal((await call('GET', '/api/v1/meetings', 'wrong')).status, 401);
  assert.equal((await call('DELETE', '/api/v1/meetings/uni-a/maths%2F101', 'wrong')).status, 401);
});

test('DELETE ends a meeting as BigBlueButton’s end does: its room ends, it is no longer listed', async () => {
  const one = await call('GET', '/api/v1/meetings/uni-a/maths%2F101');
  assert.equal(one.status, 200);
  assert.equal(one.body.participantCount, 1);
  const ended = await call('DELETE', '/api/v1/meetings/uni-a/maths%2F101');
  assert.equal(ended.status, 200, JSON.stringify(ended.body));
  assert.equal(ended.body.ended, true);
  assert.deepEqual(runtime.ended, [one.body.room]);
  assert.deepEqual(told, ['meeting-ended']);
  const left = await call('GET', '/api/v1/meetings');
  assert.deepEqual(
    left.body.meetings.map((m: { meetingID: string }) => m.meetingID),
    ['chemistry'],
  );
  assert.equal(
    (await call('DELETE', '/api/v1/meetings/uni-a/maths%2F101')).status,
    404,
    'not running any more',
  );
  assert.equal((await call('DELETE', '/api/v1/meetings/uni-b/nope')).status, 404);
});
