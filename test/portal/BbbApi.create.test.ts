import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { child, names, text } from './miniXml.ts';
import { PortalRig, SECRET_B } from './portalRig.ts';

let rig: PortalRig;
before(async () => {
  rig = await PortalRig.start();
});
after(() => rig.close());

const CREATE_ELEMENTS = [
  'returncode',
  'meetingID',
  'internalMeetingID',
  'parentMeetingID',
  'attendeePW',
  'moderatorPW',
  'createTime',
  'voiceBridge',
  'dialNumber',
  'createDate',
  'hasUserJoined',
  'duration',
  'hasBeenForciblyEnded',
  'messageKey',
  'message',
];

test("create answers in BigBlueButton's shape and element order", async () => {
  rig.now = Date.UTC(2018, 6, 9, 17, 3, 29, 613);
  const doc = await rig.xml('create', {
    name: 'Test',
    meetingID: 'test01',
    attendeePW: 'ap',
    moderatorPW: 'mp',
  });
  assert.equal(doc.name, 'response');
  assert.deepEqual(names(doc), CREATE_ELEMENTS);
  assert.equal(text(doc, 'returncode'), 'SUCCESS');
  assert.equal(text(doc, 'meetingID'), 'test01');
  assert.match(text(doc, 'internalMeetingID'), /^[0-9a-f]{40}-1531155809613$/);
  assert.equal(text(doc, 'parentMeetingID'), 'bbb-none');
  assert.equal(text(doc, 'attendeePW'), 'ap');
  assert.equal(text(doc, 'moderatorPW'), 'mp');
  assert.equal(text(doc, 'createTime'), '1531155809613');
  assert.match(text(doc, 'voiceBridge'), /^7\d{4}$/);
  assert.equal(text(doc, 'createDate'), 'Mon Jul 09 17:03:29 UTC 2018');
  assert.equal(text(doc, 'hasUserJoined'), 'false');
  assert.equal(text(doc, 'duration'), '0');
  assert.equal(text(doc, 'hasBeenForciblyEnded'), 'false');
  assert.equal(text(doc, 'messageKey'), '');
  assert.equal(text(doc, 'message'), '');
});

test('create is idempotent: the same call again is SUCCESS with duplicateWarning and the same meeting', async () => {
  const params = { name: 'Idem', meetingID: 'idem-1', attendeePW: 'ap', moderatorPW: 'mp' };
  const first = await rig.xml('create', params);
  rig.now += 5_000;
  const second = await rig.xml('create', params);
  assert.equal(text(second, 'returncode'), 'SUCCESS');
  assert.equal(text(second, 'messageKey'), 'duplicateWarning');
  assert.equal(
    text(second, 'message'),
    'This conference was already in existence and may currently be in progress.',
  );
  assert.equal(text(second, 'internalMeetingID'), text(first, 'internalMeetingID'));
  assert.equal(text(second, 'createTime'), text(first, 'createTime'));
  assert.equal(rig.runtime.ensured.filter((s) => s.room === text(first, 'internalMeetingID')).length, 1);
});

test('a repeat with other parameters but the same (or no) passwords keeps the first meeting', async () => {
  const first = await rig.xml('create', {
    name: 'Original',
    meetingID: 'dup-1',
    attendeePW: 'ap',
    moderatorPW: 'mp',
    record: 'true',
  });
  const renamed = await rig.xml('create', {
    name: 'Renamed',
    meetingID: 'dup-1',
    attendeePW: 'ap',
    moderatorPW: 'mp',
    duration: '5',
  });
  assert.equal(text(renamed, 'messageKey'), 'duplicateWarning');
  assert.equal(text(renamed, 'duration'), '0');
  const noPasswords = await rig.xml('create', { name: 'Again', meetingID: 'dup-1' });
  assert.equal(text(noPasswords, 'messageKey'), 'duplicateWarning');
  assert.equal(text(noPasswords, 'attendeePW'), 'ap');
  const info = await rig.xml('getMeetingInfo', { meetingID: 'dup-1' });
  assert.equal(text(info, 'meetingName'), 'Original');
  assert.equal(text(info, 'internalMeetingID'), text(first, 'internalMeetingID'));
});

