import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MeetingBanRepository } from '../../src/db/MeetingBanRepository.ts';
import { describeEachEngine, tenantWithMeetings } from './dbRig.ts';

describeEachEngine('MeetingBanRepository', (engine) => {
  it('a removed user is banned from that meeting only, once however often removed', async () => {
    const db = await engine.migrated();
    await tenantWithMeetings(db, ['m1', 'm2']);
    const bans = new MeetingBanRepository(db);
    assert.equal(await bans.isBanned('m1', 'u1'), false);
    await Promise.all([bans.ban('m1', 'u1', 10), bans.ban('m1', 'u1', 11)]);
    assert.equal(await bans.isBanned('m1', 'u1'), true);
    assert.equal(await bans.isBanned('m2', 'u1'), false, 'another meeting');
    assert.equal(await bans.isBanned('m1', 'u2'), false, 'another user');
    await db.close();
  });
});
