import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttendanceRepository } from '../../src/db/AttendanceRepository.ts';
import { MeetingBanRepository } from '../../src/db/MeetingBanRepository.ts';
import { MeetingRepository, type NewMeeting } from '../../src/db/MeetingRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { Logger } from '../../src/log/Logger.ts';
import { MeetingLifecycle } from '../../src/portal/MeetingLifecycle.ts';
import { newMeeting } from '../db/dbRig.ts';
import { FakeRuntime } from './FakeRuntime.ts';
import { openPortalDatabase } from './portalRig.ts';

async function rig() {
  const db = await openPortalDatabase();
  const tenant = await new TenantRepository(db).create({ name: 't', secrets: ['s'] });
  const meetings = new MeetingRepository(db);
  const runtime = new FakeRuntime();
  const lifecycle = new MeetingLifecycle({
    db,
    runtime,
    log: new Logger({ level: 'silent', format: 'json' }),
    emptyGraceMs: 60_000,
    unjoinedExpiryMs: 300_000,
  });
  const create = async (id: string, over: Partial<NewMeeting> = {}) =>
    (await meetings.createIfAbsent(newMeeting(tenant.id, id, { createdAt: 0, ...over }))).meeting;
  /** A lifecycle with no grace or expiry of its own that tells every event, its id into `published`. */
  const telling = (published: string[]) =>
    new MeetingLifecycle({
      db,
      runtime,
      log: new Logger({ level: 'silent', format: 'json' }),
      events: { wants: async () => true, publish: (_meeting, event) => published.push(event.data.id) },
    });
  return { db, meetings, attendance: new AttendanceRepository(db), runtime, lifecycle, create, telling };
}

test('arrivals and departures in a portal meeting are recorded; other rooms are ignored', async () => {
  const { db, meetings, attendance, lifecycle, create } = await rig();
  await create('m1');
  const ada = { participantId: 'p1', userId: 'u1', fullName: 'Ada', role: 'moderator' as const };
  const bob = { participantId: 'p2', userId: 'u2', fullName: 'Bob', role: 'viewer' as const };
  assert.equal(await lifecycle.participantJoined('m1', ada, 1_000), true);
  assert.equal(await lifecycle.participantJoined('m1', bob, 2_000), true);
  assert.equal(await lifecycle.participantLeft('m1', 'p2', 'left', 3_000), true);
  assert.equal(await lifecycle.participantJoined('not-a-meeting', ada, 1_000), false);
  assert.equal(await lifecycle.participantLeft('not-a-meeting', 'p1', 'left', 1_000), false);
  const meeting = await meetings.get('m1');
  assert.equal(meeting?.startedAt, 1_000);
  assert.equal(meeting?.peakUsers, 2);
  assert.deepEqual(
    (await attendance.listForMeeting('m1')).map((a) => [a.userId, a.joinedAt, a.leftAt ?? null]),
    [
      ['u1', 1_000, null],
      ['u2', 2_000, 3_000],
    ],
  );
  await db.close();
});

test('the sweep ends meetings nobody joined, that emptied, and that ran out of time', async () => {
  const { db, meetings, attendance, runtime, lifecycle, create } = await rig();
  await create('unjoined');
  await create('emptied');
  await create('busy');
  await create('timed', { durationMinutes: 10 });
  const someone = { participantId: 'p', userId: 'u', fullName: 'U', role: 'viewer' as const };
  await lifecycle.participantJoined('emptied', someone, 10_000);
  await lifecycle.participantLeft('emptied', 'p', 'left', 20_000);
  await lifecycle.participantJoined('busy', someone, 10_000);
  runtime.addParticipant('busy', { participantId: 'p' });
  await lifecycle.participantJoined('timed', { ...someone, participantId: 't' }, 10_000);
  runtime.addParticipant('timed', { participantId: 't' });

  assert.deepEqual(await lifecycle.sweep(70_000), []);
  assert.deepEqual(
    (await lifecycle.sweep(80_000)).map((e) => [e.meetingId, e.reason]),
    [['emptied', 'empty']],
  );
  assert.deepEqual(
    (await lifecycle.sweep(300_000)).map((e) => [e.meetingId, e.reason]),
    [['unjoined', 'expired']],
  );
  assert.deepEqual(
    (await lifecycle.sweep(600_000)).map((e) => [e.meetingId, e.reason]),
    [['timed', 'duration']],
  );
  assert.deepEqual(runtime.ended, ['timed']);
  assert.equal((await attendance.listForMeeting('timed'))[0]?.leaveReason, 'meeting-ended');
  assert.deepEqual(
    (await meetings.listAllActive()).map((m) => m.id),
    ['busy'],
  );
  await db.close();
});

