import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import { leastLoaded } from '../../src/controller/placement/leastLoaded.ts';
import { RoomHomes } from '../../src/controller/RoomHomes.ts';
import { RoomService } from '../../src/controller/RoomService.ts';
import { isRoomSnapshot, type RoomSnapshot } from '../../src/controller/rooms/RoomSnapshot.ts';
import { RECONNECT_CLOSE_CODE } from '../../src/controller/SignallingProxy.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import type { JoinResult, RejoinTicket } from '../../src/protocol/roomSignalling.ts';
import { MediaTokens } from '../../src/security/MediaTokens.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { CuttableDirectory, SharedDirectory } from './fakes/CuttableDirectory.ts';
import { FakeNodeCommander } from './fakes/FakeNodeCommander.ts';
import { RecordingSink } from './fakes/RecordingSink.ts';
import { nodeReport, nodeUrl, TOKEN_SECRET } from './roomServiceRig.ts';

/** Short leases so that a dead home's rooms are adopted within a test's patience. */
const LEASE_MS = 300;
const RENEW_MS = 60;
const SWEEP_MS = 100;

/** What two or more controllers share: the room directory, the nodes (their state and OTMs). */
class Cluster {
  readonly directory = new SharedDirectory();
  readonly clusterState = new MemoryClusterState();
  readonly commander = new FakeNodeCommander();
  readonly tokens = new MediaTokens(TOKEN_SECRET, 600);
  readonly controllers: TestController[] = [];

  static async create(t: TestContext): Promise<Cluster> {
    const cluster = new Cluster();
    for (const nodeId of ['node-a', 'node-b']) await cluster.clusterState.putNode(nodeReport(nodeId), 60_000);
    t.after(() => Promise.all(cluster.controllers.map((c) => c.crash())));
    return cluster;
  }

  async controller(id: string, graceMs = 15_000): Promise<TestController> {
    const controller = new TestController(this, id, graceMs);
    this.controllers.push(controller);
    await controller.homes.start();
    return controller;
  }

  snapshot(room: string): Promise<RoomSnapshot | undefined> {
    return this.directory.current.loadSnapshot(room) as Promise<RoomSnapshot | undefined>;
  }
}

/** One controller's rooms and homes, as Controller wires them, without HTTP or sockets. */
class TestController {
  readonly id: string;
  readonly directory: CuttableDirectory;
  readonly rooms: RoomService;
  readonly homes: RoomHomes;
  readonly #cluster: Cluster;

  constructor(cluster: Cluster, id: string, graceMs: number) {
    this.id = id;
    this.#cluster = cluster;
    this.directory = new CuttableDirectory(cluster.directory);
    this.rooms = new RoomService({
      clusterState: cluster.clusterState,
      commander: cluster.commander,
      placement: leastLoaded,
      tokens: cluster.tokens,
      iceServers: [],
      rejoinGraceMs: graceMs,
      log: quietLogger(),
      onRoomChanged: (room) => this.homes.changed(room),
    });
    this.homes = new RoomHomes({
      directory: this.directory,
      controllerId: id,
      internalUrl: `http://${id}.test:8080`,
      version: 'test',
      host: {
        hasRoom: (room) => this.rooms.rooms.has(room),
        snapshotOf: (room) => this.rooms.snapshotOf(room),
        adopt: (snapshot) => this.rooms.adopt(snapshot),
        evict: (room) => this.rooms.evict(room, 'the room moved to another controller'),
      },
      log: quietLogger(),
      leaseMs: LEASE_MS,
      renewMs: RENEW_MS,
      sweepMs: SWEEP_MS,
      reachTimeoutMs: 3000,
    });
  }

  /** A client's join through this controller, as SignallingServer does it: home first, then the room. */
  async join(
    room: string,
    name: string,
    rejoin?: RejoinTicket,
  ): Promise<{ result: JoinResult; sink: RecordingSink }> {
    // A frozen controller does not answer the forwarded socket either: the join waits and asks again.
    const reached = await this.homes.reach(room, true, async (_url, controllerId) =>
      this.#cluster.controllers.find((c) => c.id === controllerId)?.directory.cut ? undefined : 'elsewhere',
    );
    assert.equal(reached.at, 'here', `${this.id} is not the home of ${room}`);
    const sink = new RecordingSink();
    const result = this.rooms.join(room, name, sink, { rejoin });
    await this.homes.flush(room);
    return { result, sink };
  }

