import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MeetingRepository, type NewMeeting } from '../../src/db/MeetingRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { describeEachEngine, type TestEngine } from './dbRig.ts';

function meeting(tenantId: string, id: string, externalId: string, createdAt: number): NewMeeting {
  return {
    id,
    tenantId,
    externalId,
    room: id,
    name: `Meeting ${externalId}`,
    attendeePw: 'ap',
    moderatorPw: 'mp',
    record: true,
    durationMinutes: 90,
    maxParticipants: 25,
    createParams: { welcome: 'hi' },
    metadata: { 'bbb-origin': 'moodle' },
    createdAt,
  };
}

async function rig(engine: TestEngine) {
  const db = await engine.migrated();
  const tenants = new TenantRepository(db);
  const a = await tenants.create({ name: 'a', secrets: ['sa'] });
  const b = await tenants.create({ name: 'b', secrets: ['sb'] });
  return { db, meetings: new MeetingRepository(db), a, b };
}

describeEachEngine('MeetingRepository', (engine) => {
  it('createIfAbsent creates once per tenant and meetingID, and returns the active one after', async () => {
    const { db, meetings, a, b } = await rig(engine);
    const first = await meetings.createIfAbsent(meeting(a.id, 'i1', 'class', 100));
    assert.equal(first.created, true);
    assert.equal(first.meeting.id, 'i1');
    assert.equal(first.meeting.record, true);
    assert.equal(first.meeting.durationMinutes, 90);
    assert.deepEqual(first.meeting.createParams, { welcome: 'hi' });
    assert.deepEqual(first.meeting.metadata, { 'bbb-origin': 'moodle' });
    assert.equal(first.meeting.startedAt, undefined);

    const again = await meetings.createIfAbsent(meeting(a.id, 'i2', 'class', 200));
    assert.equal(again.created, false);
    assert.equal(again.meeting.id, 'i1');

    const otherTenant = await meetings.createIfAbsent(meeting(b.id, 'i3', 'class', 300));
    assert.equal(otherTenant.created, true);
    assert.equal(otherTenant.meeting.tenantId, b.id);
    await db.close();
  });

  it('concurrent creates of one meetingID produce exactly one meeting', async () => {
    const { db, meetings, a } = await rig(engine);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => meetings.createIfAbsent(meeting(a.id, `c${i}`, 'same', i))),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.equal(new Set(results.map((r) => r.meeting.id)).size, 1);
    await db.close();
  });

  it('after end, the meetingID can be created again; findLatest prefers the active instance', async () => {
    const { db, meetings, a } = await rig(engine);
    await meetings.createIfAbsent(meeting(a.id, 'i1', 'class', 100));
    assert.equal(await meetings.end('i1', 150, 'api'), true);
    assert.equal(await meetings.end('i1', 160, 'api'), false);
    assert.equal(await meetings.findActive(a.id, 'class'), undefined);
    const ended = await meetings.findLatest(a.id, 'class');
    assert.equal(ended?.endedAt, 150);
    assert.equal(ended?.endReason, 'api');

    const second = await meetings.createIfAbsent(meeting(a.id, 'i2', 'class', 200));
    assert.equal(second.created, true);
    assert.equal((await meetings.findLatest(a.id, 'class'))?.id, 'i2');
    assert.equal((await meetings.get('i1'))?.endedAt, 150);
    await db.close();
  });

  it('listActive is per tenant; listAllActive spans tenants; findActiveByRoom', async () => {
    const { db, meetings, a, b } = await rig(engine);
    await meetings.createIfAbsent(meeting(a.id, 'a1', 'one', 1));
    await meetings.createIfAbsent(meeting(a.id, 'a2', 'two', 2));
    await meetings.createIfAbsent(meeting(b.id, 'b1', 'one', 3));
    await meetings.end('a2', 5, 'empty');
    assert.deepEqual(
      (await meetings.listActive(a.id)).map((m) => m.id),
      ['a1'],
    );
    assert.deepEqual(
      (await meetings.listActive(b.id)).map((m) => m.id),
      ['b1'],
    );
    assert.deepEqual(
      (await meetings.listAllActive()).map((m) => m.id),
      ['a1', 'b1'],
    );
    assert.equal((await meetings.findActiveByRoom('b1'))?.tenantId, b.id);
    assert.equal(await meetings.findActiveByRoom('a2'), undefined);
    await db.close();
  });

  it('markStarted sets the start once; notePeakUsers only ever raises the peak', async () => {
    const { db, meetings, a } = await rig(engine);
    await meetings.createIfAbsent(meeting(a.id, 'i1', 'class', 100));
    await meetings.markStarted('i1', 110);
    await meetings.markStarted('i1', 120);
    await meetings.notePeakUsers('i1', 3);
    await meetings.notePeakUsers('i1', 2);
    await meetings.notePeakUsers('i1', 5);
    const m = await meetings.get('i1');
    assert.equal(m?.startedAt, 110);
    assert.equal(m?.peakUsers, 5);
    await db.close();
  });

  it('meetings created in the same millisecond are listed by id in code point order', async () => {
    const { db, meetings, a, b } = await rig(engine);
    await meetings.createIfAbsent(meeting(a.id, 'm_2', 'x', 7));
    await meetings.createIfAbsent(meeting(b.id, 'M3', 'y', 7));
    await meetings.createIfAbsent(meeting(a.id, 'm-1', 'z', 7));
    await meetings.createIfAbsent(meeting(a.id, 'first', 'w', 6));
    assert.deepEqual(
      (await meetings.listAllActive()).map((m) => m.id),
      ['first', 'M3', 'm-1', 'm_2'],
    );
    assert.deepEqual(
      (await meetings.listActive(a.id)).map((m) => m.id),
      ['first', 'm-1', 'm_2'],
    );
    await db.close();
  });
});