test('a sweep that cannot read the live state leaves started meetings alone', async () => {
  const { db, meetings, runtime, lifecycle, create } = await rig();
  await create('m');
  await lifecycle.participantJoined(
    'm',
    { participantId: 'p', userId: 'u', fullName: 'U', role: 'viewer' },
    1,
  );
  runtime.failLive = true;
  assert.deepEqual(await lifecycle.sweep(10_000_000), []);
  assert.equal((await meetings.get('m'))?.endedAt, undefined);
  await db.close();
});

test('a participant removed by a moderator is banned from the meeting by their userID', async () => {
  const { db, lifecycle, create } = await rig();
  await create('m1');
  const bans = new MeetingBanRepository(db);
  await lifecycle.participantJoined('m1', {
    participantId: 'p1',
    userId: 'u1',
    fullName: 'A',
    role: 'viewer',
  });
  await lifecycle.participantJoined('m1', {
    participantId: 'p2',
    userId: 'u2',
    fullName: 'B',
    role: 'viewer',
  });
  assert.equal(await lifecycle.participantLeft('m1', 'p1', 'removed'), true);
  assert.equal(await lifecycle.participantLeft('m1', 'p2', 'left'), true);
  assert.equal(await bans.isBanned('m1', 'u1'), true);
  assert.equal(await bans.isBanned('m1', 'u2'), false, 'leaving on one’s own is no ban');
  await db.close();
});

test('a join recorded by the room’s old and its new home counts once, and is told once', async () => {
  const { db, meetings, attendance, create, telling } = await rig();
  await create('m1');
  const published: string[] = [];
  const lifecycle = telling(published);
  const ada = { participantId: 'p1', userId: 'u1', fullName: 'Ada', role: 'viewer' as const };
  await Promise.all([
    lifecycle.participantJoined('m1', ada, 1_000),
    lifecycle.participantJoined('m1', ada, 1_001),
  ]);
  assert.equal(await attendance.countOpen('m1'), 1);
  assert.equal((await meetings.get('m1'))?.peakUsers, 1);
  assert.deepEqual(published, ['user-joined']);
  await db.close();
});

test('the room’s new home records the joins and leaves its old home did not get to write', async () => {
  const { db, attendance, create, telling } = await rig();
  await create('m1');
  const published: string[] = [];
  const lifecycle = telling(published);
  const ada = { participantId: 'p1', userId: 'u1', fullName: 'Ada', role: 'viewer' as const };
  const bob = { participantId: 'p2', userId: 'u2', fullName: 'Bob', role: 'viewer' as const };
  await lifecycle.participantJoined('m1', ada, 1_000);
  published.length = 0;
  // The old home died after Bob came in and Ada left, before it wrote either.
  const live = { participants: [{ ...bob, hasAudio: false, hasVideo: false, joinedAt: 2_000 }] };
  await lifecycle.reconcile('m1', live, 3_000);
  await lifecycle.reconcile('m1', live, 3_500); // the next sweep finds nothing to do
  assert.deepEqual(
    (await attendance.listForMeeting('m1')).map((a) => [
      a.participantId,
      a.joinedAt,
      a.leftAt ?? null,
      a.leaveReason ?? null,
    ]),
    [
      ['p1', 1_000, 3_000, 'lost'],
      ['p2', 2_000, null, null],
    ],
  );
  assert.deepEqual(published, ['user-joined', 'user-left']);
  await db.close();
});
