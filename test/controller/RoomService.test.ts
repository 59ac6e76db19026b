import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { ControllerError } from '../../src/controller/ControllerError.ts';
import { leastLoaded } from '../../src/controller/placement/leastLoaded.ts';
import { RoomService } from '../../src/controller/RoomService.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { ROOM_NAME_ERROR_CODE } from '../../src/protocol/roomName.ts';
import { RecordingSink } from './fakes/RecordingSink.ts';
import { GRACE_MS, nodeReport, nodeUrl, RoomServiceRig, TOKEN_TTL_SECONDS } from './roomServiceRig.ts';

const START = 1_700_000_000_000;

async function setUp(t: TestContext, options: { nodes?: string[] } = {}): Promise<RoomServiceRig> {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
  const rig = await RoomServiceRig.create(options);
  t.after(() => rig.close());
  return rig;
}

/** Runs the timers due in `ms`, then lets what they started (OTM closes, leaves) finish. */
async function advance(t: TestContext, ms: number): Promise<void> {
  t.mock.timers.tick(ms);
  await new Promise((resolve) => setImmediate(resolve));
}

function rejectsWith(code: string, message?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ControllerError, `expected a ControllerError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

// ── join (seed paper IV.A.3 step 1, and step 5 for the newcomer) ────────────────────────

test('a newcomer gets the participants and the live streams; the others get participantJoined', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('standup', 'Alice');
  const bob = rig.join('standup', 'Bob');
  const live = await rig.publishLive('standup', alice);
  // Bob's publisher has not connected yet: its OTM would answer WHEP with 409.
  const pending = await rig.rooms.publish('standup', bob.participantId, 'screen', false, true);

  const carol = rig.join('standup', 'Carol');

  assert.equal(carol.result.room, 'standup');
  assert.equal(carol.result.resumed, false);
  assert.equal(carol.result.self.name, 'Carol');
  assert.deepEqual(
    carol.result.participants.map((p) => p.name),
    ['Alice', 'Bob', 'Carol'],
  );
  assert.deepEqual(
    carol.result.streams.map((s) => s.streamId),
    [live.streamId],
  );
  assert.equal(carol.result.streams[0].live, true);
  assert.equal(carol.result.streams[0].participantId, alice.participantId);
  assert.ok(!carol.result.streams.some((s) => s.streamId === pending.streamId));
  assert.deepEqual(
    alice.sink.of('participantJoined').map((m) => m.participant.name),
    ['Bob', 'Carol'],
  );
  assert.deepEqual(
    bob.sink.of('participantJoined').map((m) => m.participant.name),
    ['Carol'],
  );
  assert.deepEqual(carol.sink.messages, [], 'the newcomer is not told about itself');
  assert.notEqual(carol.result.rejoin.secret, bob.result.rejoin.secret);
  assert.equal(rig.rooms.stats.participants, 3);
});

test('room names follow the shared rule and are refused with bad-room-name; names must not be blank', async (t) => {
  const rig = await setUp(t);
  for (const bad of ['', ' lecture', 'lecture ', '-x', 'a/b', 'a'.repeat(101), 'x\u0000y', '😀']) {
    assert.throws(() => rig.join(bad, 'Ada'), rejectsWith(ROOM_NAME_ERROR_CODE), JSON.stringify(bad));
  }
  assert.equal(new ControllerError(ROOM_NAME_ERROR_CODE, 'x').httpStatus, 400);
  for (const good of ['a', 'Physics 101', 'r.e_d-x', 'नमस्ते', 'Zürich', 'a'.repeat(100)]) {
    assert.equal(rig.join(good, 'Ada').result.room, good);
  }
  assert.throws(() => rig.join('ok', '   '), rejectsWith('bad-request', /name/));
  assert.equal(rig.join('ok', '  Ada  ').result.self.name, 'Ada');
});

// ── publish: placement and grants (steps 2–4) ─────────────────────────────────────────

test('publish places the OTM on the least-loaded node and grants WHIP there with a scoped token', async (t) => {
  const rig = await setUp(t, { nodes: [] });
  await rig.report(nodeReport('node-a', { load: { cpu: 0.6, otms: 3 } }));
  await rig.report(nodeReport('node-b', { load: { cpu: 0.2, otms: 9 } }));
  await rig.report(nodeReport('node-c', { load: { cpu: 0.4 } }));
  const alice = rig.join('lecture', 'Alice');

  const grant = await rig.rooms.publish('lecture', alice.participantId, 'camera', true, true);

  assert.deepEqual(rig.commander.created, [
    {
      nodeUrl: nodeUrl('node-b'),
      streamId: grant.streamId,
      room: 'lecture',
      publisherId: alice.participantId,
    },
  ]);
  assert.equal(grant.url, `${nodeUrl('node-b')}/whip/${grant.streamId}`);
  assert.deepEqual(grant.iceServers, [{ urls: 'stun:stun.test:3478' }]);
  assert.equal(grant.expiresAt, START + TOKEN_TTL_SECONDS * 1000);
  assert.deepEqual(rig.tokens.verify(grant.token, { streamId: grant.streamId, role: 'publish' }), {
    room: 'lecture',
    participantId: alice.participantId,
    streamId: grant.streamId,
    role: 'publish',
  });
  assert.throws(() => rig.tokens.verify(grant.token, { streamId: grant.streamId, role: 'subscribe' }));
  assert.equal(rig.rooms.stats.placements, 1);
  assert.equal(rig.rooms.stats.streams, 1);
});

test('the room hears of a stream when its publisher is connected, once; subscribers get WHEP grants', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('lecture', 'Alice');
  const bob = rig.join('lecture', 'Bob');
  const grant = await rig.rooms.publish('lecture', alice.participantId, 'camera', true, false);
  assert.deepEqual(bob.sink.of('streamAdded'), [], 'nobody subscribes before media is up');

  await rig.connectPublisher(grant.streamId);
  await rig.connectPublisher(grant.streamId); // a reconnect of the publisher: no news

  const added = bob.sink.of('streamAdded');
  assert.equal(added.length, 1);
  assert.equal(added[0].stream.streamId, grant.streamId);
  assert.equal(added[0].stream.live, true);
  assert.equal(added[0].stream.hasVideo, true, 'what the node saw wins over what was announced');
  assert.equal(added[0].stream.nodeId, rig.nodeOf(grant.streamId));

  const watch = rig.rooms.subscribe('lecture', bob.participantId, grant.streamId);
  assert.equal(watch.url, `${nodeUrl(rig.nodeOf(grant.streamId))}/whep/${grant.streamId}`);
  assert.equal(
    rig.tokens.verify(watch.token, { streamId: grant.streamId, role: 'subscribe' }).participantId,
    bob.participantId,
  );
  assert.throws(
    () => rig.rooms.subscribe('lecture', alice.participantId, grant.streamId),
    rejectsWith('bad-request', /own stream/),
  );
  assert.throws(() => rig.rooms.subscribe('lecture', bob.participantId, 'nope'), rejectsWith('not-found'));
});

test('a burst of publishes spreads over the nodes: placements since the last report count', async (t) => {
  const rig = await setUp(t, { nodes: ['node-a', 'node-b'] });
  const members = ['A', 'B', 'C', 'D'].map((name) => rig.join('burst', name));

  // Four at once, while the nodes are still creating OTMs: all read the same two idle reports.
  rig.commander.hold = true;
  const publishing = members.map((m) => rig.rooms.publish('burst', m.participantId, 'camera', true, true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(rig.commander.heldCount, 4);
  rig.commander.release();
  await Promise.all(publishing);
  rig.commander.hold = false;
  const counts = (urls: string[]) =>
    urls.reduce<Record<string, number>>((acc, url) => {
      acc[url] = (acc[url] ?? 0) + 1;
      return acc;
    }, {});
  assert.deepEqual(counts(rig.commander.nodesUsed()), { [nodeUrl('node-a')]: 2, [nodeUrl('node-b')]: 2 });

  // One after the other, still before any new report: they keep alternating.
  const more = ['E', 'F'].map((name) => rig.join('burst', name));
  for (const m of more) await rig.rooms.publish('burst', m.participantId, 'camera', true, true);
  assert.deepEqual(counts(rig.commander.nodesUsed().slice(4)), {
    [nodeUrl('node-a')]: 1,
    [nodeUrl('node-b')]: 1,
  });
});

test('a report made after the placements replaces the estimate; one sampled before does not', async (t) => {
  const rig = await setUp(t, { nodes: ['node-a', 'node-b'] });
  const a = rig.join('r', 'A');
  const b = rig.join('r', 'B');
  const first = await rig.rooms.publish('r', a.participantId, 'camera', true, true);
  assert.equal(rig.nodeOf(first.streamId), 'node-a', 'idle tie goes to the first node id');

  // node-a's heartbeat was stamped before the OTM was created: it cannot show it yet.
  await rig.report(nodeReport('node-a', { reportedAt: START - 1 }));
  const second = await rig.rooms.publish('r', b.participantId, 'camera', true, true);
  assert.equal(rig.nodeOf(second.streamId), 'node-b');

  // Later heartbeats show one OTM each, and node-b busier: node-a wins again.
  t.mock.timers.tick(1_000);
  await rig.report(nodeReport('node-a', { load: { otms: 1, cpu: 0.1 } }));
  await rig.report(nodeReport('node-b', { load: { otms: 1, cpu: 0.3 } }));
  const third = await rig.rooms.publish('r', a.participantId, 'screen', false, true);
  assert.equal(rig.nodeOf(third.streamId), 'node-a');
});

test('a full cluster refuses with cluster-full and a clear message; a refusing node is skipped', async (t) => {
  const rig = await setUp(t, { nodes: [] });
  const alice = rig.join('full', 'Alice');
  await assert.rejects(
    rig.rooms.publish('full', alice.participantId, 'camera', true, true),
    rejectsWith('cluster-full', /no media node is running/),
  );

  await rig.report(nodeReport('node-a', { load: { cpu: 1 } }));
  await rig.report(nodeReport('node-b', { draining: true }));
  await rig.report(nodeReport('node-c', { load: { packetsOutPerSecond: 25_000 } }));
  await rig.report(nodeReport('node-d', { load: { subscribers: 500 }, capacity: { maxSubscribers: 500 } }));
  await assert.rejects(
    rig.rooms.publish('full', alice.participantId, 'camera', true, true),
    rejectsWith('cluster-full', /no media node has room for another stream/),
  );
  assert.deepEqual(rig.commander.created, [], 'no node at or over capacity was asked');
  assert.equal(rig.rooms.stats.placementFailures, 2);
  assert.equal(rig.rooms.rooms.get('full')?.streams.size, 0);

  await rig.report(nodeReport('node-e', { load: { cpu: 0.1 } }));
  await rig.report(nodeReport('node-f', { load: { cpu: 0.5 } }));
  rig.commander.refusing.add(nodeUrl('node-e'));
  const grant = await rig.rooms.publish('full', alice.participantId, 'camera', true, true);
  assert.equal(rig.nodeOf(grant.streamId), 'node-f', 'the next best node after a refusal');
});

test('a participant publishes at most four streams, counting those still being placed', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  rig.commander.hold = true;
  const four = [1, 2, 3, 4].map(() => rig.rooms.publish('r', alice.participantId, 'screen', false, true));
  rig.commander.hold = false; // a fifth that got through would not hang the test
  await assert.rejects(
    rig.rooms.publish('r', alice.participantId, 'screen', false, true),
    rejectsWith('bad-request', /at most 4/),
  );
  rig.commander.release();
  await Promise.all(four);
  await assert.rejects(
    rig.rooms.publish('r', alice.participantId, 'camera', true, true),
    rejectsWith('bad-request', /at most 4/),
  );
  await assert.rejects(
    rig.rooms.publish('r', alice.participantId, 'camera', false, false),
    rejectsWith('bad-request', /audio, video or both/),
  );
});

test('a publisher that leaves while its OTM is being created leaves no OTM behind', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  rig.join('r', 'Bob');
  rig.commander.hold = true;
  const publishing = rig.rooms.publish('r', alice.participantId, 'camera', true, true);
  await new Promise((resolve) => setImmediate(resolve));
  await rig.rooms.leave('r', alice.participantId);
  rig.commander.release();
  await assert.rejects(publishing, rejectsWith('not-found'));
  assert.equal(rig.commander.open.size, 0);
  assert.equal(rig.rooms.rooms.get('r')?.streams.size, 0);
});

// ── the end of streams and rooms ────────────────────────────────────────────────────

test('unpublish closes the OTM and tells the room why', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  await assert.rejects(rig.rooms.unpublish('r', bob.participantId, grant.streamId), rejectsWith('not-found'));

  await rig.rooms.unpublish('r', alice.participantId, grant.streamId);

  assert.deepEqual(bob.sink.of('streamRemoved'), [
    { type: 'streamRemoved', streamId: grant.streamId, reason: 'unpublished' },
  ]);
  assert.equal(rig.commander.open.size, 0);
  assert.deepEqual(rig.commander.closed, [{ nodeUrl: nodeUrl('node-a'), streamId: grant.streamId }]);
  await assert.rejects(
    rig.rooms.unpublish('r', alice.participantId, grant.streamId),
    rejectsWith('not-found'),
  );
});

test('a DELETE of the WHIP resource ends the stream as unpublished', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  await rig.nodeEvent({
    type: 'publisherDisconnected',
    nodeId: rig.nodeOf(grant.streamId),
    streamId: grant.streamId,
    reason: 'deleted',
  });
  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => m.reason),
    ['unpublished'],
  );
  assert.equal(rig.commander.open.size, 0);
});

test("a publisher's leaving closes its OTMs; the last one out closes the room", async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const camera = await rig.publishLive('r', alice);
  const screen = await rig.rooms.publish('r', alice.participantId, 'screen', false, true);

  await rig.rooms.leave('r', alice.participantId);

  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => [m.streamId, m.reason]),
    [
      [camera.streamId, 'publisher-left'],
      [screen.streamId, 'publisher-left'],
    ],
  );
  assert.deepEqual(bob.sink.of('participantLeft'), [
    { type: 'participantLeft', participantId: alice.participantId, reason: 'left' },
  ]);
  assert.equal(rig.commander.open.size, 0);
  assert.equal(rig.rooms.rooms.size, 1);

  await rig.rooms.leave('r', bob.participantId);
  assert.equal(rig.rooms.rooms.size, 0);
  assert.deepEqual(rig.rooms.stats, { ...rig.rooms.stats, rooms: 0, participants: 0, streams: 0 });
  await rig.rooms.leave('r', bob.participantId); // twice is harmless

  const again = rig.join('r', 'Alice');
  assert.deepEqual(
    again.result.participants.map((p) => p.name),
    ['Alice'],
    'a fresh room',
  );
  assert.deepEqual(again.result.chat, []);
});

test('a room emptied by two leaves at once stays closed without closing the next room of that name', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  await rig.publishLive('r', alice);
  rig.commander.holdCloses = true;
  const aliceLeaving = rig.rooms.leave('r', alice.participantId); // waits for its OTM to close
  await rig.rooms.leave('r', bob.participantId);
  assert.equal(rig.rooms.rooms.size, 0);
  const carol = rig.join('r', 'Carol');
  rig.commander.release();
  await aliceLeaving;
  assert.deepEqual(
    [...(rig.rooms.rooms.get('r')?.participants.keys() ?? [])],
    [carol.participantId],
    "Carol's new room is still open",
  );
});

// ── dropped sockets: the grace period ─────────────────────────────────────────────────

test('within the grace period a participant rejoins with its ticket and keeps its streams', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);

  rig.rooms.disconnected('r', alice.participantId, alice.sink);
  await advance(t, GRACE_MS - 1);
  const sink = alice.sink;
  sink.clear();
  const back = rig.rooms.join('r', 'Alice', sink, { rejoin: alice.result.rejoin });

  assert.equal(back.resumed, true);
  assert.equal(back.self.participantId, alice.participantId);
  assert.deepEqual(
    back.streams.map((s) => s.streamId),
    [grant.streamId],
  );
  await advance(t, GRACE_MS * 2);
  assert.deepEqual(bob.sink.of('participantLeft'), [], 'nobody was told Alice left');
  assert.deepEqual(bob.sink.of('participantJoined'), [], 'nor that she joined again');
  assert.equal(rig.commander.open.get(grant.streamId), nodeUrl('node-a'));
  await rig.rooms.chat('r', bob.participantId, 'welcome back');
  assert.deepEqual(
    sink.of('chat').map((m) => m.message.text),
    ['welcome back'],
    'events reach the new socket',
  );
});

test('after the grace period the participant is removed and its OTMs closed', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);

  rig.rooms.disconnected('r', alice.participantId, alice.sink);
  await advance(t, GRACE_MS);

  assert.deepEqual(bob.sink.of('participantLeft'), [
    { type: 'participantLeft', participantId: alice.participantId, reason: 'timeout' },
  ]);
  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => [m.streamId, m.reason]),
    [[grant.streamId, 'publisher-left']],
  );
  assert.equal(rig.commander.open.size, 0);

  // The old ticket is no use now: she comes back as someone new.
  const late = rig.rooms.join('r', 'Alice', undefined, { rejoin: alice.result.rejoin });
  assert.equal(late.resumed, false);
  assert.notEqual(late.self.participantId, alice.participantId);
  assert.deepEqual(late.streams, []);
});

test('a wrong rejoin secret joins as someone new', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  rig.rooms.disconnected('r', alice.participantId);
  const other = rig.rooms.join('r', 'Mallory', undefined, {
    rejoin: { participantId: alice.participantId, secret: 'guess' },
  });
  assert.equal(other.resumed, false);
  assert.notEqual(other.self.participantId, alice.participantId);
});

test('the late close of a socket that was replaced by a rejoin does not start the grace period', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  // Alice's network changed: her new socket rejoins before the server noticed the old one is dead.
  const oldSink = alice.sink;
  const newSink = new RecordingSink();
  rig.rooms.join('r', 'Alice', newSink, { rejoin: alice.result.rejoin });
  rig.rooms.disconnected('r', alice.participantId, oldSink); // the ping timeout, later
  await advance(t, GRACE_MS * 2);
  assert.deepEqual(bob.sink.of('participantLeft'), []);
  assert.ok(rig.rooms.rooms.get('r')?.participants.has(alice.participantId));
});

// ── what nodes report ─────────────────────────────────────────────────────────────────

test('a publisher that drops keeps its stream for the grace period, then the stream is removed', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const first = await rig.publishLive('r', alice);
  const second = await rig.rooms.publish('r', alice.participantId, 'screen', false, true);
  await rig.connectPublisher(second.streamId);
  const drop = (streamId: string) =>
    rig.nodeEvent({
      type: 'publisherDisconnected',
      nodeId: rig.nodeOf(streamId),
      streamId,
      reason: 'failed',
    });

  await drop(first.streamId);
  await drop(second.streamId);
  await advance(t, GRACE_MS - 1);
  await rig.connectPublisher(first.streamId); // the first one came back (ICE restart)
  const carol = rig.join('r', 'Carol');
  assert.equal(carol.result.streams.length, 2, 'a stream whose publisher is briefly away stays listed');
  await advance(t, 1);

  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => [m.streamId, m.reason]),
    [[second.streamId, 'publisher-lost']],
  );
  assert.deepEqual([...rig.commander.open.keys()], [first.streamId]);
  assert.equal(bob.sink.of('streamAdded').length, 2, 'a comeback is no new stream');
});

test('events from a node that no longer carries the stream are ignored', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  const other = rig.nodeOf(grant.streamId) === 'node-a' ? 'node-b' : 'node-a';
  await rig.nodeEvent({
    type: 'publisherDisconnected',
    nodeId: other,
    streamId: grant.streamId,
    reason: 'deleted',
  });
  await rig.nodeEvent({ type: 'otmClosed', nodeId: other, streamId: grant.streamId, reason: 'worker died' });
  await rig.nodeEvent({
    type: 'publisherDisconnected',
    nodeId: other,
    streamId: 'unknown',
    reason: 'deleted',
  });
  assert.deepEqual(bob.sink.types(), ['streamAdded']);
  assert.equal(rig.commander.open.size, 1);
});

test('a WHIP-only publisher (OBS) ends with its media, and so does its participant', async (t) => {
  const rig = await setUp(t);
  const bob = rig.join('r', 'Bob');
  const obs = rig.rooms.join('r', 'OBS studio', undefined, { headless: true });
  const grant = await rig.rooms.publish('r', obs.self.participantId, 'camera', true, true);
  await rig.connectPublisher(grant.streamId);

  await rig.nodeEvent({
    type: 'publisherDisconnected',
    nodeId: rig.nodeOf(grant.streamId),
    streamId: grant.streamId,
    reason: 'consent expired',
  });

  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => m.reason),
    ['publisher-lost'],
  );
  assert.deepEqual(bob.sink.of('participantLeft'), [
    { type: 'participantLeft', participantId: obs.self.participantId, reason: 'left' },
  ]);
  assert.equal(rig.commander.open.size, 0);
});

test('a WHIP-only publisher that never connects is removed when its token expires', async (t) => {
  const rig = await setUp(t);
  const bob = rig.join('r', 'Bob');
  const obs = rig.rooms.join('r', 'OBS', undefined, { headless: true });
  const never = await rig.rooms.publish('r', obs.self.participantId, 'camera', true, true);
  const obs2 = rig.rooms.join('r', 'OBS 2', undefined, { headless: true });
  const late = await rig.rooms.publish('r', obs2.self.participantId, 'camera', true, true);
  await advance(t, TOKEN_TTL_SECONDS * 1000 - 1);
  await rig.connectPublisher(late.streamId);
  await advance(t, 1);
  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => [m.streamId, m.reason]),
    [[never.streamId, 'publisher-lost']],
  );
  assert.deepEqual(rig.rooms.rooms.get('r')?.participants.size, 2, 'Bob and the OBS that connected in time');
  assert.deepEqual([...rig.commander.open.keys()], [late.streamId]);
});

// ── failover (the paper's "OTM management": react to a lost OTM, tell the participants) ──

test('when a node is lost its streams are placed on surviving nodes and everyone hears streamMoved', async (t) => {
  const rig = await setUp(t, { nodes: ['node-a', 'node-b', 'node-c'] });
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const streams = [];
  for (const member of [alice, bob, alice]) streams.push(await rig.publishLive('r', member));
  const onA = streams.filter((g) => rig.nodeOf(g.streamId) === 'node-a').map((g) => g.streamId);
  assert.equal(onA.length, 1);
  const movedId = onA[0];

  // node-a stops reporting; its presence expires.
  await advance(t, 2_000);
  await rig.report(nodeReport('node-b'));
  await rig.report(nodeReport('node-c'));
  await advance(t, 1_500);
  assert.deepEqual((await rig.clusterState.listNodes()).map((n) => n.nodeId).sort(), ['node-b', 'node-c']);
  await rig.rooms.handleNodeLost('node-a');

  const moved = alice.sink.of('streamMoved');
  assert.deepEqual(
    moved.map((m) => m.stream.streamId),
    [movedId],
  );
  assert.deepEqual(bob.sink.of('streamMoved'), moved, 'publisher and subscribers alike');
  assert.notEqual(moved[0].stream.nodeId, 'node-a');
  assert.equal(moved[0].stream.live, false);
  assert.equal(rig.nodeOf(movedId), moved[0].stream.nodeId);
  assert.equal(rig.rooms.stats.replacements, 1);
  assert.equal(rig.rooms.stats.byNode.get('node-a')?.failoversFrom, 1, 'counted against the lost node');
  assert.equal(rig.rooms.stats.byNode.get(moved[0].stream.nodeId)?.failoversFrom ?? 0, 0);
  const placed = [...rig.rooms.stats.byNode.values()].reduce((sum, d) => sum + d.placements, 0);
  assert.equal(placed, rig.rooms.stats.placements, 'every placement counted on its node');

  // The publisher republishes to the new node: WHIP there, and the stream is announced again.
  const owner = moved[0].stream.participantId;
  const again = rig.rooms.republish('r', owner, movedId);
  assert.equal(again.url, `${nodeUrl(moved[0].stream.nodeId)}/whip/${movedId}`);
  const carol = rig.join('r', 'Carol');
  assert.ok(!carol.result.streams.some((s) => s.streamId === movedId), 'not live on its new OTM yet');
  await rig.connectPublisher(movedId);
  assert.deepEqual(
    carol.sink.of('streamAdded').map((m) => [m.stream.streamId, m.stream.live]),
    [[movedId, true]],
  );
});

test('a lost node whose streams no other node can take: they end as otm-lost', async (t) => {
  const rig = await setUp(t, { nodes: ['node-a'] });
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  await advance(t, 3_000);
  await rig.rooms.handleNodeLost('node-a');
  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => [m.streamId, m.reason]),
    [[grant.streamId, 'otm-lost']],
  );
  assert.equal(rig.rooms.rooms.get('r')?.streams.size, 0);
});

test('a WHIP-only stream on a lost node ends at once: OBS never hears that it moved', async (t) => {
  const rig = await setUp(t);
  const bob = rig.join('r', 'Bob');
  const obs = rig.rooms.join('r', 'OBS', undefined, { headless: true });
  const grant = await rig.rooms.publish('r', obs.self.participantId, 'camera', true, true);
  await rig.connectPublisher(grant.streamId);
  await rig.rooms.handleNodeLost(rig.nodeOf(grant.streamId));
  assert.deepEqual(bob.sink.of('streamMoved'), []);
  assert.deepEqual(
    bob.sink.of('streamRemoved').map((m) => m.reason),
    ['publisher-lost'],
  );
  assert.equal(rig.commander.created.length, 1, 'no OTM placed for it again');
  assert.equal(rig.rooms.rooms.get('r')?.participants.size, 1);
});

test('a restarted node lost the OTMs of its previous process; its new ones stay', async (t) => {
  const rig = await setUp(t, { nodes: ['node-a'] });
  const alice = rig.join('r', 'Alice');
  const old = await rig.publishLive('r', alice);
  await rig.report(nodeReport('node-a', { startedAt: 2 }));
  const fresh = await rig.publishLive('r', alice);

  await rig.rooms.handleNodeLost('node-a', 2);

  assert.deepEqual(
    alice.sink.of('streamMoved').map((m) => [m.stream.streamId, m.stream.nodeId]),
    [[old.streamId, 'node-a']],
    'placed again on the same (only) node, now a new process',
  );
  assert.equal(rig.commander.created.filter((c) => c.streamId === fresh.streamId).length, 1);
});

test('a dead worker (otmClosed) moves the stream to another node; closes the controller made are no news', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  const from = rig.nodeOf(grant.streamId);
  await rig.nodeEvent({
    type: 'otmClosed',
    nodeId: from,
    streamId: grant.streamId,
    reason: 'closed by controller',
  });
  assert.deepEqual(bob.sink.of('streamMoved'), []);

  await rig.nodeEvent({ type: 'otmClosed', nodeId: from, streamId: grant.streamId, reason: 'worker exited' });
  const moved = bob.sink.of('streamMoved');
  assert.equal(moved.length, 1);
  assert.notEqual(moved[0].stream.nodeId, from);
});

test('the same loss reported twice places the stream once; a publisher leaving mid-move leaves no OTM', async (t) => {
  const rig = await setUp(t, { nodes: ['node-a', 'node-b', 'node-c'] });
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  const from = rig.nodeOf(grant.streamId);

  rig.commander.hold = true;
  const byEvent = rig.nodeEvent({
    type: 'otmClosed',
    nodeId: from,
    streamId: grant.streamId,
    reason: 'worker exited',
  });
  const byWatch = rig.rooms.handleNodeLost(from);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(rig.commander.heldCount, 1);
  rig.commander.release();
  await Promise.all([byEvent, byWatch]);
  rig.commander.hold = false;
  assert.equal(bob.sink.of('streamMoved').length, 1);

  const second = await rig.publishLive('r', bob);
  rig.commander.hold = true;
  const moving = rig.rooms.handleNodeLost(rig.nodeOf(second.streamId));
  await new Promise((resolve) => setImmediate(resolve));
  await rig.rooms.leave('r', bob.participantId);
  rig.commander.release();
  await moving;
  assert.ok(!rig.commander.open.has(second.streamId), 'the OTM placed for a gone stream was closed');
  assert.ok(
    !alice.sink.of('streamMoved').some((m) => m.stream.streamId === second.streamId),
    'no move announced for a removed stream',
  );
});

// ── chat, media state, grants ─────────────────────────────────────────────────────────

test('chat goes to everyone, the sender included, with the server id and time; newcomers get the history', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  t.mock.timers.tick(5_000);

  const sent = rig.rooms.chat('r', alice.participantId, '  hello  ');

  assert.equal(sent.text, 'hello');
  assert.equal(sent.sentAt, START + 5_000);
  assert.equal(sent.participantId, alice.participantId);
  assert.equal(sent.name, 'Alice');
  assert.match(sent.messageId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(alice.sink.of('chat'), [{ type: 'chat', message: sent }], 'the echo carries the same id');
  assert.deepEqual(bob.sink.of('chat'), [{ type: 'chat', message: sent }]);
  assert.deepEqual(rig.join('r', 'Carol').result.chat, [sent]);
  assert.throws(() => rig.rooms.chat('r', alice.participantId, ' '), rejectsWith('bad-request'));
  assert.throws(() => rig.rooms.chat('r', alice.participantId, 'x'.repeat(2001)), rejectsWith('bad-request'));
  assert.throws(() => rig.rooms.chat('r', 'stranger', 'hi'), rejectsWith('not-found'));
});

test('mute flags reach the room once the stream is live', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.rooms.publish('r', alice.participantId, 'camera', true, true);
  rig.rooms.setMediaState('r', alice.participantId, grant.streamId, true, false);
  assert.deepEqual(bob.sink.of('streamUpdated'), [], 'not live yet');
  await rig.connectPublisher(grant.streamId);
  assert.equal(bob.sink.of('streamAdded')[0].stream.audioMuted, true);
  rig.rooms.setMediaState('r', alice.participantId, grant.streamId, false, true);
  assert.deepEqual(
    bob.sink.of('streamUpdated').map((m) => [m.stream.audioMuted, m.stream.videoMuted]),
    [[false, true]],
  );
});

test('refreshGrant renews the token of a stream one publishes (WHIP) or watches (WHEP), on its current node', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const bob = rig.join('r', 'Bob');
  const grant = await rig.publishLive('r', alice);
  t.mock.timers.tick(TOKEN_TTL_SECONDS * 1000);
  assert.throws(
    () => rig.tokens.verify(grant.token, { streamId: grant.streamId, role: 'publish' }),
    /expired/,
  );

  const own = rig.rooms.refreshGrant('r', alice.participantId, grant.streamId);
  assert.equal(own.url, grant.url);
  assert.equal(
    rig.tokens.verify(own.token, { streamId: grant.streamId, role: 'publish' }).participantId,
    alice.participantId,
  );

  const watch = rig.rooms.refreshGrant('r', bob.participantId, grant.streamId);
  assert.equal(watch.url, grant.url.replace('/whip/', '/whep/'));
  assert.equal(
    rig.tokens.verify(watch.token, { streamId: grant.streamId, role: 'subscribe' }).participantId,
    bob.participantId,
  );

  for (const nodeId of ['node-a', 'node-b']) await rig.report(nodeReport(nodeId));
  const from = rig.nodeOf(grant.streamId);
  await rig.rooms.handleNodeLost(from);
  const moved = rig.rooms.refreshGrant('r', bob.participantId, grant.streamId);
  assert.ok(moved.url.startsWith(nodeUrl(rig.nodeOf(grant.streamId))));
  assert.notEqual(rig.nodeOf(grant.streamId), from);

  assert.throws(() => rig.rooms.refreshGrant('r', bob.participantId, 'gone'), rejectsWith('not-found'));
  assert.throws(() => rig.rooms.refreshGrant('r', 'stranger', grant.streamId), rejectsWith('not-found'));
});

test('closing the service tells every room and closes every OTM', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r1', 'Alice');
  const bob = rig.join('r2', 'Bob');
  await rig.publishLive('r1', alice);
  await rig.publishLive('r2', bob);
  rig.rooms.disconnected('r1', alice.participantId, alice.sink);
  await rig.rooms.close();
  assert.deepEqual(alice.sink.of('roomClosed'), []);
  assert.deepEqual(bob.sink.of('roomClosed'), [{ type: 'roomClosed', reason: 'server shutting down' }]);
  assert.equal(rig.commander.open.size, 0);
  assert.equal(rig.rooms.stats.rooms, 0);
  await advance(t, GRACE_MS); // no timer left to fire into a closed service
});

// ── moderation (issue 5): moderators mute, remove and end; viewers cannot ─────────────────

test('a moderator mutes another participant: its camera streams are marked muted and it is asked to mute', async (t) => {
  const rig = await setUp(t);
  const mod = rig.join('r', 'Mod', 'moderator');
  const alice = rig.join('r', 'Alice', 'viewer');
  const camera = await rig.publishLive('r', alice);
  const screen = await rig.rooms.publish('r', alice.participantId, 'screen', true, true);
  await rig.connectPublisher(screen.streamId);
  mod.sink.clear();
  alice.sink.clear();
  const before = JSON.stringify(rig.rooms.snapshotOf('r')?.streams);

  rig.rooms.muteParticipant('r', mod.participantId, alice.participantId, { audio: true, video: false });

  assert.deepEqual(alice.sink.of('muteRequested'), [
    { type: 'muteRequested', by: mod.participantId, audio: true, video: false },
  ]);
  assert.deepEqual(mod.sink.of('muteRequested'), [], 'only the target is asked');
  const updates = mod.sink.of('streamUpdated').map((m) => m.stream);
  assert.deepEqual(
    updates.map((s) => [s.streamId, s.audioMuted, s.videoMuted]),
    [[camera.streamId, true, false]],
    'the camera stream only; the screen share stays as it is',
  );
  assert.notEqual(
    JSON.stringify(rig.rooms.snapshotOf('r')?.streams),
    before,
    'the snapshot carries the flags',
  );
  // The target may unmute itself again: a request, not a lock.
  rig.rooms.setMediaState('r', alice.participantId, camera.streamId, false, false);
  assert.equal(mod.sink.of('streamUpdated').at(-1)?.stream.audioMuted, false);
  assert.throws(
    () =>
      rig.rooms.muteParticipant('r', mod.participantId, alice.participantId, { audio: false, video: false }),
    rejectsWith('bad-request'),
  );
  assert.throws(
    () => rig.rooms.muteParticipant('r', mod.participantId, 'nobody', { audio: true, video: false }),
    rejectsWith('not-found'),
  );
  assert.throws(
    () => rig.rooms.muteParticipant('r', mod.participantId, mod.participantId, { audio: true, video: false }),
    rejectsWith('bad-request'),
  );
});

test('moderation changes trigger onRoomChanged like every other change', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
  const rig = await RoomServiceRig.create();
  t.after(() => rig.close());
  const changed: string[] = [];
  // The rig's service has no hook: a service of its own on the rig's cluster, nodes and tokens.
  const rooms = new RoomService({
    clusterState: rig.clusterState,
    commander: rig.commander,
    placement: leastLoaded,
    tokens: rig.tokens,
    iceServers: [],
    rejoinGraceMs: GRACE_MS,
    log: quietLogger(),
    onRoomChanged: (room) => changed.push(room),
  });
  t.after(() => rooms.close());
  const mod = rooms.join('r', 'Mod', new RecordingSink(), { role: 'moderator' });
  const bob = rooms.join('r', 'Bob', new RecordingSink(), { role: 'viewer' });
  const carol = rooms.join('r', 'Carol', new RecordingSink(), { role: 'viewer' });
  changed.length = 0;
  rooms.muteParticipant('r', mod.self.participantId, bob.self.participantId, { audio: true, video: true });
  assert.ok(changed.length > 0, 'mute');
  changed.length = 0;
  await rooms.removeParticipant('r', mod.self.participantId, carol.self.participantId);
  assert.ok(changed.length > 0, 'remove');
  changed.length = 0;
  await rooms.endMeeting('r', mod.self.participantId);
  assert.ok(changed.length > 0, 'end');
});

test('a moderator removes a participant: it is told, its OTMs close, the room hears "removed", its ticket is void', async (t) => {
  const rig = await setUp(t);
  const mod = rig.join('r', 'Mod', 'moderator');
  const alice = rig.join('r', 'Alice', 'viewer');
  const bob = rig.join('r', 'Bob', 'viewer');
  const grant = await rig.publishLive('r', alice);

  await rig.rooms.removeParticipant('r', mod.participantId, alice.participantId);

  assert.deepEqual(alice.sink.of('removed'), [{ type: 'removed', by: mod.participantId }]);
  assert.deepEqual(alice.sink.of('participantLeft'), [], 'told once, then no longer in the room');
  assert.ok(!rig.commander.open.has(grant.streamId), 'its OTM is closed');
  for (const other of [mod, bob]) {
    assert.deepEqual(other.sink.of('streamRemoved'), [
      { type: 'streamRemoved', streamId: grant.streamId, reason: 'publisher-left' },
    ]);
    assert.deepEqual(other.sink.of('participantLeft'), [
      { type: 'participantLeft', participantId: alice.participantId, reason: 'removed' },
    ]);
  }
  assert.equal(rig.rooms.canResume('r', alice.result.rejoin), false);
  const again = rig.rooms.join('r', 'Alice', new RecordingSink(), { rejoin: alice.result.rejoin });
  assert.equal(again.resumed, false);
  assert.notEqual(again.self.participantId, alice.participantId);
  await assert.rejects(
    rig.rooms.removeParticipant('r', mod.participantId, alice.participantId),
    rejectsWith('not-found'),
  );
});

test('a moderator ends the meeting: everyone hears why, every OTM of the room closes', async (t) => {
  const rig = await setUp(t);
  const mod = rig.join('r', 'Mod', 'moderator');
  const alice = rig.join('r', 'Alice', 'viewer');
  const other = rig.join('elsewhere', 'Zed', 'moderator');
  const grants = [await rig.publishLive('r', mod), await rig.publishLive('r', alice)];
  const kept = await rig.publishLive('elsewhere', other);

  await rig.rooms.endMeeting('r', mod.participantId);

  for (const member of [mod, alice]) {
    assert.deepEqual(member.sink.of('roomClosed'), [{ type: 'roomClosed', reason: 'ended by a moderator' }]);
  }
  for (const grant of grants) assert.ok(!rig.commander.open.has(grant.streamId));
  assert.ok(rig.commander.open.has(kept.streamId), 'other rooms carry on');
  assert.equal(rig.rooms.rooms.has('r'), false);
  assert.deepEqual(other.sink.of('roomClosed'), []);
});

test('viewers may not mute, remove or end: forbidden with a clear message, nothing changes', async (t) => {
  const rig = await setUp(t);
  const mod = rig.join('r', 'Mod', 'moderator');
  const viewer = rig.join('r', 'Vic', 'viewer');
  const grant = await rig.publishLive('r', mod);
  mod.sink.clear();

  assert.throws(
    () =>
      rig.rooms.muteParticipant('r', viewer.participantId, mod.participantId, { audio: true, video: false }),
    rejectsWith('forbidden', /only a moderator can mute/),
  );
  await assert.rejects(
    rig.rooms.removeParticipant('r', viewer.participantId, mod.participantId),
    rejectsWith('forbidden', /only a moderator can remove/),
  );
  await assert.rejects(
    rig.rooms.endMeeting('r', viewer.participantId),
    rejectsWith('forbidden', /only a moderator can end the meeting/),
  );
  assert.deepEqual(mod.sink.messages, []);
  assert.ok(rig.commander.open.has(grant.streamId));
  assert.equal(rig.rooms.rooms.get('r')?.participants.size, 2);
  assert.equal(rig.rooms.rooms.get('r')?.streams.get(grant.streamId)?.audioMuted, false);
});

test('everyone in an open room is a moderator', async (t) => {
  const rig = await setUp(t);
  const a = rig.join('r', 'A');
  const b = rig.join('r', 'B');
  rig.rooms.muteParticipant('r', b.participantId, a.participantId, { audio: true, video: false });
  assert.equal(a.sink.of('muteRequested').length, 1);
});

test('a locked camera or microphone is refused, and said so; the rest of a stream, a screen share and others are not', async (t) => {
  const rig = await setUp(t);
  const viewer = rig.rooms.join('class', 'Vic', new RecordingSink(), {
    role: 'viewer',
    locks: { camera: true, microphone: false },
  });
  assert.deepEqual(viewer.self.locks, { camera: true, microphone: false }, 'the page is told');
  const vic = viewer.self.participantId;
  const refused = await rig.rooms.publish('class', vic, 'camera', true, true).then(
    () => assert.fail('a locked camera was published'),
    (error: unknown) => error,
  );
  assert.ok(refused instanceof ControllerError);
  assert.equal(refused.code, 'forbidden');
  assert.match(refused.message, /cameras are locked/);
  assert.ok(await rig.rooms.publish('class', vic, 'camera', true, false), 'the microphone alone is fine');
  assert.ok(await rig.rooms.publish('class', vic, 'screen', false, true), 'a screen share is not a camera');
  const muted = rig.rooms.join('class', 'Mo', new RecordingSink(), {
    role: 'viewer',
    locks: { camera: false, microphone: true },
  });
  await assert.rejects(
    rig.rooms.publish('class', muted.self.participantId, 'camera', true, true),
    /microphones are locked/,
  );
  const teacher = rig.join('class', 'Teacher');
  assert.equal(teacher.result.self.locks, undefined);
  assert.ok(await rig.rooms.publish('class', teacher.participantId, 'camera', true, true));
  // Another controller adopting the room keeps the locks.
  const adopted = rig.rooms.snapshotOf('class')!.participants.find((p) => p.participantId === vic);
  assert.deepEqual(adopted?.locks, { camera: true, microphone: false });
});
