import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ControllerError } from '../../src/controller/ControllerError.ts';
import type { Database } from '../../src/db/Database.ts';
import { MeetingBanRepository } from '../../src/db/MeetingBanRepository.ts';
import type { MeetingRepository } from '../../src/db/MeetingRepository.ts';
import { JoinTokens } from '../../src/portal/JoinTokens.ts';
import { PortalAdmission } from '../../src/portal/PortalAdmission.ts';
import { newMeeting, tenantWithMeetings } from '../db/dbRig.ts';
import { openPortalDatabase } from './portalRig.ts';

let db: Database;
let admission: PortalAdmission;
let bans: MeetingBanRepository;
let meetings: MeetingRepository;
let tenantId: string;
const tokens = new JoinTokens('join-secret', 300);

before(async () => {
  db = await openPortalDatabase();
  ({ tenantId, meetings } = await tenantWithMeetings(db, ['m1'], {
    tenant: { region: 'eu' },
    meeting: { createdAt: Date.now() },
  }));
  bans = new MeetingBanRepository(db);
  admission = new PortalAdmission(tokens, meetings, bans);
});
after(() => db.close());

function tokenFor(userId: string, extra: { region?: string; room?: string } = {}): string {
  return tokens.issue({
    tenantId,
    meetingId: 'm1',
    room: extra.room ?? 'm1',
    fullName: `User ${userId}`,
    role: 'viewer',
    userId,
    internalUserId: `w_${userId}`,
    ...(extra.region ? { region: extra.region } : {}),
  }).token;
}

