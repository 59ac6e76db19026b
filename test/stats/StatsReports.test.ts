import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../src/db/Database.ts';
import { NodeSampleRepository } from '../../src/db/NodeSampleRepository.ts';
import { DIRECT_ROOMS_NAME, StatsReports } from '../../src/stats/StatsReports.ts';
import { describeEachEngine } from '../db/dbRig.ts';
import { at, type BuiltHistory, buildHistory, MIN } from './statsHistory.ts';

/** Every expected value below is worked out by hand from the history in statsHistory.ts. */
describeEachEngine('StatsReports', (engine) => {
  let db: Database;
  let h: BuiltHistory;
  let reports: StatsReports;
  const scope = (fromMin: number, toMin: number, tenantIds: string[] = []) => ({
    from: at(fromMin),
    to: at(toMin),
    tenantIds,
  });

  it('builds the history', async () => {
    db = await engine.migrated();
    h = await buildHistory(db);
    reports = new StatsReports(db);
  });

  it('summary of the whole network: meetings running in the interval, durations, peaks, simultaneous users', async () => {
    // mA1 mA2 mA4 mB1 mB2 r1 (mA3 never started, r2 and r3 opened after the interval).
    // Ended: 60+60+60+50+30 = 260 min over 5. Peaks 3+2+12+7+1+2 = 27 over 6. Most at once: mA4's 12.
    assert.deepEqual(await reports.summary(scope(0, 240)), {
      from: at(0),
      to: at(240),
      tenantIds: [],
      meetings: 6,
      endedMeetings: 5,
      averageDurationMs: 52 * MIN,
      averagePeakUsers: 4.5,
      maxSimultaneousUsers: 12,
    });
    // Without mA4: the most at once is at 50–60 min, a1 a4 and beta's 7 across two tenants.
    const firstTwoHours = await reports.summary(scope(0, 120));
    assert.equal(firstTwoHours.meetings, 5);
    assert.equal(firstTwoHours.maxSimultaneousUsers, 9);
    // mA1 ended exactly at 60: not running in [60, 120). a1's leave at 60 is not counted either.
    const later = await reports.summary(scope(60, 120));
    assert.equal(later.meetings, 2);
    assert.equal(later.maxSimultaneousUsers, 8);
    assert.equal(later.averageDurationMs, 60 * MIN);
  });

  it('summary of one tenant and of a group of tenants leaves the others and rooms outside the portal out', async () => {
    assert.deepEqual(await reports.summary(scope(0, 240, [h.alpha])), {
      from: at(0),
      to: at(240),
      tenantIds: [h.alpha],
      meetings: 3,
      endedMeetings: 2,
      averageDurationMs: 60 * MIN,
      averagePeakUsers: 5.67,
      maxSimultaneousUsers: 12,
    });
    const alphaEarly = await reports.summary(scope(0, 120, [h.alpha]));
    assert.equal(alphaEarly.meetings, 2);
    assert.equal(alphaEarly.averagePeakUsers, 2.5);
    assert.equal(alphaEarly.maxSimultaneousUsers, 4, 'a1 a2 a4 a5 at 40–45 min');
    const both = await reports.summary(scope(0, 120, [h.alpha, h.beta]));
    assert.equal(both.meetings, 4);
    assert.equal(both.averageDurationMs, 57.5 * MIN);
    assert.equal(both.averagePeakUsers, 3.25);
    assert.equal(both.maxSimultaneousUsers, 9);
    assert.deepEqual(await reports.summary(scope(0, 240, [h.gamma])), {
      from: at(0),
      to: at(240),
      tenantIds: [h.gamma],
      meetings: 0,
      endedMeetings: 0,
      averageDurationMs: null,
      averagePeakUsers: null,
      maxSimultaneousUsers: 0,
    });
  });

  it('distribution of room sizes by each meeting’s peak', async () => {
    const sizes = await reports.roomSizes(scope(0, 240));
    assert.deepEqual(
      sizes.buckets.map((b) => [b.label, b.meetings]),
      [
        ['1', 1],
        ['2', 2],
        ['3–5', 1],
        ['6–10', 1],
        ['11–25', 1],
        ['26–50', 0],
        ['51–100', 0],
        ['101+', 0],
      ],
    );
    assert.deepEqual(sizes.buckets[7], { label: '101+', minUsers: 101, maxUsers: null, meetings: 0 });
    const beta = await reports.roomSizes(scope(0, 240, [h.beta]));
    assert.deepEqual(
      beta.buckets.filter((b) => b.meetings > 0).map((b) => [b.label, b.meetings]),
      [
        ['1', 1],
        ['6–10', 1],
      ],
    );
  });

  it('meetings per node, counting a meeting on two nodes for each, within the interval', async () => {
    assert.deepEqual(await reports.meetingsPerNode(scope(0, 240)), {
      from: at(0),
      to: at(240),
      tenantIds: [],
      nodes: [
        { nodeId: 'n1', meetings: 3 },
        { nodeId: 'n2', meetings: 3 },
      ],
      withoutKnownNode: 1,
    });
    const firstHour = await reports.meetingsPerNode(scope(0, 60));
    assert.deepEqual(firstHour.nodes, [
      { nodeId: 'n1', meetings: 3 },
      { nodeId: 'n2', meetings: 2 },
    ]);
    // mA4 was seen on n3 only from minute 300 on.
    const alphaLate = await reports.meetingsPerNode(scope(100, 240, [h.alpha]));
    assert.deepEqual(alphaLate.nodes, [{ nodeId: 'n2', meetings: 1 }]);
    assert.equal(alphaLate.withoutKnownNode, 0);
    const alphaAfter = await reports.meetingsPerNode(scope(100, 500, [h.alpha]));
    assert.deepEqual(alphaAfter.nodes, [
      { nodeId: 'n2', meetings: 1 },
      { nodeId: 'n3', meetings: 1 },
    ]);
  });

  it('users per tenant over time: the most present at once in each slot', async () => {
    const users = await reports.usersOverTime(scope(0, 240), 60 * MIN);
    assert.deepEqual(users.buckets, [at(0), at(60), at(120), at(180)]);
    assert.equal(users.bucketMs, 60 * MIN);
    assert.deepEqual(users.total, [9, 8, 0, 12]);
    assert.deepEqual(users.series, [
      { tenantId: h.alpha, tenantName: 'alpha', peakUsers: [4, 1, 0, 12] },
      { tenantId: h.beta, tenantName: 'beta', peakUsers: [7, 7, 0, 0] },
      { tenantId: null, tenantName: DIRECT_ROOMS_NAME, peakUsers: [2, 0, 0, 0] },
    ]);
    // A chosen tenant without any history still gets its (empty) series; the last slot is cut at `to`.
    const chosen = await reports.usersOverTime(scope(0, 90, [h.alpha, h.gamma]), 60 * MIN);
    assert.deepEqual(chosen.buckets, [at(0), at(60)]);
    assert.deepEqual(chosen.total, [4, 1]);
    assert.deepEqual(chosen.series, [
      { tenantId: h.alpha, tenantName: 'alpha', peakUsers: [4, 1] },
      { tenantId: h.gamma, tenantName: 'gamma', peakUsers: [0, 0] },
    ]);
  });

  it('CPU and bandwidth per node over time: averages of the samples in each slot', async () => {
    const load = await reports.nodeLoadOverTime(at(0), at(240), 60 * MIN);
    assert.deepEqual(load.buckets, [at(0), at(60), at(120), at(180)]);
    assert.deepEqual(load.nodes, [
      {
        nodeId: 'n1',
        region: 'eu-west',
        cpu: [0.3, 0.9, null, null],
        cpuMax: [0.4, 0.9, null, null],
        memoryBytes: [400_000_000, 1_000_000_000, null, null],
        mbpsIn: [2, 10, null, null],
        mbpsOut: [6, 20, null, null],
        otms: [3, 9, null, null],
        subscribers: [30, 90, null, null],
      },
      {
        nodeId: 'n2',
        region: 'us',
        cpu: [null, 0.5, 0.1, null],
        cpuMax: [null, 0.5, 0.1, null],
        memoryBytes: [null, 600_000_000, 200_000_000, null],
        mbpsIn: [null, 5, 1, null],
        mbpsOut: [null, 5, 1, null],
        otms: [null, 5, 1, null],
        subscribers: [null, 50, 10, null],
      },
    ]);
    const empty = await reports.nodeLoadOverTime(at(1000), at(1060), 30 * MIN);
    assert.deepEqual(empty.nodes, []);
    assert.deepEqual(empty.buckets, [at(1000), at(1030)]);
  });

  it('with steps of an hour or more, reads the hours that are over from the hourly sums', async () => {
    const fromSamples = await reports.nodeLoadOverTime(at(0), at(240), 60 * MIN);
    const samples = new NodeSampleRepository(db);
    for (let hour = -1; hour <= 4; hour++) await samples.rollUpHour(at(hour * 60));
    assert.deepEqual(await reports.nodeLoadOverTime(at(0), at(240), 60 * MIN), fromSamples);
    // The samples are gone (retention); the hours remain and give the same answer.
    await samples.pruneBefore(at(1000));
    assert.deepEqual(await reports.nodeLoadOverTime(at(0), at(240), 60 * MIN), fromSamples);
    const twoHours = await reports.nodeLoadOverTime(at(0), at(240), 120 * MIN);
    assert.deepEqual(
      twoHours.nodes[0]?.cpu,
      [(0.2 + 0.4 + 0.9) / 3, null].map((v) => v && Math.round(v * 1e4) / 1e4),
    );
    assert.deepEqual(twoHours.nodes[1]?.cpu, [0.5, 0.1]);
    // Finer steps read samples only: none are left.
    assert.deepEqual((await reports.nodeLoadOverTime(at(0), at(240), 30 * MIN)).nodes, []);
  });

  it('live rooms: running meetings and open rooms, biggest first, with the nodes seen lately', async () => {
    const live = await reports.liveRooms([], at(200));
    assert.deepEqual(live, [
      {
        sessionId: 'mA4',
        room: 'room-mA4',
        name: 'Meeting mA4',
        tenantId: h.alpha,
        tenantName: 'alpha',
        startedAt: at(200),
        users: 12,
        nodeIds: ['n2', 'n3'],
      },
      {
        sessionId: h.rooms.r3,
        room: 'r3',
        name: 'r3',
        tenantId: null,
        tenantName: DIRECT_ROOMS_NAME,
        startedAt: at(250),
        users: 1,
        nodeIds: [],
      },
    ]);
    assert.deepEqual(
      (await reports.liveRooms([h.alpha], at(350))).map((r) => [r.sessionId, r.nodeIds]),
      [['mA4', ['n3']]],
    );
    assert.deepEqual(await reports.liveRooms([h.beta], at(0)), []);
  });

  it('lists tenants by name and tells which ids are unknown', async () => {
    assert.deepEqual(
      (await reports.tenants()).map((t) => t.name),
      ['alpha', 'beta', 'gamma'],
    );
    assert.deepEqual(await reports.unknownTenants([h.alpha, 'nope']), ['nope']);
    await db.close();
  });
});
