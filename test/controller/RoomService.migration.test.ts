import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leastLoaded } from '../../src/controller/placement/leastLoaded.ts';
import type { PlacementPolicy, PlacementRequest } from '../../src/controller/placement/PlacementPolicy.ts';
import { Logger } from '../../src/log/Logger.ts';
import { type Member, nodeReport, nodeUrl, RoomServiceRig } from './roomServiceRig.ts';

const FAST = { connectTimeoutMs: 150, handoverTimeoutMs: 150 };
/** Long enough that only the events a test sends end a migration. */
const SLOW = { connectTimeoutMs: 5000, handoverTimeoutMs: 5000 };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A room with a publisher (camera live on node-a) and a viewer; node-b joins the cluster afterwards. */
async function roomOnNodeA(migration = FAST): Promise<{
  rig: RoomServiceRig;
  publisher: Member;
  viewer: Member;
  streamId: string;
}> {
  const rig = await RoomServiceRig.create({ nodes: ['node-a'], service: { migration } });
  const publisher = rig.join('r', 'Pat');
  const viewer = rig.join('r', 'Vic');
  const { streamId } = await rig.publishLive('r', publisher);
  assert.equal(rig.nodeOf(streamId), 'node-a');
  await rig.nodeEvent({
    type: 'subscriberConnected',
    nodeId: 'node-a',
    streamId,
    participantId: viewer.participantId,
  });
  await rig.report(nodeReport('node-b'));
  await rig.report(
    nodeReport('node-a', { draining: true, drain: { reason: 'test', force: false, since: 1 } }),
  );
  publisher.sink.clear();
  viewer.sink.clear();
  return { rig, publisher, viewer, streamId };
}

/** Whether `nodeId` runs an OTM for the stream. */
function otmOn(rig: RoomServiceRig, nodeId: string, streamId: string): boolean {
  return rig.commander.openOnNodes.has(`${nodeUrl(nodeId)} ${streamId}`);
}

/** The publisher's media reached the stream's new OTM on node-b. */
function publisherOnNodeB(rig: RoomServiceRig, streamId: string): Promise<void> {
  return rig.nodeEvent({
    type: 'publisherConnected',
    nodeId: 'node-b',
    streamId,
    hasAudio: true,
    hasVideo: true,
  });
}

/** The viewer's WHEP session on the stream's old OTM (node-a) ended. */
function viewerLeftNodeA(rig: RoomServiceRig, streamId: string, viewer: Member): Promise<void> {
  return rig.nodeEvent({
    type: 'subscriberDisconnected',
    nodeId: 'node-a',
    streamId,
    participantId: viewer.participantId,
    reason: 'deleted',
  });
}

