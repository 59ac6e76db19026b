import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { child, names, text } from './miniXml.ts';
import { PortalRig } from './portalRig.ts';

let rig: PortalRig;
before(async () => {
  rig = await PortalRig.start();
});
after(() => rig.close());

const MEETING_ELEMENTS = [
  'meetingName',
  'meetingID',
  'internalMeetingID',
  'createTime',
  'createDate',
  'voiceBridge',
  'dialNumber',
  'attendeePW',
  'moderatorPW',
  'running',
  'duration',
  'hasUserJoined',
  'recording',
  'hasBeenForciblyEnded',
  'startTime',
  'endTime',
  'participantCount',
  'listenerCount',
  'voiceParticipantCount',
  'videoCount',
  'maxUsers',
  'moderatorCount',
  'attendees',
  'metadata',
  'isBreakout',
];

test('getMeetings with no meetings: SUCCESS, empty <meetings>, noMeetings', async () => {
  const doc = await rig.xml('getMeetings', {});
  assert.deepEqual(names(doc), ['returncode', 'meetings', 'messageKey', 'message']);
  assert.equal(text(doc, 'returncode'), 'SUCCESS');
  assert.equal(child(doc, 'meetings').children.length, 0);
  assert.equal(text(doc, 'messageKey'), 'noMeetings');
  assert.equal(text(doc, 'message'), 'no meetings were found on this server');
});

test('isMeetingRunning: false for unknown and for created-but-empty meetings, true with people in', async () => {
  assert.deepEqual(names(await rig.xml('isMeetingRunning', { meetingID: 'unknown' })), [
    'returncode',
    'running',
  ]);
  assert.equal(text(await rig.xml('isMeetingRunning', { meetingID: 'unknown' }), 'running'), 'false');
  const created = await rig.xml('create', { name: 'Run', meetingID: 'run-1' });
  const room = text(created, 'internalMeetingID');
  assert.equal(text(await rig.xml('isMeetingRunning', { meetingID: 'run-1' }), 'running'), 'false');
  rig.runtime.addParticipant(room, { participantId: 'p1' });
  assert.equal(text(await rig.xml('isMeetingRunning', { meetingID: 'run-1' }), 'running'), 'true');
  const missing = await rig.xml('isMeetingRunning', {});
  assert.equal(text(missing, 'messageKey'), 'missingParamMeetingID');
});

test("getMeetingInfo reports the meeting, the live attendees and the metadata in BBB's order", async () => {
  const created = await rig.xml('create', {
    name: 'Info & <More>',
    meetingID: 'info-1',
    attendeePW: 'ap',
    moderatorPW: 'mp',
    maxParticipants: '10',
    duration: '60',
    record: 'true',
    'meta_bbb-origin': 'greenlight',
  });
  const room = text(created, 'internalMeetingID');
  rig.runtime.addParticipant(room, {
    participantId: 'p1',
    userId: 'u1',
    fullName: 'Ada',
    role: 'moderator',
    hasAudio: true,
    hasVideo: true,
  });
  rig.runtime.addParticipant(room, {
    participantId: 'p2',
    fullName: 'Bob <b>',
    role: 'viewer',
    hasAudio: false,
  });
  const doc = await rig.xml('getMeetingInfo', { meetingID: 'info-1' });
  assert.deepEqual(names(doc), ['returncode', ...MEETING_ELEMENTS]);
  assert.equal(text(doc, 'meetingName'), 'Info & <More>');
  assert.equal(text(doc, 'internalMeetingID'), room);
  assert.equal(text(doc, 'running'), 'true');
  assert.equal(text(doc, 'duration'), '60');
  assert.equal(text(doc, 'recording'), 'true');
  assert.equal(text(doc, 'startTime'), text(created, 'createTime'));
  assert.equal(text(doc, 'endTime'), '0');
  assert.equal(text(doc, 'participantCount'), '2');
  assert.equal(text(doc, 'listenerCount'), '1');
  assert.equal(text(doc, 'voiceParticipantCount'), '1');
  assert.equal(text(doc, 'videoCount'), '1');
  assert.equal(text(doc, 'maxUsers'), '10');
  assert.equal(text(doc, 'moderatorCount'), '1');
  const attendees = child(doc, 'attendees').children;
  assert.deepEqual(names(attendees[0]!), [
    'userID',
    'fullName',
    'role',
    'isPresenter',
    'isListeningOnly',
    'hasJoinedVoice',
    'hasVideo',
    'clientType',
  ]);
  assert.deepEqual(
    attendees.map((a) => [text(a, 'userID'), text(a, 'fullName'), text(a, 'role'), text(a, 'hasVideo')]),
    [
      ['u1', 'Ada', 'MODERATOR', 'true'],
      ['p2', 'Bob <b>', 'VIEWER', 'false'],
    ],
  );
  assert.equal(text(child(doc, 'metadata'), 'bbb-origin'), 'greenlight');
  assert.equal(text(doc, 'isBreakout'), 'false');
});

