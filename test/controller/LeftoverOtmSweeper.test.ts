import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ClusterState } from '../../src/cluster/ClusterState.ts';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import { LeftoverOtmSweeper } from '../../src/controller/LeftoverOtmSweeper.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { FakeNodeCommander } from './fakes/FakeNodeCommander.ts';
import { nodeReport, nodeUrl, RoomServiceRig } from './roomServiceRig.ts';

const START = 1_700_000_000_000;

async function twoNodes(): Promise<{ state: MemoryClusterState; commander: FakeNodeCommander }> {
  const state = new MemoryClusterState(() => Date.now());
  for (const nodeId of ['node-a', 'node-b']) await state.putNode(nodeReport(nodeId), 60_000);
  return { state, commander: new FakeNodeCommander() };
}

/** An OTM a node holds, created at `createdAt`, that no controller's room record names. */
async function strayOtm(
  commander: FakeNodeCommander,
  nodeId: string,
  streamId: string,
  room: string,
  createdAt: number,
): Promise<void> {
  await commander.createOtm(nodeUrl(nodeId), { streamId, room, publisherId: 'p' });
  commander.listings.get(streamId)!.createdAt = createdAt;
}

test('closes every OTM of the ended room on every node, and nothing else', async () => {
  const { state, commander } = await twoNodes();
  const endedAt = Date.now();
  await strayOtm(commander, 'node-a', 's1', 'standup', endedAt - 5_000);
  await strayOtm(commander, 'node-b', 's2', 'standup', endedAt - 1);
  await strayOtm(commander, 'node-b', 'other', 'weekly', endedAt - 5_000);
  // A new room of the same name, started after the end, keeps its OTM.
  await strayOtm(commander, 'node-a', 'newer', 'standup', endedAt + 50);

  const closed = await new LeftoverOtmSweeper(state, commander, quietLogger()).sweep('standup', endedAt);

  assert.deepEqual(closed.sort(), ['s1', 's2']);
  assert.deepEqual([...commander.open.keys()].sort(), ['newer', 'other']);
});

test('leaves OTMs the home is closing itself, and skips nodes it cannot ask', async () => {
  const { state, commander } = await twoNodes();
  const endedAt = Date.now();
  await strayOtm(commander, 'node-a', 'closing', 'r', endedAt - 10);
  await strayOtm(commander, 'node-b', 'unlisted', 'r', endedAt - 10);
  commander.unlistable.add(nodeUrl('node-b'));

  const closed = await new LeftoverOtmSweeper(state, commander, quietLogger()).sweep(
    'r',
    endedAt,
    (url, streamId) => url === nodeUrl('node-a') && streamId === 'closing',
  );

  assert.deepEqual(closed, []);
  assert.deepEqual([...commander.open.keys()].sort(), ['closing', 'unlisted']);
});

test('never rejects: no cluster state, or a close that fails, closes what it can', async () => {
  const { state, commander } = await twoNodes();
  const broken = { listNodes: () => Promise.reject(new Error('redis down')) } as unknown as ClusterState;
  assert.deepEqual(await new LeftoverOtmSweeper(broken, commander, quietLogger()).sweep('r', Date.now()), []);

  await strayOtm(commander, 'node-a', 'a', 'r', Date.now() - 10);
  await strayOtm(commander, 'node-b', 'b', 'r', Date.now() - 10);
  const failing = Object.create(commander) as FakeNodeCommander;
  failing.closeOtm = (url: string, streamId: string) =>
    url === nodeUrl('node-a') ? Promise.reject(new Error('timeout')) : commander.closeOtm(url, streamId);
  assert.deepEqual(await new LeftoverOtmSweeper(state, failing, quietLogger()).sweep('r', Date.now()), ['b']);
});

async function setUp(t: TestContext): Promise<RoomServiceRig> {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
  const rig = await RoomServiceRig.create();
  t.after(() => rig.close());
  return rig;
}

test('a room that closes when its last participant leaves takes an OTM its record never named', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('r', 'Alice');
  const live = await rig.publishLive('r', alice);
  // Placed by an earlier home after its last snapshot: this controller never heard of it.
  await strayOtm(rig.commander, 'node-b', 'placed-by-the-dead-home', 'r', Date.now() - 1_000);
  await strayOtm(rig.commander, 'node-a', 'another-room', 'other', Date.now() - 1_000);

  await rig.rooms.leave('r', alice.participantId);
  await rig.rooms.leftoverSweepsDone();

  assert.equal(rig.rooms.rooms.has('r'), false);
  assert.deepEqual([...rig.commander.open.keys()], ['another-room']);
  // The stream the room knew was closed once, by the room itself, not again by the sweep.
  assert.equal(rig.commander.closed.filter((c) => c.streamId === live.streamId).length, 1);
});

test('a room ended by a moderator or a portal takes its leftovers too', async (t) => {
  const rig = await setUp(t);
  const alice = rig.join('class', 'Alice');
  await rig.publishLive('class', alice);
  await strayOtm(rig.commander, 'node-a', 'leftover', 'class', Date.now() - 1_000);

  assert.equal(await rig.rooms.endRoom('class', 'ended by the moderator'), true);
  await rig.rooms.leftoverSweepsDone();

  assert.equal(rig.commander.open.size, 0);
});
