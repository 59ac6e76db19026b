import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterBus } from '../../src/cluster/ClusterBus.ts';
import { MemoryClusterBus } from '../../src/cluster/memory/MemoryClusterBus.ts';
import { RedisClusterBus } from '../../src/cluster/redis/RedisClusterBus.ts';
import { RedisServer } from '../support/redisServer.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { onMemoryAndRedis } from './onMemoryAndRedis.ts';

/** Two endpoints of one bus (two processes in cluster mode), and the contract between them. */
function contract(name: string, open: () => Promise<[ClusterBus, ClusterBus]>, cleanup: () => Promise<void>) {
  describe(`${name} cluster bus`, () => {
    let a: ClusterBus;
    let b: ClusterBus;
    before(async () => {
      [a, b] = await open();
    });
    after(async () => {
      await a.close();
      if (b !== a) await b.close();
      await cleanup();
    });

    it('delivers a copy of each message to every subscriber of the channel', async () => {
      const got1: unknown[] = [];
      const got2: unknown[] = [];
      const off1 = await b.subscribe('events', (m) => got1.push(m));
      const off2 = await b.subscribe('events', (m) => got2.push(m));
      const sent = { type: 'otmClosed', streamId: 's1' };
      await a.publish('events', sent);
      await waitFor('both handlers', () => (got1.length === 1 && got2.length === 1) || undefined, 3000);
      assert.deepEqual(got1[0], sent);
      assert.notEqual(got1[0], sent, 'a copy, not the same object');
      off1();
      off2();
    });

    it('keeps channels apart and stops delivering after unsubscribe', async () => {
      const got: unknown[] = [];
      const off = await b.subscribe('one', (m) => got.push(m));
      await a.publish('two', { n: 1 });
      await a.publish('one', { n: 2 });
      await waitFor('the message on its channel', () => got.length === 1 || undefined, 3000);
      off();
      await a.publish('one', { n: 3 });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, [{ n: 2 }]);
    });
  });
}

onMemoryAndRedis(contract, {
  memory: (): [ClusterBus, ClusterBus] => {
    const bus = new MemoryClusterBus();
    return [bus, bus];
  },
  redis: (url): [ClusterBus, ClusterBus] => [
    new RedisClusterBus({ url, keyPrefix: 'test:' }),
    new RedisClusterBus({ url, keyPrefix: 'test:' }),
  ],
});

describe('Redis cluster bus across a Redis restart', () => {
  it('subscriptions come back by themselves', async () => {
    const server = await RedisServer.start();
    const a = new RedisClusterBus({ url: server.url, keyPrefix: 'test:' });
    const b = new RedisClusterBus({ url: server.url, keyPrefix: 'test:' });
    try {
      const got: unknown[] = [];
      await b.subscribe('events', (m) => got.push(m));
      await server.restart();
      await waitFor(
        'delivery after the restart',
        async () => {
          await a.publish('events', { after: 'restart' }).catch(() => undefined);
          return got.length > 0 || undefined;
        },
        10_000,
      );
      assert.deepEqual(got[0], { after: 'restart' });
    } finally {
      await a.close();
      await b.close();
      await server.stop();
    }
  });
});