test('getMeetingInfo for an unknown meeting is notFound; a missing meetingID is missingParamMeetingID', async () => {
  const doc = await rig.xml('getMeetingInfo', { meetingID: 'never-created' });
  assert.deepEqual(names(doc), ['returncode', 'messageKey', 'message']);
  assert.equal(text(doc, 'returncode'), 'FAILED');
  assert.equal(text(doc, 'messageKey'), 'notFound');
  assert.equal(text(await rig.xml('getMeetingInfo', {}), 'messageKey'), 'missingParamMeetingID');
});

test('getMeetings lists the active meetings with the same fields as getMeetingInfo', async () => {
  const doc = await rig.xml('getMeetings', {});
  assert.deepEqual(names(doc), ['returncode', 'meetings']);
  const meetings = child(doc, 'meetings').children;
  assert.ok(meetings.length >= 2);
  for (const meeting of meetings) {
    assert.equal(meeting.name, 'meeting');
    assert.deepEqual(names(meeting), MEETING_ELEMENTS);
  }
  assert.ok(meetings.some((m) => text(m, 'meetingID') === 'info-1' && text(m, 'participantCount') === '2'));
});

test('end: sentEndMeetingRequest, the room is ended for everyone, the meeting is no longer running', async () => {
  const created = await rig.xml('create', { meetingID: 'end-1', attendeePW: 'ap', moderatorPW: 'mp' });
  const room = text(created, 'internalMeetingID');
  rig.runtime.addParticipant(room, { participantId: 'p1' });
  const wrong = await rig.xml('end', { meetingID: 'end-1', password: 'ap' });
  assert.equal(text(wrong, 'messageKey'), 'invalidPassword');
  assert.equal(text(wrong, 'message'), 'You must supply the moderator password for this call.');
  rig.now += 60_000;
  const doc = await rig.xml('end', { meetingID: 'end-1', password: 'mp' });
  assert.deepEqual(names(doc), ['returncode', 'messageKey', 'message']);
  assert.equal(text(doc, 'returncode'), 'SUCCESS');
  assert.equal(text(doc, 'messageKey'), 'sentEndMeetingRequest');
  assert.deepEqual(rig.runtime.ended, [room]);
  assert.equal(text(await rig.xml('isMeetingRunning', { meetingID: 'end-1' }), 'running'), 'false');
  const info = await rig.xml('getMeetingInfo', { meetingID: 'end-1' });
  assert.equal(text(info, 'hasBeenForciblyEnded'), 'true');
  assert.equal(text(info, 'running'), 'false');
  assert.equal(text(info, 'endTime'), String(rig.now));
  const listed = child(await rig.xml('getMeetings', {}), 'meetings').children.map((m) =>
    text(m, 'meetingID'),
  );
  assert.ok(!listed.includes('end-1'));
  const again = await rig.xml('end', { meetingID: 'end-1' });
  assert.equal(text(again, 'messageKey'), 'notFound');
  // Ended long ago, it is gone from getMeetingInfo too.
  rig.now += 2 * 3_600_000;
  assert.equal(text(await rig.xml('getMeetingInfo', { meetingID: 'end-1' }), 'messageKey'), 'notFound');
});

test('end needs no password (the checksum is the authority) and a missing meetingID is reported', async () => {
  await rig.xml('create', { meetingID: 'end-2' });
  assert.equal(text(await rig.xml('end', { meetingID: 'end-2' }), 'returncode'), 'SUCCESS');
  assert.equal(text(await rig.xml('end', {}), 'messageKey'), 'missingParamMeetingID');
});
