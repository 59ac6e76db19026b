import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HookRepository } from '../../src/db/HookRepository.ts';
import { secretFingerprint } from '../../src/portal/callbackSigning.ts';
import { computeChecksum } from '../../src/portal/checksum.ts';
import { child, parseXml, text } from './miniXml.ts';
import { PortalRig, SECRET_A, SECRET_B } from './portalRig.ts';

let rig: PortalRig;
before(async () => {
  rig = await PortalRig.start({ maxHooksPerTenant: 5 });
});
after(() => rig.close());

const asB = { secret: SECRET_B };

test('hooks/create answers as bbb-webhooks: hookID, permanentHook, rawData; the same hook again is a duplicateWarning', async () => {
  const created = await rig.xml('hooks/create', { callbackURL: 'https://lms.example/a/events' });
  assert.deepEqual(
    created.children.map((c) => [c.name, c.text]),
    [
      ['returncode', 'SUCCESS'],
      ['hookID', text(created, 'hookID')],
      ['permanentHook', 'false'],
      ['rawData', 'false'],
    ],
  );
  const again = await rig.xml('hooks/create', { callbackURL: 'https://lms.example/a/events' });
  assert.deepEqual(
    again.children.map((c) => [c.name, c.text]),
    [
      ['returncode', 'SUCCESS'],
      ['hookID', text(created, 'hookID')],
      ['messageKey', 'duplicateWarning'],
      ['message', 'There is already a hook for this callback URL.'],
    ],
  );
  const raw = await rig.xml('hooks/create', {
    callbackURL: 'https://lms.example/a/raw',
    getRaw: 'TRUE',
    meetingID: 'physics',
    eventID: 'User-Joined, meeting-ended,,',
  });
  assert.equal(text(raw, 'rawData'), 'true');
  const stored = (await new HookRepository(rig.db).list(rig.tenantA.id)).find(
    (h) => h.callbackUrl === 'https://lms.example/a/raw',
  );
  assert.deepEqual(stored?.eventIds, ['user-joined', 'meeting-ended']);
  assert.equal(stored?.meetingId, 'physics');
  assert.equal(stored?.secretFingerprint, secretFingerprint(SECRET_A), 'the secret that signed the call');
});

test('the checksum covers the call name "hooks/create" like any other call, with every hash length', async () => {
  const query = new URLSearchParams({ callbackURL: 'https://lms.example/a/sha512' }).toString();
  const good = computeChecksum('hooks/create', query, SECRET_A, 'sha512');
  const ok = parseXml(
    (await rig.request('GET', `/bigbluebutton/api/hooks/create?${query}&checksum=${good}`)).body,
  );
  assert.equal(text(ok, 'returncode'), 'SUCCESS');
  const wrongName = computeChecksum('create', query, SECRET_A, 'sha1');
  const refused = parseXml(
    (await rig.request('GET', `/bigbluebutton/api/hooks/create?${query}&checksum=${wrongName}`)).body,
  );
  assert.equal(text(refused, 'messageKey'), 'checksumError');
  const unsigned = parseXml((await rig.request('GET', `/bigbluebutton/api/hooks/list`)).body);
  assert.equal(text(unsigned, 'messageKey'), 'checksumError');
});

test('missing and bad parameters get bbb-webhooks message keys', async () => {
  assert.equal(text(await rig.xml('hooks/create', {}), 'messageKey'), 'missingParamCallbackURL');
  assert.equal(text(await rig.xml('hooks/destroy', {}), 'messageKey'), 'missingParamHookID');
  assert.equal(text(await rig.xml('hooks/destroy', { hookID: 'abc' }), 'messageKey'), 'destroyMissingHook');
  assert.equal(text(await rig.xml('hooks/destroy', { hookID: '9999' }), 'messageKey'), 'destroyMissingHook');
  const notHttp = await rig.xml('hooks/create', { callbackURL: 'file:///etc/passwd' });
  assert.deepEqual(
    [text(notHttp, 'returncode'), text(notHttp, 'messageKey'), text(notHttp, 'message')],
    ['FAILED', 'createHookError', 'The callbackURL must be an http or https URL.'],
  );
  assert.equal(
    text(await rig.xml('hooks/create', { callbackURL: 'not a url' }), 'messageKey'),
    'createHookError',
  );
  const long = await rig.xml('hooks/create', { callbackURL: `https://x.example/${'a'.repeat(2100)}` });
  assert.equal(text(long, 'messageKey'), 'validationError');
});

