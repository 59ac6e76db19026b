import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type RecordingRecord, RecordingRepository } from '../../src/db/RecordingRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { describeEachEngine, type TestEngine } from './dbRig.ts';

function recording(tenantId: string, recordId: string, over: Partial<RecordingRecord> = {}): RecordingRecord {
  return {
    recordId,
    tenantId,
    meetingId: recordId,
    externalMeetingId: 'class',
    name: 'Class',
    state: 'published',
    published: true,
    startTime: 1_000,
    endTime: 2_000,
    participants: 3,
    sizeBytes: 1234,
    metadata: { course: 'cs101' },
    playback: [{ type: 'video', url: 'https://x/v.webm', processingTimeMs: 10, lengthMinutes: 1 }],
    storagePath: `/rec/${recordId}`,
    createdAt: 2_000,
    updatedAt: 2_000,
    ...over,
  };
}

async function rig(engine: TestEngine) {
  const db = await engine.migrated();
  const tenants = new TenantRepository(db);
  const a = await tenants.create({ name: 'a', secrets: ['sa'] });
  const b = await tenants.create({ name: 'b', secrets: ['sb'] });
  const recordings = new RecordingRepository(db);
  await recordings.save(recording(a.id, 'aaa-1', { startTime: 1 }));
  await recordings.save(recording(a.id, 'aaa-2', { startTime: 2, externalMeetingId: 'other' }));
  await recordings.save(recording(a.id, 'abc-3', { startTime: 3, state: 'processing', published: false }));
  await recordings.save(recording(a.id, 'abd-4', { startTime: 4, metadata: { course: 'cs102' } }));
  await recordings.save(recording(b.id, 'bbb-1'));
  return { db, recordings, a, b };
}

describeEachEngine('RecordingRepository', (engine) => {
  it('list filters by tenant, meeting, record id prefix, state and metadata, newest first', async () => {
    const { db, recordings, a, b } = await rig(engine);
    const ids = (list: RecordingRecord[]) => list.map((r) => r.recordId);
    assert.deepEqual(ids(await recordings.list(a.id)), ['abd-4', 'aaa-2', 'aaa-1']);
    assert.deepEqual(ids(await recordings.list(b.id)), ['bbb-1']);
    assert.deepEqual(ids(await recordings.list(a.id, { states: 'any' })), [
      'abd-4',
      'abc-3',
      'aaa-2',
      'aaa-1',
    ]);
    assert.deepEqual(ids(await recordings.list(a.id, { externalMeetingIds: ['other'] })), ['aaa-2']);
    assert.deepEqual(ids(await recordings.list(a.id, { recordIds: ['aaa'] })), ['aaa-2', 'aaa-1']);
    assert.deepEqual(ids(await recordings.list(a.id, { meta: { course: ['cs102'] } })), ['abd-4']);
    assert.deepEqual(ids(await recordings.list(a.id, { offset: 1, limit: 1 })), ['aaa-2']);
    assert.deepEqual(ids(await recordings.list(a.id, { recordIds: ['bbb-1'] })), []);
    assert.deepEqual((await recordings.get(a.id, 'aaa-1'))?.playback[0]?.type, 'video');
    await db.close();
  });

  it('publish, metadata updates and delete are scoped to the tenant', async () => {
    const { db, recordings, a, b } = await rig(engine);
    assert.equal(await recordings.setPublished(b.id, ['aaa-1'], false), 0);
    assert.equal(await recordings.setPublished(a.id, ['aaa-1', 'abc-3'], false), 1);
    assert.equal((await recordings.get(a.id, 'aaa-1'))?.state, 'unpublished');
    assert.equal(await recordings.updateMetadata(a.id, ['aaa-1'], { title: 'Week 1' }, ['course']), 1);
    assert.deepEqual((await recordings.get(a.id, 'aaa-1'))?.metadata, { title: 'Week 1' });
    assert.equal(await recordings.markDeleted(b.id, ['aaa-1']), 0);
    assert.equal(await recordings.markDeleted(a.id, ['aaa-1']), 1);
    assert.equal(await recordings.markDeleted(a.id, ['aaa-1']), 0);
    assert.deepEqual(
      (await recordings.list(a.id)).map((r) => r.recordId),
      ['abd-4', 'aaa-2'],
    );
    await db.close();
  });

  it('recordings that started together are listed by record id in code point order', async () => {
    const { db, recordings, a } = await rig(engine);
    for (const id of ['m_2', 'M3', 'm-1']) await recordings.save(recording(a.id, id, { startTime: 9 }));
    assert.deepEqual((await recordings.list(a.id)).map((r) => r.recordId).slice(0, 3), ['M3', 'm-1', 'm_2']);
    await db.close();
  });

  it('an empty list of record ids changes nothing', async () => {
    const { db, recordings, a } = await rig(engine);
    assert.equal(await recordings.setPublished(a.id, [], false), 0);
    assert.equal(await recordings.markDeleted(a.id, []), 0);
    assert.equal(await recordings.updateMetadata(a.id, [], { x: 'y' }, []), 0);
    assert.deepEqual(await recordings.list(a.id, { states: [] }), []);
    assert.equal((await recordings.list(a.id)).length, 3);
    await db.close();
  });

  it('concurrent metadata updates of one recording keep every change', async () => {
    const { db, recordings, a } = await rig(engine);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        recordings.updateMetadata(a.id, ['aaa-1'], { [`k${i}`]: `${i}` }, []),
      ),
    );
    assert.deepEqual(Object.keys((await recordings.get(a.id, 'aaa-1'))?.metadata ?? {}).sort(), [
      'course',
      'k0',
      'k1',
      'k2',
      'k3',
      'k4',
      'k5',
      'k6',
      'k7',
    ]);
    await db.close();
  });
});
