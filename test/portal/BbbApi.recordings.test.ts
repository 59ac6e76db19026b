import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { child, names, text } from './miniXml.ts';
import { PortalRig, SECRET_B } from './portalRig.ts';

let rig: PortalRig;
before(async () => {
  rig = await PortalRig.start();
});
after(() => rig.close());

test('getRecordings without recordings: SUCCESS, empty <recordings>, noRecordings', async () => {
  const doc = await rig.xml('getRecordings', {});
  assert.deepEqual(names(doc), ['returncode', 'recordings', 'messageKey', 'message']);
  assert.equal(text(doc, 'returncode'), 'SUCCESS');
  assert.equal(child(doc, 'recordings').children.length, 0);
  assert.equal(text(doc, 'messageKey'), 'noRecordings');
  assert.equal(text(doc, 'message'), 'There are no recordings for the meeting(s).');
  assert.equal(
    text(await rig.xml('getRecordings', { meetingID: 'a,b', state: 'any' }), 'messageKey'),
    'noRecordings',
  );
});

test('getRecordings lists the tenant’s recordings; publish, update and delete act on them', async () => {
  await rig.recordings.save({
    recordId: 'rec-1',
    tenantId: rig.tenantA.id,
    meetingId: 'rec-1',
    externalMeetingId: 'class',
    name: 'Class',
    state: 'published',
    published: true,
    startTime: 1_000,
    endTime: 121_000,
    participants: 4,
    sizeBytes: 99,
    metadata: { course: 'cs101' },
    playback: [
      { type: 'video', url: 'https://meet.example/rec/rec-1.webm', processingTimeMs: 5, lengthMinutes: 0 },
    ],
    storagePath: '/data/rec-1',
    createdAt: 121_000,
    updatedAt: 121_000,
  });
  const doc = await rig.xml('getRecordings', { meetingID: 'class' });
  const recording = child(child(doc, 'recordings'), 'recording');
  assert.deepEqual(names(recording), [
    'recordID',
    'meetingID',
    'internalMeetingID',
    'name',
    'isBreakout',
    'published',
    'state',
    'startTime',
    'endTime',
    'participants',
    'rawSize',
    'metadata',
    'size',
    'playback',
    'data',
  ]);
  assert.equal(text(recording, 'recordID'), 'rec-1');
  assert.equal(text(child(recording, 'metadata'), 'course'), 'cs101');
  const format = child(child(recording, 'playback'), 'format');
  assert.equal(text(format, 'type'), 'video');
  assert.equal(text(format, 'length'), '2');

  assert.equal(text(await rig.xml('getRecordings', {}, { secret: SECRET_B }), 'messageKey'), 'noRecordings');
  assert.equal(
    text(
      await rig.xml('publishRecordings', { recordID: 'rec-1', publish: 'false' }, { secret: SECRET_B }),
      'messageKey',
    ),
    'notFound',
  );

  const unpublished = await rig.xml('publishRecordings', { recordID: 'rec-1', publish: 'false' });
  assert.deepEqual([text(unpublished, 'returncode'), text(unpublished, 'published')], ['SUCCESS', 'false']);
  const updated = await rig.xml('updateRecordings', {
    recordID: 'rec-1',
    meta_title: 'Week 1',
    meta_course: '',
  });
  assert.equal(text(updated, 'updated'), 'true');
  assert.deepEqual((await rig.recordings.get(rig.tenantA.id, 'rec-1'))?.metadata, { title: 'Week 1' });
  const deleted = await rig.xml('deleteRecordings', { recordID: 'rec-1' });
  assert.equal(text(deleted, 'deleted'), 'true');
  assert.equal(text(await rig.xml('getRecordings', {}), 'messageKey'), 'noRecordings');
});

test('recording calls need a recordID (and publish a value)', async () => {
  assert.equal(
    text(await rig.xml('publishRecordings', { publish: 'true' }), 'messageKey'),
    'missingParamRecordID',
  );
  assert.equal(
    text(await rig.xml('publishRecordings', { recordID: 'x' }), 'messageKey'),
    'missingParamPublish',
  );
  assert.equal(text(await rig.xml('deleteRecordings', {}), 'messageKey'), 'missingParamRecordID');
  assert.equal(text(await rig.xml('updateRecordings', {}), 'messageKey'), 'missingParamRecordID');
  assert.equal(text(await rig.xml('deleteRecordings', { recordID: 'nope' }), 'messageKey'), 'notFound');
});
