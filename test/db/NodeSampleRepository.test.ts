import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type NodeSample, NodeSampleRepository } from '../../src/db/NodeSampleRepository.ts';
import { describeEachEngine } from './dbRig.ts';

function sample(nodeId: string, sampledAt: number, cpu = 0.25): NodeSample {
  return {
    nodeId,
    region: 'eu',
    sampledAt,
    cpu,
    memoryBytes: 123_456_789,
    bitrateInBps: 2_500_000.4,
    bitrateOutBps: 10_000_000,
    packetsInPerSecond: 250.6,
    packetsOutPerSecond: 1000,
    otms: 3,
    subscribers: 12,
  };
}

describeEachEngine('NodeSampleRepository', (engine) => {
  it('keeps one sample per node and bucket: a second insert for the same bucket does nothing', async () => {
    const db = await engine.migrated();
    const samples = new NodeSampleRepository(db);
    assert.equal(await samples.insertIfAbsent([sample('a', 10_100), sample('b', 10_200)], 5_000), 2);
    // Another controller reading the same reports, and a later report in the same 5 s bucket.
    assert.equal(await samples.insertIfAbsent([sample('a', 10_100), sample('b', 14_999, 0.9)], 5_000), 0);
    assert.equal(await samples.insertIfAbsent([sample('a', 15_000)], 5_000), 1);
    const stored = await samples.list(0, 100_000);
    assert.deepEqual(
      stored.map((s) => [s.nodeId, s.bucketStart, s.sampledAt, s.cpu]),
      [
        ['a', 10_000, 10_100, 0.25],
        ['a', 15_000, 15_000, 0.25],
        ['b', 10_000, 10_200, 0.25],
      ],
    );
    assert.deepEqual(stored[0], {
      nodeId: 'a',
      region: 'eu',
      bucketStart: 10_000,
      sampledAt: 10_100,
      cpu: 0.25,
      memoryBytes: 123_456_789,
      bitrateInBps: 2_500_000,
      bitrateOutBps: 10_000_000,
      packetsInPerSecond: 251,
      packetsOutPerSecond: 1000,
      otms: 3,
      subscribers: 12,
    });
    await db.close();
  });

  it('two controllers inserting the same reports at once store each sample once', async () => {
    const db = await engine.migrated();
    const reports = Array.from({ length: 20 }, (_, i) => sample(`node-${i}`, 60_000 + i));
    const [x, y] = await Promise.all([
      new NodeSampleRepository(db).insertIfAbsent(reports, 10_000),
      new NodeSampleRepository(db).insertIfAbsent(reports, 10_000),
    ]);
    assert.equal(x + y, 20);
    assert.equal((await new NodeSampleRepository(db).list(0, 1e9)).length, 20);
    await db.close();
  });

  it('stores odd reports as counts: CPU capped at 1, negatives and NaN as 0', async () => {
    const db = await engine.migrated();
    const samples = new NodeSampleRepository(db);
    await samples.insertIfAbsent(
      [{ ...sample('a', 1_000, 3.7), memoryBytes: Number.NaN, bitrateInBps: -5, otms: Infinity }],
      1_000,
    );
    const [stored] = await samples.list(0, 10_000);
    assert.equal(stored?.cpu, 1);
    assert.equal(stored?.memoryBytes, 0);
    assert.equal(stored?.bitrateInBps, 0);
    assert.equal(stored?.otms, 0);
    await db.close();
  });

  it('prunes samples taken before a time', async () => {
    const db = await engine.migrated();
    const samples = new NodeSampleRepository(db);
    await samples.insertIfAbsent([sample('a', 1_000), sample('a', 2_000), sample('a', 3_000)], 1_000);
    assert.equal(await samples.pruneBefore(2_500), 2);
    assert.deepEqual(
      (await samples.list(0, 10_000)).map((s) => s.sampledAt),
      [3_000],
    );
    await db.close();
  });
});