test('a repeat with different passwords is idNotUnique', async () => {
  await rig.xml('create', { name: 'Pw', meetingID: 'dup-2', attendeePW: 'ap', moderatorPW: 'mp' });
  const clash = await rig.xml('create', {
    name: 'Pw',
    meetingID: 'dup-2',
    attendeePW: 'other',
    moderatorPW: 'mp',
  });
  assert.deepEqual(names(clash), ['returncode', 'messageKey', 'message']);
  assert.equal(text(clash, 'returncode'), 'FAILED');
  assert.equal(text(clash, 'messageKey'), 'idNotUnique');
});

test('without passwords the meeting gets random ones, reported back', async () => {
  const doc = await rig.xml('create', { meetingID: 'nopw-1' });
  assert.match(text(doc, 'attendeePW'), /^[a-z0-9]{8}$/);
  assert.match(text(doc, 'moderatorPW'), /^[a-z0-9]{8}$/);
  assert.notEqual(text(doc, 'attendeePW'), text(doc, 'moderatorPW'));
  const info = await rig.xml('getMeetingInfo', { meetingID: 'nopw-1' });
  assert.equal(text(info, 'meetingName'), 'nopw-1');
});

test('name, record, duration, maxParticipants, logoutURL, welcome and meta_* are honoured', async () => {
  const doc = await rig.xml('create', {
    name: 'Physics 101',
    meetingID: 'params-1',
    record: 'TRUE',
    duration: '45',
    maxParticipants: '30',
    logoutURL: 'https://lms.example/course/7',
    welcome: 'Welcome to %%CONFNAME%%!',
    voiceBridge: '12345',
    dialNumber: '+1-555-0100',
    meta_bbb_origin: 'ignored: underscore is not allowed in meta names',
    'meta_BBB-Origin': 'Moodle',
    meta_endCallbackUrl: 'https://lms.example/ended',
  });
  assert.equal(text(doc, 'duration'), '45');
  assert.equal(text(doc, 'voiceBridge'), '12345');
  assert.equal(text(doc, 'dialNumber'), '+1-555-0100');
  const settings = rig.runtime.ensured.find((s) => s.room === text(doc, 'internalMeetingID'));
  assert.deepEqual(
    settings && {
      tenantId: settings.tenantId,
      region: settings.region,
      meetingName: settings.meetingName,
      welcome: settings.welcome,
      maxParticipants: settings.maxParticipants,
      durationMinutes: settings.durationMinutes,
      record: settings.record,
      logoutURL: settings.createParams.logoutURL,
    },
    {
      tenantId: rig.tenantA.id,
      region: 'eu',
      meetingName: 'Physics 101',
      welcome: 'Welcome to Physics 101!',
      maxParticipants: 30,
      durationMinutes: 45,
      record: true,
      logoutURL: 'https://lms.example/course/7',
    },
  );
  const info = await rig.xml('getMeetingInfo', { meetingID: 'params-1' });
  assert.equal(text(info, 'recording'), 'true');
  assert.equal(text(info, 'maxUsers'), '30');
  assert.deepEqual(
    child(info, 'metadata').children.map((c) => [c.name, c.text]),
    [
      ['bbb-origin', 'Moodle'],
      ['endcallbackurl', 'https://lms.example/ended'],
    ],
  );
});

test('create without meetingID, or with a bad one, fails the BBB way', async () => {
  const missing = await rig.xml('create', { name: 'x' });
  assert.equal(text(missing, 'returncode'), 'FAILED');
  assert.equal(text(missing, 'messageKey'), 'missingParamMeetingID');
  assert.equal(text(missing, 'message'), 'You must specify a meeting ID for the meeting.');
  const blank = await rig.xml('create', { name: 'x', meetingID: '   ' });
  assert.equal(text(blank, 'messageKey'), 'missingParamMeetingID');
  const comma = await rig.xml('create', { name: 'x', meetingID: 'a,b' });
  assert.equal(text(comma, 'messageKey'), 'validationError');
  const long = await rig.xml('create', { name: 'x', meetingID: 'm'.repeat(257) });
  assert.equal(text(long, 'messageKey'), 'validationError');
  const longName = await rig.xml('create', { name: 'n'.repeat(300), meetingID: 'long-name' });
  assert.equal(text(longName, 'messageKey'), 'validationError');
});