  /** Stops the controller as a crash would: no lease released, no OTM closed. */
  async crash(): Promise<void> {
    this.directory.cut = true;
    await this.homes.close(false).catch(() => undefined);
    for (const room of [...this.rooms.rooms.keys()]) this.rooms.evict(room, 'test over');
  }
}

async function publishLive(
  cluster: Cluster,
  controller: TestController,
  room: string,
  participantId: string,
) {
  const grant = await controller.rooms.publish(room, participantId, 'camera', true, true);
  const nodeId = new URL(cluster.commander.open.get(grant.streamId)!).hostname.replace(/\.test$/, '');
  cluster.commander.setPublisherConnected(grant.streamId, true);
  await controller.rooms.handleNodeEvent({
    type: 'publisherConnected',
    nodeId,
    streamId: grant.streamId,
    hasAudio: true,
    hasVideo: true,
  });
  await controller.homes.flush(room);
  return grant;
}

/** Two controllers; at ctl-1 Alice, with her camera live, and then `others` join 'standup'. */
async function standupAtOne(t: TestContext, ...others: string[]) {
  const cluster = await Cluster.create(t);
  const one = await cluster.controller('ctl-1');
  const two = await cluster.controller('ctl-2');
  const alice = await one.join('standup', 'Alice');
  const joined: Awaited<ReturnType<TestController['join']>>[] = [];
  for (const name of others) joined.push(await one.join('standup', name));
  const grant = await publishLive(cluster, one, 'standup', alice.result.self.participantId);
  return { cluster, one, two, alice, others: joined, grant };
}

/** A rejoin came back as the same participant, the stream still listed and live. */
function assertSameWithLiveStream(
  again: { result: JoinResult },
  before: { result: JoinResult },
  streamId: string,
  message?: string,
): void {
  assert.equal(again.result.self.participantId, before.result.self.participantId);
  assert.deepEqual(
    again.result.streams.map((s) => [s.streamId, s.live]),
    [[streamId, true]],
    message,
  );
}

test('the controller a room’s first client reaches becomes its home; the others route to it', async (t) => {
  const cluster = await Cluster.create(t);
  const one = await cluster.controller('ctl-1');
  const two = await cluster.controller('ctl-2');
  await one.join('standup', 'Alice');

  assert.deepEqual(await two.homes.route('standup', true), {
    at: 'peer',
    controllerId: 'ctl-1',
    url: 'http://ctl-1.test:8080',
  });
  assert.deepEqual(await two.homes.route('nowhere-yet', false), { at: 'nowhere' });
  assert.deepEqual(one.homes.heldRooms, ['standup']);
  assert.deepEqual(two.homes.heldRooms, []);
});

test('a change is in the snapshot before the request that made it is answered', async (t) => {
  const cluster = await Cluster.create(t);
  const one = await cluster.controller('ctl-1');
  const alice = await one.join('standup', 'Alice');
  const aliceId = alice.result.self.participantId;
  assert.deepEqual(
    (await cluster.snapshot('standup'))?.participants.map((p) => [p.participantId, p.rejoinSecret]),
    [[aliceId, alice.result.rejoin.secret]],
  );

  const grant = await publishLive(cluster, one, 'standup', aliceId);
  one.rooms.chat('standup', aliceId, 'hello');
  one.rooms.setMediaState('standup', aliceId, grant.streamId, true, false);
  await one.homes.flush('standup');

  const snapshot = await cluster.snapshot('standup');
  assert.ok(isRoomSnapshot(snapshot));
  assert.deepEqual(
    snapshot.streams.map((s) => ({ id: s.streamId, live: s.live, audioMuted: s.audioMuted })),
    [{ id: grant.streamId, live: true, audioMuted: true }],
  );
  assert.deepEqual(
    snapshot.chat.map((m) => m.text),
    ['hello'],
  );
});