test('a drained stream moves make-before-break: new OTM, publisher follows, room told, old OTM closed last', async () => {
  const { rig, publisher, viewer, streamId } = await roomOnNodeA(SLOW);
  const summary = await rig.rooms.migrateOff('node-a');
  assert.deepEqual(summary, { started: 1, moving: 0, whipOnly: [], removed: 0 });

  // (a) a new OTM on node-b while the old one keeps running; (b) only the publisher hears of it.
  assert.ok(otmOn(rig, 'node-b', streamId));
  assert.ok(otmOn(rig, 'node-a', streamId));
  const [migrating] = publisher.sink.of('streamMigrating');
  assert.equal(migrating?.streamId, streamId);
  assert.match(migrating!.grant.url, /^http:\/\/node-b\.test:7000\/whip\//);
  assert.deepEqual(viewer.sink.types(), []);
  assert.equal(rig.rooms.subscribe('r', viewer.participantId, streamId).url.includes('node-a'), true);
  assert.deepEqual(await rig.rooms.migrateOff('node-a'), { started: 0, moving: 1, whipOnly: [], removed: 0 });

  // (c) the publisher's media reached node-b: everyone hears streamMoved, live, on node-b.
  await publisherOnNodeB(rig, streamId);
  const [moved] = viewer.sink.of('streamMoved');
  assert.equal(moved?.stream.nodeId, 'node-b');
  assert.equal(moved?.stream.live, true);
  assert.match(rig.rooms.subscribe('r', viewer.participantId, streamId).url, /node-b/);
  assert.ok(otmOn(rig, 'node-a', streamId), 'old OTM still forwards');
  assert.equal(rig.rooms.streamsOn('node-a'), 0);

  // Events of the old OTM are no news about the stream any more.
  await rig.nodeEvent({ type: 'publisherDisconnected', nodeId: 'node-a', streamId, reason: 'deleted' });
  assert.ok(rig.rooms.rooms.get('r')?.streams.has(streamId));

  // (d) the viewer left the old OTM: it closes, and the publisher closes its old connection.
  await viewerLeftNodeA(rig, streamId, viewer);
  assert.ok(!otmOn(rig, 'node-a', streamId));
  assert.ok(otmOn(rig, 'node-b', streamId));
  assert.deepEqual(
    publisher.sink.of('streamMigrated').map((m) => m.streamId),
    [streamId],
  );
  assert.equal(rig.rooms.stats.migrations, 1);
  assert.equal(rig.rooms.stats.migrationFallbacks, 0);
  assert.deepEqual(viewer.sink.of('streamRemoved'), []);
  await rig.close();
  assert.equal(rig.commander.openOnNodes.size, 0);
});

test('the old OTM closes after the hand-over time when a subscriber never leaves it', async () => {
  const { rig, publisher, streamId } = await roomOnNodeA();
  await rig.rooms.migrateOff('node-a');
  await publisherOnNodeB(rig, streamId);
  assert.ok(otmOn(rig, 'node-a', streamId));
  await sleep(FAST.handoverTimeoutMs + 100);
  assert.ok(!otmOn(rig, 'node-a', streamId));
  assert.equal(publisher.sink.of('streamMigrated').length, 1);
  await rig.close();
});

test('a publisher that does not follow (an older client) is moved as after a failure', async () => {
  const { rig, publisher, viewer, streamId } = await roomOnNodeA();
  await rig.rooms.migrateOff('node-a');
  await sleep(FAST.connectTimeoutMs + 100);
  const [moved] = viewer.sink.of('streamMoved');
  assert.equal(moved?.stream.nodeId, 'node-b');
  assert.equal(moved?.stream.live, false, 'subscribers wait for the publisher to come back');
  assert.equal(publisher.sink.of('streamMoved').length, 1, 'the publisher republishes on streamMoved');
  assert.match(rig.rooms.republish('r', publisher.participantId, streamId).url, /node-b/);
  assert.ok(!otmOn(rig, 'node-a', streamId));
  assert.equal(rig.rooms.stats.migrationFallbacks, 1);
  await rig.close();
});

test('a stream nobody watches hands over at once: its old OTM closes when the publisher reached the new one', async () => {
  const { rig, viewer, streamId } = await roomOnNodeA(SLOW);
  await viewerLeftNodeA(rig, streamId, viewer);
  await rig.rooms.migrateOff('node-a');
  await publisherOnNodeB(rig, streamId);
  assert.ok(!otmOn(rig, 'node-a', streamId));
  await rig.close();
});

test('a stream not live yet simply moves; the old OTM closes at once', async () => {
  const rig = await RoomServiceRig.create({ nodes: ['node-a'], service: { migration: FAST } });
  const publisher = rig.join('r', 'Pat');
  const { streamId } = await rig.rooms.publish('r', publisher.participantId, 'camera', true, true);
  await rig.report(nodeReport('node-b'));
  await rig.rooms.migrateOff('node-a');
  assert.equal(rig.nodeOf(streamId), 'node-b');
  assert.ok(!otmOn(rig, 'node-a', streamId));
  assert.equal(publisher.sink.of('streamMoved').length, 1);
  await rig.close();
});

test('WHIP-only publishers stay on a draining node unless the drain is forced', async () => {
  const rig = await RoomServiceRig.create({ nodes: ['node-a'], service: { migration: FAST } });
  const obs = rig.rooms.join('r', 'OBS', undefined, { headless: true });
  const viewer = rig.join('r', 'Vic');
  const grant = await rig.rooms.publish('r', obs.self.participantId, 'camera', true, true);
  await rig.connectPublisher(grant.streamId);
  await rig.report(nodeReport('node-b'));
  const kept = await rig.rooms.migrateOff('node-a');
  assert.deepEqual(kept.whipOnly, [{ room: 'r', streamId: grant.streamId }]);
  assert.equal(kept.started, 0);
  assert.equal(rig.nodeOf(grant.streamId), 'node-a');
  const forced = await rig.rooms.migrateOff('node-a', { force: true });
  assert.equal(forced.removed, 1);
  assert.deepEqual(
    viewer.sink.of('streamRemoved').map((m) => m.reason),
    ['publisher-lost'],
  );
  assert.equal(rig.commander.openOnNodes.size, 0);
  await rig.close();
});

test('a publisher leaving mid-migration leaves no OTM on either node', async () => {
  const { rig, publisher, streamId } = await roomOnNodeA();
  await rig.rooms.migrateOff('node-a');
  assert.equal(rig.commander.openOnNodes.size, 2);
  await rig.rooms.leave('r', publisher.participantId);
  assert.equal(rig.commander.openOnNodes.size, 0, [...rig.commander.openOnNodes].join());
  await sleep(FAST.connectTimeoutMs + 50);
  assert.equal(rig.rooms.stats.migrationFallbacks, 0);
  assert.ok(!rig.rooms.rooms.get('r')?.streams.has(streamId));
  await rig.close();
});

test('the migration target dying before the publisher arrives leaves the stream where it is, to try again', async () => {
  const { rig, streamId } = await roomOnNodeA();
  rig.commander.hold = false;
  await rig.rooms.migrateOff('node-a');
  await rig.nodeEvent({ type: 'otmClosed', nodeId: 'node-b', streamId, reason: 'worker died' });
  assert.equal(rig.rooms.streamsOn('node-a'), 1);
  const again = await rig.rooms.migrateOff('node-a');
  assert.equal(again.started, 1);
  await rig.close();
});

test('an adopting controller closes the second OTM of a migration the dead home left half done', async () => {
  const { rig, streamId } = await roomOnNodeA(SLOW);
  await rig.rooms.migrateOff('node-a');
  const snapshot = rig.rooms.snapshotOf('r')!;
  rig.rooms.evict('r', 'test');
  await rig.rooms.adopt(JSON.parse(JSON.stringify(snapshot)));
  assert.ok(otmOn(rig, 'node-a', streamId), 'the recorded OTM stays');
  assert.ok(!otmOn(rig, 'node-b', streamId));
  await rig.close();
});

test('placement is asked for the publisher’s region, else the controller’s, else none', async () => {
  const requests: PlacementRequest[] = [];
  const recording: PlacementPolicy = {
    name: 'recording',
    choose(candidates, request) {
      requests.push(request);
      return leastLoaded.choose(candidates, request);
    },
  };
  const withDefault = await RoomServiceRig.create({
    service: { placement: recording, defaultRegion: 'us-east' },
  });
  const near = withDefault.rooms.join('r', 'Eve', undefined, { region: 'eu-west' });
  await withDefault.rooms.publish('r', near.self.participantId, 'camera', true, true);
  const unknown = withDefault.join('r', 'Udo');
  await withDefault.rooms.publish('r', unknown.participantId, 'camera', true, true);
  assert.equal(
    withDefault.rooms.snapshotOf('r')?.participants.find((p) => p.name === 'Eve')?.region,
    'eu-west',
  );
  await withDefault.close();
  const without = await RoomServiceRig.create({ service: { placement: recording } });
  const anyone = without.join('r', 'Ann');
  await without.rooms.publish('r', anyone.participantId, 'camera', true, true);
  await without.close();
  assert.deepEqual(
    requests.map((r) => r.region),
    ['eu-west', 'us-east', undefined],
  );
});

test('nodes of a wire protocol the controller does not speak get nothing, and are logged once', async () => {
  const lines: string[] = [];
  const log = new Logger({ level: 'warn', format: 'json', write: (line) => lines.push(line) });
  const rig = await RoomServiceRig.create({ nodes: [], service: { log } });
  await rig.report(nodeReport('next-gen', { protocol: 2 }));
  const member = rig.join('r', 'Pat');
  for (let i = 0; i < 2; i++) {
    await assert.rejects(rig.rooms.publish('r', member.participantId, 'camera', true, true), {
      code: 'cluster-full',
    });
  }
  await rig.report(nodeReport('current'));
  await rig.rooms.publish('r', member.participantId, 'camera', true, true);
  assert.deepEqual(rig.commander.nodesUsed(), [nodeUrl('current')]);
  assert.equal(lines.filter((l) => l.includes('wire protocol')).length, 1, lines.join(''));
  await rig.close();
});

test('after a takeover the hand-over waits for everyone with a socket, as who subscribed is not in the snapshot', async () => {
  const { rig, viewer, publisher, streamId } = await roomOnNodeA(SLOW);
  const snapshot = JSON.parse(JSON.stringify(rig.rooms.snapshotOf('r')));
  rig.rooms.evict('r', 'test');
  await rig.rooms.adopt(snapshot);
  for (const member of [publisher, viewer])
    rig.rooms.join('r', member.result.self.name, member.sink, { rejoin: member.result.rejoin });
  await rig.rooms.migrateOff('node-a');
  await publisherOnNodeB(rig, streamId);
  assert.ok(otmOn(rig, 'node-a', streamId), 'the viewer may still be on it');
  await viewerLeftNodeA(rig, streamId, viewer);
  assert.ok(!otmOn(rig, 'node-a', streamId));
  await rig.close();
});