test('when the live system refuses the meeting, create fails and leaves no active meeting', async () => {
  rig.runtime.failEnsure = true;
  try {
    const doc = await rig.xml('create', { name: 'Full', meetingID: 'refused-1' });
    assert.equal(text(doc, 'returncode'), 'FAILED');
    assert.equal(text(doc, 'messageKey'), 'internalError');
  } finally {
    rig.runtime.failEnsure = false;
  }
  assert.equal(await rig.meetings.findActive(rig.tenantA.id, 'refused-1'), undefined);
  const retry = await rig.xml('create', { name: 'Full', meetingID: 'refused-1' });
  assert.equal(text(retry, 'returncode'), 'SUCCESS');
  assert.equal(text(retry, 'messageKey'), '');
});

test('a meeting created again after end is a new instance', async () => {
  const first = await rig.xml('create', { meetingID: 'again-1' });
  await rig.xml('end', { meetingID: 'again-1' });
  const second = await rig.xml('create', { meetingID: 'again-1' });
  assert.equal(text(second, 'messageKey'), '');
  assert.notEqual(text(second, 'internalMeetingID'), text(first, 'internalMeetingID'));
});

test('create, end and create within one millisecond still gets a distinct instance', async () => {
  const first = await rig.xml('create', { meetingID: 'same-ms' });
  await rig.xml('end', { meetingID: 'same-ms' });
  const second = await rig.xml('create', { meetingID: 'same-ms' });
  assert.equal(text(second, 'returncode'), 'SUCCESS');
  assert.notEqual(text(second, 'internalMeetingID'), text(first, 'internalMeetingID'));
  assert.equal(Number(text(second, 'createTime')), rig.now + 1);
});

test('the room of a meeting is its internal id, so rooms never collide across tenants', async () => {
  const a = await rig.xml('create', { meetingID: 'shared-name' });
  const b = await rig.xml('create', { meetingID: 'shared-name' }, { secret: SECRET_B });
  assert.notEqual(text(a, 'internalMeetingID'), text(b, 'internalMeetingID'));
  assert.equal(text(b, 'messageKey'), '');
});

test('a logoutURL that is not an absolute http(s) URL is dropped, and create still succeeds as on BigBlueButton', async () => {
  const unsafe = [
    'javascript:alert(document.cookie)',
    ' JavaScript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '/relative/path',
    'lms.example/no-scheme',
    'ftp://files.example/',
    'http://',
  ];
  for (const [i, logoutURL] of unsafe.entries()) {
    const doc = await rig.xml('create', { meetingID: `unsafe-logout-${i}`, logoutURL });
    assert.equal(text(doc, 'returncode'), 'SUCCESS', logoutURL);
    const settings = rig.runtime.ensured.find((s) => s.room === text(doc, 'internalMeetingID'));
    assert.ok(settings, logoutURL);
    assert.equal(settings.createParams.logoutURL, undefined, `${logoutURL} is not kept`);
  }
  assert.ok(
    rig.logLines.some((line) => line.includes('ignored a logoutURL') && line.includes('javascript:alert')),
    'the operator can see why',
  );
  const kept = await rig.xml('create', {
    meetingID: 'safe-logout',
    logoutURL: 'HTTPS://LMS.example/Back?x=1',
  });
  const settings = rig.runtime.ensured.find((s) => s.room === text(kept, 'internalMeetingID'));
  assert.equal(settings?.createParams.logoutURL, 'HTTPS://LMS.example/Back?x=1');
});

test("welcome's BigBlueButton keywords are filled in: %%CONFNAME%%, %%CONFNUM%%, %%DIALNUM%%", async () => {
  const doc = await rig.xml('create', {
    meetingID: 'keywords-1',
    name: 'Chemistry',
    voiceBridge: '54321',
    dialNumber: '+1-555-0199',
    welcome: '<b>%%CONFNAME%%</b>: dial %%DIALNUM%%, PIN %%CONFNUM%%',
  });
  const settings = rig.runtime.ensured.find((s) => s.room === text(doc, 'internalMeetingID'));
  assert.equal(settings?.welcome, '<b>Chemistry</b>: dial +1-555-0199, PIN 54321');
});
