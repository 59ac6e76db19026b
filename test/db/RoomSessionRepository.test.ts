import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RoomSessionRepository } from '../../src/db/RoomSessionRepository.ts';
import { describeEachEngine } from './dbRig.ts';

describeEachEngine('RoomSessionRepository', (engine) => {
  it('opens one session per room, records stays and the peak, and closes them with the room', async () => {
    const db = await engine.migrated();
    const sessions = new RoomSessionRepository(db);
    const first = await sessions.openIfAbsent('lobby', 100);
    assert.equal(first.opened, true);
    const again = await sessions.openIfAbsent('lobby', 150);
    assert.equal(again.opened, false);
    assert.equal(again.session.id, first.session.id);
    assert.equal(again.session.openedAt, 100);

    const id = first.session.id;
    assert.equal(await sessions.recordJoin(id, 'p1', 100), true);
    assert.equal(await sessions.recordJoin(id, 'p2', 110), true);
    assert.equal(await sessions.recordJoin(id, 'p2', 111), true, 'a repeated join changes nothing');
    assert.equal(await sessions.recordLeave(id, 'p1', 120, 'left'), true);
    assert.equal(await sessions.recordLeave(id, 'p1', 121, 'left'), false);
    await sessions.recordJoin(id, 'p3', 130);
    assert.equal((await sessions.get(id))?.peakUsers, 2);
    assert.equal((await sessions.get(id))?.lastSeenAt, 130);

    const closed = await sessions.close('lobby', 140, 'empty');
    assert.equal(closed?.closedAt, 140);
    assert.equal(closed?.closeReason, 'empty');
    assert.equal(await sessions.close('lobby', 141, 'empty'), undefined);
    assert.equal(await sessions.recordJoin(id, 'p4', 150), false, 'a closed session takes no one');
    assert.deepEqual(
      (await sessions.listAttendance(id)).map((a) => [a.participantId, a.joinedAt, a.leftAt, a.leaveReason]),
      [
        ['p1', 100, 120, 'left'],
        ['p2', 110, 140, 'room-empty'],
        ['p3', 130, 140, 'room-empty'],
      ],
    );

    const next = await sessions.openIfAbsent('lobby', 200);
    assert.equal(next.opened, true);
    assert.notEqual(next.session.id, id);
    await db.close();
  });

  it('two controllers opening the same room at once share one session', async () => {
    const db = await engine.migrated();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => new RoomSessionRepository(db).openIfAbsent('race', 10 + i)),
    );
    assert.equal(results.filter((r) => r.opened).length, 1);
    assert.equal(new Set(results.map((r) => r.session.id)).size, 1);
    assert.equal((await new RoomSessionRepository(db).listOpen()).length, 1);
    await db.close();
  });

  it('closes sessions nobody saw alive lately at the time they were last seen', async () => {
    const db = await engine.migrated();
    const sessions = new RoomSessionRepository(db);
    const old = (await sessions.openIfAbsent('crashed', 1_000)).session.id;
    await sessions.recordJoin(old, 'p', 1_000);
    const live = (await sessions.openIfAbsent('alive', 1_000)).session.id;
    await sessions.touch([live, old], 1_500);
    await sessions.touch([live], 9_000);
    assert.equal(await sessions.closeAbandoned(5_000), 1);
    const closed = await sessions.get(old);
    assert.equal(closed?.closedAt, 1_500);
    assert.equal(closed?.closeReason, 'abandoned');
    assert.equal((await sessions.listAttendance(old))[0]?.leftAt, 1_500);
    assert.deepEqual(
      (await sessions.listOpen()).map((s) => s.room),
      ['alive'],
    );
    await db.close();
  });
});