test('the home dies: a rejoining client makes another controller adopt the room, and resumes as itself', async (t) => {
  const { cluster, one, two, alice, grant, others } = await standupAtOne(t, 'Bob');
  const [bob] = others;

  one.directory.cut = true; // the home freezes: no renewal, no release, nothing closed
  const rejoinStarted = Date.now();
  const bobAgain = await two.join('standup', 'Bob', bob.result.rejoin);

  assert.equal(bobAgain.result.resumed, true);
  assertSameWithLiveStream(
    bobAgain,
    bob,
    grant.streamId,
    'the stream is live as before: its OTM never stopped',
  );
  assert.deepEqual(
    bobAgain.result.participants.map((p) => p.name),
    ['Alice', 'Bob'],
  );
  assert.deepEqual(cluster.commander.closed, [], 'no OTM was closed');
  assert.equal(cluster.commander.created.length, 1, 'nor placed again');
  assert.equal(two.homes.adoptions.length, 1);
  const waited = Date.now() - rejoinStarted;
  assert.ok(waited < LEASE_MS + 500, `the rejoin waited ${waited} ms for the dead home's lease`);

  const aliceAgain = await two.join('standup', 'Alice', alice.result.rejoin);
  assert.equal(aliceAgain.result.resumed, true);
  assert.equal(aliceAgain.result.self.participantId, alice.result.self.participantId);
  two.rooms.chat('standup', alice.result.self.participantId, 'still here');
  assert.deepEqual(
    bobAgain.sink.of('chat').map((m) => m.message.text),
    ['still here'],
  );

  // The old home comes back to life: it learns the room moved, lets it go, touches no OTM.
  one.directory.cut = false;
  await waitFor('the old home to give the room up', () => !one.rooms.rooms.has('standup') || undefined, 2000);
  assert.equal(alice.sink.closed?.code, RECONNECT_CLOSE_CODE, 'its clients are told to reconnect');
  assert.deepEqual(cluster.commander.closed, []);
  assert.ok(two.rooms.rooms.has('standup'));
  assert.equal(await cluster.directory.current.home('standup'), 'ctl-2');
});

test('a rejoin arriving while the sweep is adopting the room waits for the room, and resumes', async (t) => {
  const cluster = await Cluster.create(t);
  const one = await cluster.controller('ctl-1');
  const alice = await one.join('standup', 'Alice');
  await publishLive(cluster, one, 'standup', alice.result.self.participantId);
  await one.crash();
  await waitFor(
    'the lease to lapse',
    async () => (await cluster.directory.current.home('standup')) === undefined || undefined,
  );
  const two = await cluster.controller('ctl-2');
  two.directory.loadDelayMs = 150; // the adoption holds the lease well before the room is restored

  const sweeping = two.homes.sweep();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(two.homes.heldRooms, ['standup'], 'claimed, not yet restored');
  const aliceAgain = await two.join('standup', 'Alice', alice.result.rejoin);
  await sweeping;

  assert.equal(aliceAgain.result.resumed, true, 'not a fresh room over the snapshot');
  assert.equal(aliceAgain.result.self.participantId, alice.result.self.participantId);
  assert.equal(aliceAgain.result.streams.length, 1);
});

test('an adopted room is checked against its nodes: lost OTMs placed again, unknown ones closed, publishers as the node saw them', async (t) => {
  const cluster = await Cluster.create(t);
  const one = await cluster.controller('ctl-1');
  const alice = await one.join('standup', 'Alice');
  const aliceId = alice.result.self.participantId;
  const kept = await publishLive(cluster, one, 'standup', aliceId);
  const vanished = await publishLive(cluster, one, 'standup', aliceId);
  const unseen = await one.rooms.publish('standup', aliceId, 'screen', false, true);
  await one.homes.flush('standup');
  // What the home never learnt before it died: a publisher connected, an OTM vanished, an OTM placed.
  cluster.commander.setPublisherConnected(unseen.streamId, true);
  const vanishedNode = cluster.commander.open.get(vanished.streamId)!;
  cluster.commander.forget(vanished.streamId);
  await cluster.commander.createOtm(nodeUrl('node-b'), {
    streamId: 'placed-after-the-last-snapshot',
    room: 'standup',
    publisherId: aliceId,
  });
  await cluster.commander.createOtm(nodeUrl('node-b'), {
    streamId: 'another-rooms-stream',
    room: 'elsewhere',
    publisherId: 'x',
  });
  await one.crash();

  const two = await cluster.controller('ctl-2');
  await waitFor('the sweep to adopt the room', () => two.rooms.rooms.get('standup'), 3000);
  const room = two.rooms.rooms.get('standup')!;
  await waitFor(
    'the lost OTM placed again',
    () => cluster.commander.open.has(vanished.streamId) || undefined,
  );

  assert.equal(room.streams.get(kept.streamId)?.live, true);
  assert.equal(room.streams.get(unseen.streamId)?.live, true, 'the node saw its publisher connect');
  assert.equal(room.streams.get(vanished.streamId)?.live, false, 'placed again: its publisher republishes');
  assert.notEqual(cluster.commander.open.get(vanished.streamId), undefined);
  assert.ok(
    cluster.commander.closed.some((c) => c.streamId === 'placed-after-the-last-snapshot'),
    'an OTM of the room the snapshot does not know is closed',
  );
  assert.ok(!cluster.commander.closed.some((c) => c.streamId === 'another-rooms-stream'));
  assert.ok(!cluster.commander.closed.some((c) => c.streamId === kept.streamId));
  assert.ok(vanishedNode);
  assert.ok(room.participants.get(aliceId)?.graceTimer, 'Alice waits for her rejoin');
});

