import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import { NodeSampleRepository } from '../../src/db/NodeSampleRepository.ts';
import { RoomNodeRepository } from '../../src/db/RoomNodeRepository.ts';
import { RoomSessionRepository } from '../../src/db/RoomSessionRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { Logger } from '../../src/log/Logger.ts';
import { type LiveRoomLoad, LoadSampler, liveRoomsOf } from '../../src/stats/LoadSampler.ts';
import { describeEachEngine } from '../db/dbRig.ts';

const T = Date.UTC(2025, 0, 1, 8);
const log = new Logger({ level: 'silent', format: 'json' });

function report(nodeId: string, reportedAt: number, cpu = 0.5): NodeReport {
  return {
    nodeId,
    region: 'eu',
    url: `http://${nodeId}.invalid`,
    version: 'test',
    startedAt: T - 60_000,
    reportedAt,
    draining: false,
    workers: 2,
    load: {
      cpu,
      memoryRssBytes: 200e6,
      bitrateInBps: 3e6,
      bitrateOutBps: 9e6,
      packetsInPerSecond: 300,
      packetsOutPerSecond: 900,
      otms: 2,
      subscribers: 6,
    },
    capacity: { maxPacketsPerSecond: 100_000, maxSubscribers: 0 },
  };
}

/** A cluster whose nodes report at the clock's time, as heartbeats would. */
function cluster(clock: { now: number }, nodeIds: string[]) {
  const state = new MemoryClusterState(() => clock.now);
  return {
    state,
    heartbeat: async () => {
      for (const id of nodeIds) await state.putNode(report(id, clock.now), 60_000);
    },
  };
}

