import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { child, text } from './miniXml.ts';
import { PortalRig, SECRET_A, SECRET_B, SECRET_H } from './portalRig.ts';

let rig: PortalRig;
let roomA: string;
before(async () => {
  rig = await PortalRig.start();
  roomA = text(
    await rig.xml('create', { name: 'A only', meetingID: 'private', attendeePW: 'ap', moderatorPW: 'mp' }),
    'internalMeetingID',
  );
  await rig.xml('create', { name: 'A second', meetingID: 'a-second' });
  await rig.xml('create', { name: 'B room', meetingID: 'b-room' }, { secret: SECRET_B });
});
after(() => rig.close());

const asB = { secret: SECRET_B };

test("tenant B's secret cannot see, join or end tenant A's meeting", async () => {
  assert.equal(
    text(await rig.xml('getMeetingInfo', { meetingID: 'private' }, asB), 'messageKey'),
    'notFound',
  );
  assert.equal(text(await rig.xml('isMeetingRunning', { meetingID: 'private' }, asB), 'running'), 'false');
  assert.equal(
    text(await rig.xml('join', { meetingID: 'private', fullName: 'Eve', password: 'mp' }, asB), 'messageKey'),
    'invalidMeetingIdentifier',
  );
  assert.equal(
    text(await rig.xml('end', { meetingID: 'private', password: 'mp' }, asB), 'messageKey'),
    'notFound',
  );
  assert.deepEqual(rig.runtime.ended, []);
  assert.equal(text(await rig.xml('getMeetingInfo', { meetingID: 'private' }), 'meetingName'), 'A only');
});

test('getMeetings lists only the calling tenant’s meetings', async () => {
  const listed = async (secret: string) =>
    child(await rig.xml('getMeetings', {}, { secret }), 'meetings').children.map((m) => text(m, 'meetingID'));
  assert.deepEqual((await listed(SECRET_A)).sort(), ['a-second', 'private']);
  assert.deepEqual(await listed(SECRET_B), ['b-room']);
  assert.equal(
    text(await rig.xml('getMeetings', {}, { secret: SECRET_H, host: 'h.example' }), 'messageKey'),
    'noMeetings',
  );
});

test('the same meetingID in two tenants is two meetings', async () => {
  const b = await rig.xml('create', { name: 'B private', meetingID: 'private' }, asB);
  assert.equal(text(b, 'messageKey'), '');
  assert.notEqual(text(b, 'internalMeetingID'), roomA);
  assert.equal(
    text(await rig.xml('getMeetingInfo', { meetingID: 'private' }, asB), 'meetingName'),
    'B private',
  );
  assert.equal(text(await rig.xml('getMeetingInfo', { meetingID: 'private' }), 'meetingName'), 'A only');
});

test("on a tenant's own hostname only its secrets verify, and joins stay on that hostname", async () => {
  const onH = { host: 'H.Example:8443' };
  assert.equal(
    text(await rig.xml('getMeetings', {}, { ...onH, secret: SECRET_A }), 'messageKey'),
    'checksumError',
  );
  await rig.xml('create', { meetingID: 'h-meeting' }, { ...onH, secret: SECRET_H });
  const join = await rig.xml(
    'join',
    { meetingID: 'h-meeting', fullName: 'Hana', role: 'viewer', redirect: 'false' },
    { ...onH, secret: SECRET_H },
  );
  const url = new URL(text(join, 'url'));
  assert.equal(url.host, 'h.example:8443');
  assert.equal(url.protocol, 'http:');
  // Elsewhere the tenant is found by its secret, and users go to the public URL.
  const viaSecret = await rig.xml(
    'join',
    { meetingID: 'h-meeting', fullName: 'Hana', role: 'viewer', redirect: 'false' },
    { secret: SECRET_H },
  );
  assert.equal(new URL(text(viaSecret, 'url')).host, 'meet.example:8080');
});

test("the tenant's create presets: defaults under the portal's values, overrides over them", async () => {
  await rig.tenants.update(rig.tenantB.id, {
    settings: {
      defaultCreateParams: { welcome: 'Default welcome', duration: '30', record: 'true' },
      overrideCreateParams: { maxParticipants: '50' },
    },
  });
  const doc = await rig.xml(
    'create',
    { meetingID: 'preset-create', duration: '90', maxParticipants: '500' },
    asB,
  );
  const settings = rig.runtime.ensured.find((s) => s.room === text(doc, 'internalMeetingID'))!;
  assert.equal(settings.welcome, 'Default welcome');
  assert.equal(settings.durationMinutes, 90);
  assert.equal(settings.maxParticipants, 50);
  assert.equal(settings.record, true);
});

test('a rotated secret: both verify while both are listed, the dropped one stops', async () => {
  await rig.tenants.update(rig.tenantB.id, { secrets: [SECRET_B, 'b-new-secret'] });
  assert.equal(text(await rig.xml('getMeetings', {}, { secret: 'b-new-secret' }), 'returncode'), 'SUCCESS');
  await rig.tenants.update(rig.tenantB.id, { secrets: ['b-new-secret'] });
  assert.equal(text(await rig.xml('getMeetings', {}, asB), 'messageKey'), 'checksumError');
  assert.equal(text(await rig.xml('getMeetings', {}, { secret: 'b-new-secret' }), 'returncode'), 'SUCCESS');
});