test('nobody comes back to an adopted room: its grace runs out, its OTMs close, its snapshot and lease go', async (t) => {
  const cluster = await Cluster.create(t);
  const one = await cluster.controller('ctl-1');
  const alice = await one.join('standup', 'Alice');
  await publishLive(cluster, one, 'standup', alice.result.self.participantId);
  await one.crash();

  const two = await cluster.controller('ctl-2', 400);
  await waitFor('the sweep to adopt the room', () => two.rooms.rooms.has('standup') || undefined, 3000);
  await waitFor('the room to close', () => !two.rooms.rooms.has('standup') || undefined, 3000);
  await waitFor(
    'the snapshot deleted',
    async () => (await cluster.snapshot('standup')) === undefined || undefined,
  );
  assert.equal(cluster.commander.open.size, 0, 'every OTM closed');
  assert.equal(await cluster.directory.current.home('standup'), undefined, 'lease released');
  assert.deepEqual(two.homes.heldRooms, []);
});

test('the directory loses its data (Redis restart): the home takes its room back, nobody else starts it afresh', async (t) => {
  const { cluster, one, two } = await standupAtOne(t);
  // ctl-2 has seen the directory's epoch; then Redis restarts with nothing in it.
  await waitFor(
    'ctl-2 to know the directory',
    async () => (await two.homes.controllers()).length === 2 || undefined,
  );
  cluster.directory.wipe();

  // A newcomer reaches ctl-2 first: it must find the room at its home, not open an empty one.
  const route = await two.homes.reach('standup', true, async (url, controllerId) => ({ url, controllerId }));
  assert.deepEqual(route, { at: 'peer', value: { url: 'http://ctl-1.test:8080', controllerId: 'ctl-1' } });
  assert.equal(await cluster.directory.current.home('standup'), 'ctl-1');
  await waitFor('the snapshot written again', () => cluster.snapshot('standup'));
  assert.deepEqual(
    (await cluster.snapshot('standup'))?.participants.map((p) => p.name),
    ['Alice'],
  );
  assert.equal(one.rooms.rooms.get('standup')?.participants.size, 1, 'the room went on at its home');
  assert.deepEqual(cluster.commander.closed, []);
});

test('a controller shutting down hands its rooms over: another adopts them at once, OTMs untouched', async (t) => {
  const { cluster, one, two, alice } = await standupAtOne(t);

  await one.homes.close(true);
  one.rooms.handOver();
  assert.equal(alice.sink.closed?.code, RECONNECT_CLOSE_CODE);
  assert.equal(
    await cluster.directory.current.home('standup'),
    undefined,
    'lease released, not left to lapse',
  );

  const aliceAgain = await two.join('standup', 'Alice', alice.result.rejoin);
  assert.equal(aliceAgain.result.resumed, true);
  assert.deepEqual(cluster.commander.closed, []);
});