async function refusal(promise: Promise<unknown>): Promise<ControllerError> {
  const error = await promise.then(
    () => assert.fail('admitted'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ControllerError, String(error));
  return error;
}

test('the join link admits as the portal named the person, in the region it carries', async () => {
  const admitted = await admission.admit({
    room: 'm1',
    name: 'typed',
    joinToken: tokenFor('u1', { region: 'us-east' }),
  });
  assert.deepEqual(admitted, {
    name: 'User u1',
    role: 'viewer',
    externalUserId: 'u1',
    region: 'us-east',
    meetingName: 'm1',
  });
  const without = await admission.admit({ room: 'm1', name: 'typed', joinToken: tokenFor('u2') });
  assert.equal(without.region, undefined, 'no region: placement decides without one');
});

test('no link, a link for another room, or a banned user: refused with a reason the page shows', async () => {
  assert.equal((await refusal(admission.admit({ room: 'm1', name: 'Mallory' }))).code, 'forbidden');
  const foreign = await refusal(admission.admit({ room: 'other', name: 'x', joinToken: tokenFor('u1') }));
  assert.equal(foreign.code, 'forbidden');
  await bans.ban('m1', 'u3', Date.now());
  const banned = await refusal(admission.admit({ room: 'm1', name: 'x', joinToken: tokenFor('u3') }));
  assert.equal(banned.code, 'forbidden');
  assert.match(banned.message, /removed you from this meeting/);
});

test('a room no portal meeting runs in stays open', async () => {
  const admitted = await admission.admit({ room: 'open-room', name: 'Guest' });
  assert.equal(admitted.name, 'Guest');
});

test('the admission hands the page the meeting’s welcome as plain text and the link’s logout URL', async () => {
  await meetings.createIfAbsent({
    id: 'm-welcome',
    tenantId,
    externalId: 'welcome-class',
    room: 'm-welcome',
    name: 'Welcome class',
    attendeePw: 'ap',
    moderatorPw: 'mp',
    record: false,
    durationMinutes: 0,
    maxParticipants: 0,
    createParams: {
      welcome:
        'Welcome to <b>Welcome class</b>!<br><br>See <a href="https://help.example/x?a=1&amp;b=2">the guide</a>. <img src=x onerror="alert(1)">5 &lt; 6 &amp; &#x1F600;',
    },
    metadata: {},
    createdAt: Date.now(),
  });
  const invite = (logoutUrl?: string) =>
    tokens.issue({
      tenantId,
      meetingId: 'm-welcome',
      room: 'm-welcome',
      fullName: 'Wendy',
      role: 'viewer',
      userId: 'wendy',
      internalUserId: 'w_wendy',
      ...(logoutUrl ? { logoutUrl } : {}),
    }).token;

  const admitted = await admission.admit({
    room: 'm-welcome',
    name: 'x',
    joinToken: invite('https://lms.example/back'),
  });
  assert.equal(
    admitted.welcome,
    'Welcome to Welcome class!\n\nSee the guide (https://help.example/x?a=1&b=2). 5 < 6 & 😀',
    'tags dropped, breaks kept, entities decoded into text the page shows as text',
  );
  assert.equal(admitted.logoutUrl, 'https://lms.example/back');

  // A token is ours, but a claim that is not http(s) never reaches the page.
  const sneaky = await admission.admit({
    room: 'm-welcome',
    name: 'x',
    joinToken: invite('javascript:alert(1)'),
  });
  assert.equal(sneaky.logoutUrl, undefined);
  const plain = await admission.admit({ room: 'm1', name: 'x', joinToken: tokenFor('u9') });
  assert.equal(plain.welcome, undefined, 'no welcome: nothing to show');
  assert.equal(plain.logoutUrl, undefined);
});

test('lock settings bind viewers from the moment they join, never moderators', async () => {
  const locked = newMeeting(tenantId, 'm-locked', {
    createdAt: Date.now(),
    createParams: { lockSettingsDisableCam: 'true', lockSettingsDisableMic: 'false' },
  });
  const unlockedOnJoin = newMeeting(tenantId, 'm-later', {
    createdAt: Date.now(),
    createParams: { lockSettingsDisableCam: 'true', lockSettingsLockOnJoin: 'false' },
  });
  await meetings.createIfAbsent(locked);
  await meetings.createIfAbsent(unlockedOnJoin);
  const invite = (meetingId: string, role: 'viewer' | 'moderator') =>
    tokens.issue({
      tenantId,
      meetingId,
      room: meetingId,
      fullName: 'Vic',
      role,
      userId: `u-${role}`,
      internalUserId: `w_${role}`,
    }).token;
  const viewer = await admission.admit({
    room: 'm-locked',
    name: 'x',
    joinToken: invite('m-locked', 'viewer'),
  });
  assert.deepEqual(viewer.locks, { camera: true, microphone: false });
  const moderator = await admission.admit({
    room: 'm-locked',
    name: 'x',
    joinToken: invite('m-locked', 'moderator'),
  });
  assert.equal(moderator.locks, undefined, 'moderators are never locked');
  const later = await admission.admit({ room: 'm-later', name: 'x', joinToken: invite('m-later', 'viewer') });
  assert.equal(later.locks, undefined, 'lockSettingsLockOnJoin=false: not on join');
  const open = await admission.admit({ room: 'm1', name: 'x', joinToken: tokenFor('u-open') });
  assert.equal(open.locks, undefined);
});

test("the page gets the meeting's layout and its attached document, only as an http(s) link", async () => {
  const invite = (meetingId: string) =>
    tokens.issue({
      tenantId,
      meetingId,
      room: meetingId,
      fullName: 'Ada',
      role: 'viewer',
      userId: 'u-doc',
      internalUserId: 'w_doc',
    }).token;
  await meetings.createIfAbsent(
    newMeeting(tenantId, 'm-doc', {
      createdAt: Date.now(),
      createParams: {
        meetingLayout: 'video_focus',
        preUploadedPresentation: 'https://docs.example/a/slides.pdf',
        preUploadedPresentationName: '  Slides  ',
      },
    }),
  );
  await meetings.createIfAbsent(
    newMeeting(tenantId, 'm-bad-doc', {
      createdAt: Date.now(),
      createParams: { meetingLayout: 'CAMERAS_ONLY', preUploadedPresentation: 'javascript:alert(1)' },
    }),
  );
  const admitted = await admission.admit({ room: 'm-doc', name: 'x', joinToken: invite('m-doc') });
  assert.equal(admitted.layout, 'video-focus');
  assert.deepEqual(admitted.presentation, { url: 'https://docs.example/a/slides.pdf', name: 'Slides' });
  const bad = await admission.admit({ room: 'm-bad-doc', name: 'x', joinToken: invite('m-bad-doc') });
  assert.equal(bad.layout, undefined, 'a layout the page does not have: its default');
  assert.equal(bad.presentation, undefined, 'never a script URL');
});
