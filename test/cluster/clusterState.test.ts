import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterState } from '../../src/cluster/ClusterState.ts';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import { RedisClusterState } from '../../src/cluster/redis/RedisClusterState.ts';
import { RedisServer } from '../support/redisServer.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { onMemoryAndRedis } from './onMemoryAndRedis.ts';

function report(nodeId: string, otms = 0): NodeReport {
  return {
    nodeId,
    region: 'local',
    url: `http://127.0.0.1:1/${nodeId}`,
    version: '0.1.0',
    startedAt: 1,
    reportedAt: 2,
    draining: false,
    workers: 1,
    load: {
      cpu: 0.1,
      memoryRssBytes: 1,
      bitrateInBps: 0,
      bitrateOutBps: 0,
      packetsInPerSecond: 0,
      packetsOutPerSecond: 0,
      otms,
      subscribers: 0,
    },
    capacity: { maxPacketsPerSecond: 1000, maxSubscribers: 0 },
  };
}

/** The same contract for every implementation: what the controller relies on. */
function contract(name: string, open: () => Promise<ClusterState>, cleanup: () => Promise<void>) {
  describe(`${name} cluster state`, () => {
    let state: ClusterState;
    before(async () => {
      state = await open();
    });
    after(async () => {
      await state.close();
      await cleanup();
    });

    it('lists what nodes put, the latest report winning', async () => {
      await state.putNode(report('a', 1), 5000);
      await state.putNode(report('b'), 5000);
      await state.putNode(report('a', 7), 5000);
      const nodes = (await state.listNodes()).sort((x, y) => x.nodeId.localeCompare(y.nodeId));
      assert.deepEqual(
        nodes.map((n) => [n.nodeId, n.load.otms]),
        [
          ['a', 7],
          ['b', 0],
        ],
      );
    });

    it('forgets a node that stops reporting once its TTL passes', async () => {
      await state.putNode(report('short-lived'), 150);
      assert.ok((await state.listNodes()).some((n) => n.nodeId === 'short-lived'));
      await waitFor(
        'the node to expire',
        async () => !(await state.listNodes()).some((n) => n.nodeId === 'short-lived') || undefined,
        3000,
      );
    });

    it('removes a node that leaves', async () => {
      await state.putNode(report('leaving'), 5000);
      await state.removeNode('leaving');
      assert.ok(!(await state.listNodes()).some((n) => n.nodeId === 'leaving'));
    });

    it('gives a lease to one holder at a time, renews it for that holder, lets it lapse', async () => {
      assert.equal(await state.acquireLease('job', 'c1', 200), true);
      assert.equal(await state.acquireLease('job', 'c2', 200), false);
      assert.equal(await state.acquireLease('job', 'c1', 200), true, 'the holder renews');
      assert.equal(await state.acquireLease('other-job', 'c2', 5000), true, 'leases are per name');
      await waitFor(
        'the lease to lapse',
        async () => (await state.acquireLease('job', 'c2', 5000)) || undefined,
        3000,
      );
      assert.equal(await state.acquireLease('job', 'c1', 5000), false);
    });

    it('releases a lease only for its holder', async () => {
      assert.equal(await state.acquireLease('released', 'c1', 5000), true);
      await state.releaseLease('released', 'c2');
      assert.equal(await state.acquireLease('released', 'c2', 5000), false);
      await state.releaseLease('released', 'c1');
      assert.equal(await state.acquireLease('released', 'c2', 5000), true);
    });

    it('returns copies: mutating a listed report changes nothing stored', async () => {
      await state.putNode(report('copy', 3), 5000);
      const [listed] = (await state.listNodes()).filter((n) => n.nodeId === 'copy');
      listed!.load.otms = 99;
      const [again] = (await state.listNodes()).filter((n) => n.nodeId === 'copy');
      assert.equal(again!.load.otms, 3);
    });
  });
}

onMemoryAndRedis(contract, {
  memory: () => new MemoryClusterState(),
  redis: (url) => new RedisClusterState({ url, keyPrefix: 'test:' }),
});

describe('Redis cluster state across a Redis restart', () => {
  it('recovers from the nodes’ next heartbeats', async () => {
    const server = await RedisServer.start();
    const state = new RedisClusterState({ url: server.url, keyPrefix: 'test:' });
    try {
      await state.putNode(report('n1'), 5000);
      await server.restart();
      // Everything in Redis is gone; the next heartbeat puts the node back.
      await waitFor(
        'the node to report again',
        async () => {
          await state.putNode(report('n1'), 5000);
          return (await state.listNodes()).some((n) => n.nodeId === 'n1') || undefined;
        },
        10_000,
      );
    } finally {
      await state.close();
      await server.stop();
    }
  });
});