test('a home cut off from the directory past its lease stops acting as home; its late writes never land over the adopter', async (t) => {
  const { cluster, one, two, alice, grant, others } = await standupAtOne(t, 'Bob', 'Carol');
  const [bob, carol] = others;
  await waitFor('ctl-1 to know ctl-2', async () => (await one.homes.controllers()).length === 2 || undefined);

  one.directory.cut = true; // partitioned from Redis, still reachable by its clients
  const cutAt = Date.now();
  // A change made while cut off cannot be written: it stays queued in the writer, to be retried.
  await one.rooms.leave('standup', carol.result.self.participantId);

  await waitFor('the cut-off home to fence itself', () => one.homes.fenced || undefined, 2000);
  const fencedAfter = Date.now() - cutAt;
  assert.ok(fencedAfter < LEASE_MS + 2 * RENEW_MS, `fenced ${fencedAfter} ms after the cut`);
  assert.equal(one.rooms.rooms.has('standup'), false, 'the room is evicted');
  assert.equal(alice.sink.closed?.code, RECONNECT_CLOSE_CODE, 'its clients are told to reconnect');
  assert.equal(bob.sink.closed?.code, RECONNECT_CLOSE_CODE);
  assert.deepEqual(one.homes.heldRooms, []);
  // It homes no room now: a request reaching it is relayed to a peer it knew, or refused at once
  // (the client then tries another controller through the load balancer).
  const relayedTo: string[] = [];
  const relayed = await one.homes.reach('retro', true, async (_url, controllerId) => {
    relayedTo.push(controllerId);
    return 'relayed';
  });
  assert.deepEqual(relayed, { at: 'peer', value: 'relayed' });
  assert.deepEqual(relayedTo, ['ctl-2']);
  const refusedAt = Date.now();
  await assert.rejects(
    one.homes.reach('retro', true, async () => undefined),
    (error: Error & { code?: string }) => error.code === 'unavailable',
  );
  assert.ok(Date.now() - refusedAt < 100, 'refused at once when no peer answers');
  assert.deepEqual(one.homes.heldRooms, []);

  // The clients reconnect through the load balancer to the other controller: it adopts the room.
  const aliceAgain = await two.join('standup', 'Alice', alice.result.rejoin);
  const bobAgain = await two.join('standup', 'Bob', bob.result.rejoin);
  assert.equal(aliceAgain.result.resumed, true);
  assertSameWithLiveStream(bobAgain, bob, grant.streamId);
  assert.deepEqual(cluster.commander.closed, [], 'no OTM was closed: the adopter carries them on');
  two.rooms.chat('standup', bob.result.self.participantId, 'written by the adopter');
  await two.homes.flush('standup');
  const adopted = await cluster.snapshot('standup');
  assert.ok(adopted);

  // The partition heals: the old home's retried write (a delete: it has no room any more) is refused.
  one.directory.cut = false;
  await waitFor('the old home to reach the directory again', () => !one.homes.fenced || undefined, 2000);
  await waitFor('its queued write refused', () => one.homes.fencing.refusedWrites > 0 || undefined, 2000);
  assert.deepEqual(await cluster.snapshot('standup'), adopted, 'the adopter’s snapshot is untouched');
  assert.equal(await cluster.directory.current.home('standup'), 'ctl-2');
  assert.ok(two.rooms.rooms.has('standup'));
  assert.equal(one.homes.fencing.fenced, 1);

  // Reachable again, it homes rooms again.
  await one.join('retro', 'Dan');
  assert.deepEqual(one.homes.heldRooms, ['retro']);
});

test('cut off past its lease while Redis restarted empty: the fenced home restores its room from its own copy', async (t) => {
  const { cluster, one, two, alice, grant, others } = await standupAtOne(t, 'Bob');
  const [bob] = others;
  await waitFor(
    'ctl-2 to know the directory',
    async () => (await two.homes.controllers()).length === 2 || undefined,
  );

  one.directory.cut = true;
  cluster.directory.wipe(); // Redis restarts without its data while ctl-1 cannot reach it
  await waitFor('the cut-off home to fence itself', () => one.homes.fenced || undefined, 2000);
  assert.equal(alice.sink.closed?.code, RECONNECT_CLOSE_CODE);
  await new Promise((resolve) => setTimeout(resolve, 2 * SWEEP_MS));
  assert.deepEqual(two.homes.heldRooms, [], 'nobody else started the room afresh meanwhile');

  one.directory.cut = false;
  await waitFor(
    'the room back at its home',
    async () => ((await cluster.directory.current.home('standup')) === 'ctl-1' ? true : undefined),
    2000,
  );
  const restored = await waitFor('its snapshot written again', () => cluster.snapshot('standup'), 2000);
  assert.deepEqual(restored.participants.map((p) => p.name).sort(), ['Alice', 'Bob']);

  const bobAgain = await one.join('standup', 'Bob', bob.result.rejoin);
  assert.equal(bobAgain.result.resumed, true);
  assertSameWithLiveStream(bobAgain, bob, grant.streamId);
  assert.deepEqual(cluster.commander.closed, []);
  assert.deepEqual(two.homes.heldRooms, []);
});
