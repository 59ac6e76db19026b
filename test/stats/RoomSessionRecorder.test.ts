import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ObservedParticipant } from '../../src/controller/RoomObserver.ts';
import { RoomSessionRepository } from '../../src/db/RoomSessionRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { Logger } from '../../src/log/Logger.ts';
import { RoomSessionRecorder } from '../../src/stats/RoomSessionRecorder.ts';
import { describeEachEngine } from '../db/dbRig.ts';

const person = (participantId: string): ObservedParticipant => ({
  participantId,
  name: participantId,
  role: 'viewer',
});

describeEachEngine('RoomSessionRecorder', (engine) => {
  it('records rooms outside the portal in the order things happened, and leaves portal meetings alone', async () => {
    const db = await engine.migrated();
    const tenant = await new TenantRepository(db).create({ name: 't', secrets: ['s'] });
    await db.execute(
      `INSERT INTO meetings (id, tenant_id, external_id, room, name, attendee_pw, moderator_pw, created_at)
       VALUES ('m1', ?, 'class', 'portal-room', 'Class', 'a', 'm', 1)`,
      [tenant.id],
    );
    let now = 1_000;
    const lines: string[] = [];
    const recorder = new RoomSessionRecorder({
      db,
      log: new Logger({ level: 'error', format: 'json', write: (line) => lines.push(line) }),
      now: () => now,
    });
    // Events arrive synchronously, faster than the database answers: the queue keeps their order.
    recorder.participantJoined('lobby', person('p1'));
    now = 1_010;
    recorder.participantJoined('lobby', person('p2'));
    now = 1_020;
    recorder.participantLeft('lobby', 'p1', 'left');
    now = 1_030;
    recorder.participantJoined('lobby', person('p3'));
    recorder.participantJoined('portal-room', person('x1'));
    recorder.participantLeft('portal-room', 'x1', 'left');
    recorder.roomClosed('portal-room', 'empty');
    now = 1_040;
    recorder.participantLeft('lobby', 'p2', 'left');
    now = 1_050;
    recorder.participantLeft('lobby', 'p3', 'timeout');
    recorder.roomClosed('lobby', 'empty');
    await recorder.flush();

    const sessions = new RoomSessionRepository(db);
    assert.deepEqual(await sessions.listOpen(), []);
    const rows = await db.query('SELECT id, room FROM room_sessions');
    assert.deepEqual(
      rows.map((r) => r.room),
      ['lobby'],
      'the portal meeting is not a room session',
    );
    const session = await sessions.get(String(rows[0]!.id));
    assert.equal(session?.openedAt, 1_000);
    assert.equal(session?.closedAt, 1_050);
    assert.equal(session?.peakUsers, 2);
    assert.deepEqual(
      (await sessions.listAttendance(session!.id)).map((a) => [
        a.participantId,
        a.joinedAt,
        a.leftAt,
        a.leaveReason,
      ]),
      [
        ['p1', 1_000, 1_020, 'left'],
        ['p2', 1_010, 1_040, 'left'],
        ['p3', 1_030, 1_050, 'timeout'],
      ],
    );
    assert.deepEqual(lines, []);
    await db.close();
  });

  it('a controller that adopted a room (failover) records its leaves and its closing', async () => {
    const db = await engine.migrated();
    const log = new Logger({ level: 'silent', format: 'json' });
    const before = new RoomSessionRecorder({ db, log, now: () => 100 });
    before.participantJoined('lobby', person('p1'));
    before.participantJoined('lobby', person('p2'));
    await before.flush();
    // The first home died; the new home never saw anyone join.
    const after = new RoomSessionRecorder({ db, log, now: () => 200 });
    after.participantLeft('lobby', 'p1', 'left');
    after.participantJoined('lobby', person('p3'));
    after.roomClosed('lobby', 'empty');
    await after.flush();
    const [session] = await db.query('SELECT id, closed_at, peak_users FROM room_sessions');
    assert.equal(session?.closed_at, 200);
    assert.equal(session?.peak_users, 2);
    const stays = await new RoomSessionRepository(db).listAttendance(String(session?.id));
    assert.deepEqual(
      stays.map((a) => [a.participantId, a.joinedAt, a.leftAt, a.leaveReason]),
      [
        ['p1', 100, 200, 'left'],
        ['p2', 100, 200, 'room-empty'],
        ['p3', 200, 200, 'room-empty'],
      ],
    );
    await db.close();
  });

  it('a failing database is logged and never thrown at the room', async () => {
    const db = await engine.migrated();
    await db.close();
    const lines: string[] = [];
    const recorder = new RoomSessionRecorder({
      db,
      log: new Logger({ level: 'error', format: 'json', write: (line) => lines.push(line) }),
    });
    assert.doesNotThrow(() => recorder.participantJoined('lobby', person('p1')));
    assert.doesNotThrow(() => recorder.roomClosed('lobby', 'empty'));
    await recorder.flush();
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /could not record a join/);
  });
});
