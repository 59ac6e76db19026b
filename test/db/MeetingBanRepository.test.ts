import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MeetingBanRepository } from '../../src/db/MeetingBanRepository.ts';
import { MeetingRepository } from '../../src/db/MeetingRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { describeEachEngine } from './dbRig.ts';

describeEachEngine('MeetingBanRepository', (engine) => {
  it('a removed user is banned from that meeting only, once however often removed', async () => {
    const db = await engine.migrated();
    const tenant = await new TenantRepository(db).create({ name: 't', secrets: ['s'] });
    const meetings = new MeetingRepository(db);
    for (const id of ['m1', 'm2']) {
      await meetings.createIfAbsent({
        id,
        tenantId: tenant.id,
        externalId: id,
        room: id,
        name: id,
        attendeePw: 'ap',
        moderatorPw: 'mp',
        record: false,
        durationMinutes: 0,
        maxParticipants: 0,
        createParams: {},
        metadata: {},
        createdAt: 1,
      });
    }
    const bans = new MeetingBanRepository(db);
    assert.equal(await bans.isBanned('m1', 'u1'), false);
    await Promise.all([bans.ban('m1', 'u1', 10), bans.ban('m1', 'u1', 11)]);
    assert.equal(await bans.isBanned('m1', 'u1'), true);
    assert.equal(await bans.isBanned('m2', 'u1'), false, 'another meeting');
    assert.equal(await bans.isBanned('m1', 'u2'), false, 'another user');
    await db.close();
  });
});