describeEachEngine('LoadSampler', (engine) => {
  it('stores each node’s report once per interval, keyed by the node’s report time', async () => {
    const db = await engine.migrated();
    const clock = { now: T + 1_000 };
    const { state, heartbeat } = cluster(clock, ['n1', 'n2']);
    const sampler = new LoadSampler({
      db,
      clusterState: state,
      intervalMs: 5_000,
      sampleRetentionMs: 0,
      hourRetentionMs: 0,
      log,
      now: () => clock.now,
    });
    for (let i = 0; i < 3; i++) {
      await heartbeat();
      assert.deepEqual(await sampler.sampleOnce(), { nodeSamples: 2 });
      clock.now += 5_000;
    }
    // No new report since the last round (the node is late): nothing new to store.
    assert.deepEqual(await sampler.sampleOnce(), { nodeSamples: 0 });
    const stored = await new NodeSampleRepository(db).list(0, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(
      stored.map((s) => [
        s.nodeId,
        s.bucketStart - T,
        s.sampledAt - T,
        s.cpu,
        s.bitrateOutBps,
        s.subscribers,
      ]),
      [
        ['n1', 0, 1_000, 0.5, 9e6, 6],
        ['n1', 5_000, 6_000, 0.5, 9e6, 6],
        ['n1', 10_000, 11_000, 0.5, 9e6, 6],
        ['n2', 0, 1_000, 0.5, 9e6, 6],
        ['n2', 5_000, 6_000, 0.5, 9e6, 6],
        ['n2', 10_000, 11_000, 0.5, 9e6, 6],
      ],
    );
    await db.close();
  });

  it('two controllers sampling the same cluster at different moments store each bucket once', async () => {
    const db = await engine.migrated();
    const clock = { now: T };
    const { state, heartbeat } = cluster(clock, ['n1', 'n2', 'n3']);
    const options = {
      db,
      clusterState: state,
      intervalMs: 10_000,
      sampleRetentionMs: 0,
      hourRetentionMs: 0,
      log,
      now: () => clock.now,
    };
    const first = new LoadSampler(options);
    const second = new LoadSampler(options);
    let stored = 0;
    // Nodes report every 2 s; the controllers sample every 10 s, 3 s apart, and once at the same moment.
    for (let t = 0; t < 60_000; t += 1_000) {
      clock.now = T + t;
      if (t % 2_000 === 0) await heartbeat();
      if (t % 10_000 === 0) stored += (await first.sampleOnce()).nodeSamples;
      if (t % 10_000 === 3_000) stored += (await second.sampleOnce()).nodeSamples;
    }
    clock.now = T + 60_000;
    await heartbeat();
    const both = await Promise.all([first.sampleOnce(), second.sampleOnce()]);
    stored += both[0].nodeSamples + both[1].nodeSamples;
    const samples = await new NodeSampleRepository(db).list(0, Number.MAX_SAFE_INTEGER);
    assert.equal(stored, samples.length);
    assert.equal(samples.length, 3 * 7, 'one per node for each 10 s bucket from 0 to 60 s');
    for (const id of ['n1', 'n2', 'n3']) {
      assert.deepEqual(
        samples.filter((s) => s.nodeId === id).map((s) => s.bucketStart - T),
        [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000],
      );
    }
    await db.close();
  });

  it('notes which nodes carry each meeting and keeps open rooms alive; closes the history of rooms gone', async () => {
    const db = await engine.migrated();
    const tenant = await new TenantRepository(db).create({ name: 't', secrets: ['s'] });
    await db.execute(
      `INSERT INTO meetings (id, tenant_id, external_id, room, name, attendee_pw, moderator_pw, created_at, started_at)
       VALUES ('m1', ?, 'class', 'portal-room', 'Class', 'a', 'm', ?, ?)`,
      [tenant.id, T, T],
    );
    const sessions = new RoomSessionRepository(db);
    const lobby = (await sessions.openIfAbsent('lobby', T)).session.id;
    const crashed = (await sessions.openIfAbsent('crashed', T)).session.id;
    const clock = { now: T };
    let live: LiveRoomLoad[] = [
      { room: 'portal-room', nodeIds: ['n1', 'n2'] },
      { room: 'lobby', nodeIds: ['n2'] },
      { room: 'not-recorded', nodeIds: ['n1'] },
    ];
    const sampler = new LoadSampler({
      db,
      clusterState: new MemoryClusterState(() => clock.now),
      intervalMs: 10_000,
      sampleRetentionMs: 0,
      hourRetentionMs: 0,
      liveRooms: () => live,
      abandonedAfterMs: 60_000,
      log,
      now: () => clock.now,
    });
    await sampler.sampleOnce();
    clock.now = T + 30_000;
    live = [
      { room: 'portal-room', nodeIds: ['n2'] },
      { room: 'lobby', nodeIds: ['n2'] },
    ];
    await sampler.sampleOnce();
    clock.now = T + 70_000;
    await sampler.sampleOnce();

    const nodes = new RoomNodeRepository(db);
    assert.deepEqual(
      (await nodes.listForSession('m1')).map((n) => [n.nodeId, n.firstSeenAt - T, n.lastSeenAt - T]),
      [
        ['n1', 0, 0],
        ['n2', 0, 70_000],
      ],
    );
    assert.deepEqual(
      (await nodes.listForSession(lobby)).map((n) => [n.nodeId, n.firstSeenAt - T, n.lastSeenAt - T]),
      [['n2', 0, 70_000]],
    );
    // 'crashed' was never seen alive by any controller's sampler: closed at the time it was last seen.
    const closed = await sessions.get(crashed);
    assert.equal(closed?.closeReason, 'abandoned');
    assert.equal(closed?.closedAt, T);
    assert.equal((await sessions.get(lobby))?.closedAt, undefined);
    assert.equal((await sessions.get(lobby))?.lastSeenAt, T + 70_000);
    await db.close();
  });

  it('deletes samples past the retention, at most once an hour', async () => {
    const db = await engine.migrated();
    const clock = { now: T };
    const { state, heartbeat } = cluster(clock, ['n1']);
    const sampler = new LoadSampler({
      db,
      clusterState: state,
      intervalMs: 60_000,
      sampleRetentionMs: 3 * 3600_000,
      hourRetentionMs: 0,
      log,
      now: () => clock.now,
    });
    const samples = new NodeSampleRepository(db);
    for (let minute = 0; minute <= 5 * 60; minute++) {
      clock.now = T + minute * 60_000;
      await heartbeat();
      await sampler.sampleOnce();
    }
    const kept = await samples.list(0, Number.MAX_SAFE_INTEGER);
    // The last prune ran at 5 h (0 h, 1 h, … 5 h) and removed what was older than 2 h then.
    assert.equal(kept[0]?.sampledAt, T + 2 * 3600_000);
    assert.equal(kept.length, 3 * 60 + 1);
    // Every hour over by then (two intervals and a minute ago) was summed before its samples went.
    const hours = await db.query('SELECT hour_start, samples, cpu_permille_sum FROM node_load_hours');
    assert.deepEqual(
      hours
        .map((h) => [Number(h.hour_start) - T, Number(h.samples), Number(h.cpu_permille_sum)])
        .sort((a, b) => a[0]! - b[0]!),
      [
        [0, 60, 60 * 500],
        [3600_000, 60, 60 * 500],
        [2 * 3600_000, 60, 60 * 500],
        [3 * 3600_000, 60, 60 * 500],
      ],
    );
    await db.close();
  });
});

describeEachEngine('LoadSampler hourly sums', (engine) => {
  it('sums each hour once it is over, once, whichever controller gets there first', async () => {
    const db = await engine.migrated();
    const clock = { now: T };
    const { state, heartbeat } = cluster(clock, ['n1', 'n2']);
    const options = {
      db,
      clusterState: state,
      intervalMs: 10_000,
      sampleRetentionMs: 0,
      hourRetentionMs: 0,
      log,
      now: () => clock.now,
    };
    const first = new LoadSampler(options);
    let second: LoadSampler | undefined;
    const hours = async () =>
      (await db.query('SELECT node_id, hour_start, samples FROM node_load_hours'))
        .map((h) => `${h.node_id}@${(Number(h.hour_start) - T) / 3600_000}h:${h.samples}`)
        .sort();
    for (let t = 0; t <= 2 * 3600_000 + 90_000; t += 10_000) {
      clock.now = T + t;
      await heartbeat();
      await first.sampleOnce();
      // A second controller starts half-way and catches up from what the first one summed.
      if (t === 3600_000 + 100_000) second = new LoadSampler(options);
      await second?.sampleOnce();
      if (t === 3600_000 + 60_000) assert.deepEqual(await hours(), [], 'the first hour is not over yet');
    }
    assert.deepEqual(await hours(), ['n1@0h:360', 'n1@1h:360', 'n2@0h:360', 'n2@1h:360']);
    await db.close();
  });
});

describeEachEngine('LoadSampler timer', (engine) => {
  it('samples at start and then every interval, and not after stop', async (t) => {
    const db = await engine.migrated();
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: T });
    const state = new MemoryClusterState();
    // Each report is made just before the tick that should store it.
    const heartbeat = (reportedAt: number) => state.putNode(report('n1', reportedAt), 3_600_000);
    const sampler = new LoadSampler({
      db,
      clusterState: state,
      intervalMs: 5_000,
      sampleRetentionMs: 0,
      hourRetentionMs: 0,
      log,
    });
    const samples = new NodeSampleRepository(db);
    const stored = async () => {
      await sampler.whenIdle();
      return (await samples.list(0, Number.MAX_SAFE_INTEGER)).map((s) => s.bucketStart - T);
    };
    await heartbeat(T);
    sampler.start();
    assert.deepEqual(await stored(), [0]);
    await heartbeat(T + 5_000);
    t.mock.timers.tick(5_000);
    assert.deepEqual(await stored(), [0, 5_000]);
    await heartbeat(T + 10_000);
    t.mock.timers.tick(5_000);
    assert.deepEqual(await stored(), [0, 5_000, 10_000]);
    await sampler.stop();
    await heartbeat(T + 15_000);
    t.mock.timers.tick(5_000);
    assert.deepEqual(await stored(), [0, 5_000, 10_000], 'nothing after stop');
    await db.close();
  });
});

it('liveRoomsOf reads the rooms and the nodes of their streams from a RoomService-shaped object', () => {
  const rooms = new Map([
    [
      'a',
      {
        streams: new Map([
          ['s1', { nodeId: 'n1' }],
          ['s2', { nodeId: 'n2' }],
          ['s3', { nodeId: 'n1' }],
        ]),
      },
    ],
    ['b', { streams: new Map<string, { nodeId: string }>() }],
  ]);
  assert.deepEqual(liveRoomsOf({ rooms })(), [
    { room: 'a', nodeIds: ['n1', 'n2'] },
    { room: 'b', nodeIds: [] },
  ]);
});
