import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AttendanceRepository } from '../../src/db/AttendanceRepository.ts';
import { describeEachEngine, tenantWithMeetings } from './dbRig.ts';

describeEachEngine('AttendanceRepository', (engine) => {
  it('joins and leaves are recorded per participant session', async () => {
    const db = await engine.migrated();
    const { tenantId } = await tenantWithMeetings(db);
    const attendance = new AttendanceRepository(db);
    const base = { meetingId: 'm1', tenantId: tenantId };
    await attendance.recordJoin({
      ...base,
      participantId: 'p1',
      userId: 'u1',
      fullName: 'Ada',
      role: 'moderator',
      joinedAt: 10,
    });
    await attendance.recordJoin({
      ...base,
      participantId: 'p2',
      userId: 'u2',
      fullName: 'Bob',
      role: 'viewer',
      joinedAt: 20,
    });
    assert.equal(await attendance.countOpen('m1'), 2);
    assert.equal(await attendance.lastLeftAt('m1'), undefined);

    assert.equal(await attendance.recordLeave('m1', 'p2', 30, 'left'), true);
    assert.equal(await attendance.recordLeave('m1', 'p2', 31, 'left'), false);
    assert.equal(await attendance.countOpen('m1'), 1);

    assert.equal(await attendance.closeAll('m1', 40, 'meeting-ended'), 1);
    assert.equal(await attendance.lastLeftAt('m1'), 40);
    const rows = await attendance.listForMeeting('m1');
    assert.deepEqual(
      rows.map((r) => [r.participantId, r.userId, r.role, r.joinedAt, r.leftAt, r.leaveReason]),
      [
        ['p1', 'u1', 'moderator', 10, 40, 'meeting-ended'],
        ['p2', 'u2', 'viewer', 20, 30, 'left'],
      ],
    );
    await db.close();
  });

  it('a join recorded twice (by the old and the new home of a room) opens one session', async () => {
    const db = await engine.migrated();
    const { tenantId } = await tenantWithMeetings(db);
    const attendance = new AttendanceRepository(db);
    const join = {
      meetingId: 'm1',
      tenantId: tenantId,
      participantId: 'p1',
      userId: 'u1',
      fullName: 'Ada',
      role: 'viewer' as const,
      joinedAt: 10,
    };
    const [first, second] = await Promise.all([attendance.recordJoin(join), attendance.recordJoin(join)]);
    assert.equal([first, second].filter((r) => r !== undefined).length, 1, 'one of them opened it');
    assert.equal(await attendance.countOpen('m1'), 1);
    // Once it is closed, the same participant id may open a new one (nothing reuses ids, but nothing forbids it).
    assert.equal(await attendance.recordLeave('m1', 'p1', 20, 'left'), true);
    assert.ok(await attendance.recordJoin({ ...join, joinedAt: 30 }));
    assert.equal((await attendance.listForMeeting('m1')).length, 2);
    await db.close();
  });
});
