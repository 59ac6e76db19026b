import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { WebhookDeliveryOptions } from '../../src/portal/WebhookDispatcher.ts';
import { HookReceiver } from './HookReceiver.ts';
import { text } from './miniXml.ts';
import { CALLBACK_DOMAIN, PortalRig, SECRET_A, SECRET_B } from './portalRig.ts';

/** The dispatcher counts a delivery after the receiver has answered: poll instead of racing it. */
async function eventually(what: string, check: () => void, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const open: { close(): Promise<void> }[] = [];
after(async () => {
  for (const thing of open.reverse()) await thing.close();
});

async function setup(delivery: WebhookDeliveryOptions = {}) {
  const rig = await PortalRig.start({}, delivery);
  const receiver = await HookReceiver.start();
  open.push(rig, receiver);
  const hook = async (params: Record<string, string>, secret = SECRET_A) => {
    const reply = await rig.xml('hooks/create', params, { secret });
    assert.equal(text(reply, 'returncode'), 'SUCCESS');
    return text(reply, 'hookID');
  };
  const create = async (meetingID: string, secret = SECRET_A) => {
    const reply = await rig.xml('create', { meetingID, name: meetingID }, { secret });
    assert.equal(text(reply, 'returncode'), 'SUCCESS');
    return text(reply, 'internalMeetingID');
  };
  return { rig, receiver, hook, create };
}

const ada = { participantId: 'p-ada', userId: 'lms-ada', fullName: 'Ada', role: 'moderator' as const };
const bob = { participantId: 'p-bob', userId: 'lms-bob', fullName: 'Bob', role: 'viewer' as const };

test('a callback is a signed form POST a receiver verifies with the tenant’s secret', async () => {
  const { receiver, hook, create } = await setup();
  const withQuery = receiver.url('/hook?lms=moodle&site=7');
  await hook({ callbackURL: withQuery });
  const room = await create('physics');
  const [callback] = await receiver.waitFor(1);
  assert.ok(callback);
  assert.match(callback.contentType, /^application\/x-www-form-urlencoded/);
  assert.deepEqual([...new URLSearchParams(callback.body).keys()], ['domain', 'event', 'timestamp']);
  assert.equal(callback.domain, CALLBACK_DOMAIN);
  assert.ok(Math.abs(callback.timestamp - Date.now()) < 60_000);
  assert.ok(receiver.signedBy(callback, withQuery, SECRET_A), 'sha1(callbackURL + body + secret)');
  assert.ok(!receiver.signedBy(callback, withQuery, SECRET_B));
  assert.match(callback.target, /^\/hook\?lms=moodle&site=7&checksum=[0-9a-f]{40}$/);
  const event = callback.events[0]!;
  assert.equal(callback.events.length, 1);
  assert.equal(event.data.type, 'event');
  assert.equal(event.data.id, 'meeting-created');
  assert.equal(typeof event.data.event.ts, 'number');
  const meeting = event.data.attributes.meeting;
  assert.equal(meeting['internal-meeting-id'], room);
  assert.equal(meeting['external-meeting-id'], 'physics');
  assert.equal(meeting.name, 'physics');
  assert.equal(meeting['is-breakout'], false);
  for (const key of ['create-time', 'create-date', 'moderator-pass', 'viewer-pass', 'voice-conf', 'metadata'])
    assert.ok(key in meeting, key);

  // Without a query of its own the checksum starts the query.
  const plain = receiver.url('/plain');
  await hook({ callbackURL: plain });
  await create('chemistry');
  const callbacks = await receiver.waitFor(3);
  const toPlain = callbacks.find((c) => c.target.startsWith('/plain'))!;
  assert.match(toPlain.target, /^\/plain\?checksum=[0-9a-f]{40}$/);
  assert.ok(receiver.signedBy(toPlain, plain, SECRET_A));
});

test('each hook gets its events in the order they happened, with the users as the portal named them', async () => {
  const { rig, receiver, hook, create } = await setup();
  await hook({ callbackURL: receiver.url() });
  const room = await create('physics');
  await rig.lifecycle.participantJoined(room, ada, 1_000);
  await rig.lifecycle.participantJoined(room, bob, 2_000);
  await rig.lifecycle.participantLeft(room, 'p-bob', 'left', 3_000);
  // Ending with Ada still in: she is told as leaving, then the meeting ends.
  assert.equal(text(await rig.xml('end', { meetingID: 'physics' }), 'returncode'), 'SUCCESS');
  await receiver.waitFor(6);
  const seen = receiver.received.flatMap((c) =>
    c.events.map((e) => `${e.data.id} ${e.data.attributes.user?.['external-user-id'] ?? ''}`.trim()),
  );
  assert.deepEqual(seen, [
    'meeting-created',
    'user-joined lms-ada',
    'user-joined lms-bob',
    'user-left lms-bob',
    'user-left lms-ada',
    'meeting-ended',
  ]);
  const joined = receiver.received[1]!.events[0]!.data;
  assert.deepEqual(joined.attributes.user, {
    'internal-user-id': 'p-ada',
    'external-user-id': 'lms-ada',
    name: 'Ada',
    role: 'MODERATOR',
    presenter: 'false',
  });
  assert.equal(joined.event.ts, 1_000);
  assert.deepEqual(receiver.received[3]!.events[0]!.data.attributes, {
    meeting: { 'internal-meeting-id': room, 'external-meeting-id': 'physics' },
    user: { 'internal-user-id': 'p-bob', 'external-user-id': 'lms-bob' },
  });
  for (const callback of receiver.received) assert.ok(receiver.signedBy(callback, receiver.url(), SECRET_A));
});

test('the sweep ending a meeting (everyone left) sends meeting-ended too', async () => {
  const { rig, receiver, hook, create } = await setup();
  await hook({ callbackURL: receiver.url(), eventID: 'meeting-ended' });
  const room = await create('physics');
  await rig.lifecycle.participantJoined(room, ada, 1_000);
  await rig.lifecycle.participantLeft(room, 'p-ada', 'left', 2_000);
  const ended = await rig.lifecycle.sweep(Date.now() + 3_600_000);
  assert.deepEqual(
    ended.map((e) => e.reason),
    ['empty'],
  );
  await receiver.waitFor(1);
  assert.deepEqual(receiver.eventIds(), ['meeting-ended']);
});

test('filters: a meetingID hook hears only its meeting, an eventID hook only those events', async () => {
  const { rig, receiver, hook, create } = await setup();
  const all = receiver.url('/all');
  await hook({ callbackURL: all });
  await hook({ callbackURL: receiver.url('/physics'), meetingID: 'physics' });
  await hook({ callbackURL: receiver.url('/other'), meetingID: 'other' });
  await hook({ callbackURL: receiver.url('/joins'), eventID: 'USER-JOINED' });
  const physics = await create('physics');
  await create('chemistry');
  await rig.lifecycle.participantJoined(physics, ada, 1_000);
  // Everything for /all (2 creates + 1 join), /physics (create + join), /joins (the join).
  await receiver.waitFor(6);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const byPath = (path: string) =>
    receiver.received
      .filter((c) => c.target.startsWith(`${path}?`))
      .flatMap((c) =>
        c.events.map((e) => `${e.data.id}:${e.data.attributes.meeting['external-meeting-id']}`),
      );
  assert.deepEqual(byPath('/all'), [
    'meeting-created:physics',
    'meeting-created:chemistry',
    'user-joined:physics',
  ]);
  assert.deepEqual(byPath('/physics'), ['meeting-created:physics', 'user-joined:physics']);
  assert.deepEqual(byPath('/joins'), ['user-joined:physics']);
  assert.deepEqual(byPath('/other'), []);
});

test("tenant isolation: a tenant's hooks never hear another tenant's meetings", async () => {
  const { rig, receiver, hook, create } = await setup();
  await hook({ callbackURL: receiver.url('/a') });
  await hook({ callbackURL: receiver.url('/b') }, SECRET_B);
  // Same meetingID in both tenants: still two meetings, each told to its own tenant only.
  const roomA = await create('shared');
  const roomB = await create('shared', SECRET_B);
  await rig.lifecycle.participantJoined(roomB, bob, 1_000);
  await receiver.waitFor(3);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const toA = receiver.received.filter((c) => c.target.startsWith('/a?'));
  const toB = receiver.received.filter((c) => c.target.startsWith('/b?'));
  assert.deepEqual(
    toA.map((c) => c.events[0]!.data.attributes.meeting['internal-meeting-id']),
    [roomA],
  );
  assert.deepEqual(
    toB.map((c) => c.events[0]!.data.id),
    ['meeting-created', 'user-joined'],
  );
  assert.ok(toB.every((c) => c.events[0]!.data.attributes.meeting['internal-meeting-id'] === roomB));
  assert.ok(
    toB.every((c) => receiver.signedBy(c, receiver.url('/b'), SECRET_B)),
    'signed with B’s secret',
  );
  assert.ok(toA.every((c) => receiver.signedBy(c, receiver.url('/a'), SECRET_A)));
});

test('a callback answered with 500 is retried, and later events wait for it (order kept)', async () => {
  const { rig, receiver, hook, create } = await setup({ retryDelaysMs: [50, 100] });
  await hook({ callbackURL: receiver.url() });
  receiver.statuses.push(500, 503);
  const room = await create('physics');
  await rig.lifecycle.participantJoined(room, ada, 1_000);
  await receiver.waitFor(2);
  assert.deepEqual(receiver.answered, [500, 503, 200, 200]);
  assert.deepEqual(receiver.eventIds(), ['meeting-created', 'user-joined']);
  await eventually('both deliveries counted', () =>
    assert.deepEqual(rig.webhooks.stats, { delivered: 2, failedAttempts: 2, givenUp: 0, dropped: 0 }),
  );
  assert.ok(rig.logLines.some((line) => line.includes('will retry') && line.includes('HTTP 500')));
});

test('after the last retry the event is given up and logged; the next events still go out', async () => {
  const { rig, receiver, hook, create } = await setup({ retryDelaysMs: [20, 20] });
  await hook({ callbackURL: receiver.url() });
  receiver.statuses.push(500, 500, 500);
  await create('physics');
  await create('chemistry');
  await receiver.waitFor(1);
  assert.deepEqual(receiver.answered, [500, 500, 500, 200]);
  assert.equal(receiver.received[0]!.events[0]!.data.attributes.meeting['external-meeting-id'], 'chemistry');
  await eventually('the event given up', () => assert.equal(rig.webhooks.stats.givenUp, 1));
  assert.ok(rig.logLines.some((line) => line.includes('giving up on this event')));
  // A 401 is the receiver refusing: delivered, as bbb-webhooks counts it, not retried.
  receiver.statuses.push(401);
  await create('biology');
  await eventually('the 401 answered', () => assert.deepEqual(receiver.answered.slice(4), [401]));
  // Not retried: nothing more arrives.
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.deepEqual(receiver.answered.slice(4), [401]);
});

test('a receiver that never answers slows no meeting operation; closing stops its requests', async () => {
  const { rig, receiver, hook, create } = await setup({ requestTimeoutMs: 60_000, maxQueuedPerHook: 10 });
  receiver.hang = true;
  await hook({ callbackURL: receiver.url() });
  const started = Date.now();
  const room = await create('physics');
  for (let i = 0; i < 30; i++)
    await rig.lifecycle.participantJoined(room, { ...ada, participantId: `p${i}`, userId: `u${i}` }, i);
  const took = Date.now() - started;
  assert.ok(took < 2_000, `30 joins took ${took} ms`);
  // One request hangs; ten wait behind it; the rest were dropped, counted and logged.
  await eventually('the overflow dropped', () => assert.equal(rig.webhooks.stats.dropped, 31 - 1 - 10));
  assert.ok(rig.logLines.some((line) => line.includes('webhook queue full')));
  const closing = Date.now();
  await rig.webhooks.close();
  assert.ok(Date.now() - closing < 1_000, 'close does not wait out the hanging request');
});

test('callbacks stay signed with the secret that registered the hook while the tenant keeps it', async () => {
  const { rig, receiver, hook, create } = await setup();
  await hook({ callbackURL: receiver.url() });
  const rotated = 'the-new-secret-of-tenant-a-2025';
  await rig.tenants.update(rig.tenantA.id, { secrets: [rotated, SECRET_A] });
  rig.webhooks.tenantsChanged();
  await create('physics', rotated);
  const [first] = await receiver.waitFor(1);
  assert.ok(receiver.signedBy(first!, receiver.url(), SECRET_A), 'the portal that registered still verifies');
  // Once the old secret is gone, the tenant's first secret signs.
  await rig.tenants.update(rig.tenantA.id, { secrets: [rotated] });
  rig.webhooks.tenantsChanged();
  await create('chemistry', rotated);
  const callbacks = await receiver.waitFor(2);
  assert.ok(receiver.signedBy(callbacks[1]!, receiver.url(), rotated));
});

test('a destroyed hook gets nothing more', async () => {
  const { receiver, hook, create, rig } = await setup();
  const id = await hook({ callbackURL: receiver.url() });
  await create('physics');
  await receiver.waitFor(1);
  assert.equal(text(await rig.xml('hooks/destroy', { hookID: id }), 'returncode'), 'SUCCESS');
  await create('chemistry');
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.deepEqual(receiver.eventIds(), ['meeting-created']);
});