test('hooks/list shows the tenant’s hooks; with a meetingID, that meeting’s plus the global ones', async () => {
  const list = await rig.xml('hooks/list', {});
  const hooks = child(list, 'hooks').children;
  assert.ok(hooks.length >= 2);
  const raw = hooks.find((h) => text(h, 'callbackURL') === 'https://lms.example/a/raw')!;
  assert.deepEqual(
    raw.children.map((c) => c.name),
    ['hookID', 'callbackURL', 'meetingID', 'eventID', 'permanentHook', 'rawData'],
  );
  assert.equal(text(raw, 'eventID'), 'user-joined,meeting-ended');
  const global = hooks.find((h) => text(h, 'callbackURL') === 'https://lms.example/a/events')!;
  assert.deepEqual(
    global.children.map((c) => c.name),
    ['hookID', 'callbackURL', 'permanentHook', 'rawData'],
  );
  const forOther = child(await rig.xml('hooks/list', { meetingID: 'chemistry' }), 'hooks').children;
  assert.ok(!forOther.some((h) => text(h, 'callbackURL') === 'https://lms.example/a/raw'));
  assert.ok(forOther.some((h) => text(h, 'callbackURL') === 'https://lms.example/a/events'));
});

test('tenants are isolated: B neither sees nor destroys A’s hooks, and numbers its own from 1', async () => {
  const a = child(await rig.xml('hooks/list', {}), 'hooks').children.map((h) => text(h, 'hookID'));
  assert.equal(child(await rig.xml('hooks/list', {}, asB), 'hooks').children.length, 0);
  assert.equal(
    text(await rig.xml('hooks/destroy', { hookID: a[0]! }, asB), 'messageKey'),
    'destroyMissingHook',
  );
  const b = await rig.xml('hooks/create', { callbackURL: 'https://lms.example/a/events' }, asB);
  assert.equal(text(b, 'hookID'), '1');
  assert.ok(
    !b.children.some((c) => c.name === 'messageKey'),
    'the same URL in another tenant is no duplicate',
  );
  assert.deepEqual(
    child(await rig.xml('hooks/list', {}), 'hooks').children.map((h) => text(h, 'hookID')),
    a,
  );
});

test('hooks/destroy removes a hook once; a tenant has a bounded number of hooks', async () => {
  const made = [];
  for (let i = 0; ; i++) {
    const reply = await rig.xml('hooks/create', { callbackURL: `https://lms.example/b/${i}` }, asB);
    if (text(reply, 'returncode') === 'FAILED') {
      assert.equal(text(reply, 'messageKey'), 'createHookError');
      assert.match(text(reply, 'message'), /at most 5 hooks/);
      break;
    }
    made.push(text(reply, 'hookID'));
  }
  assert.equal(made.length, 4, 'five with the one made before');
  const destroyed = await rig.xml('hooks/destroy', { hookID: made[0]! }, asB);
  assert.deepEqual(
    destroyed.children.map((c) => [c.name, c.text]),
    [
      ['returncode', 'SUCCESS'],
      ['removed', 'true'],
    ],
  );
  assert.equal(
    text(await rig.xml('hooks/destroy', { hookID: made[0]! }, asB), 'messageKey'),
    'destroyMissingHook',
  );
  const room = await rig.xml('hooks/create', { callbackURL: 'https://lms.example/b/again' }, asB);
  assert.equal(text(room, 'returncode'), 'SUCCESS');
});
