import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MemoryRoomDirectory } from '../../src/cluster/memory/MemoryRoomDirectory.ts';
import type { RoomDirectory } from '../../src/cluster/RoomDirectory.ts';
import { RedisRoomDirectory } from '../../src/cluster/redis/RedisRoomDirectory.ts';
import { RedisServer } from '../support/redisServer.ts';
import { waitFor } from '../support/startTestCluster.ts';
import { onMemoryAndRedis } from './onMemoryAndRedis.ts';

let unique = 0;
/** Each test gets its own room names, so the suite shares one directory without cross-talk. */
const roomName = (base: string) => `${base}-${++unique}`;

function contract(name: string, open: () => Promise<RoomDirectory>, cleanup: () => Promise<void>) {
  describe(`${name} room directory`, () => {
    let directory: RoomDirectory;
    before(async () => {
      directory = await open();
    });
    after(async () => {
      await directory.close();
      await cleanup();
    });

    it('gives a free room to the first claimant and tells later ones who holds it', async () => {
      const room = roomName('lecture');
      assert.equal(await directory.claim(room, 'ctl-a', 5000), 'ctl-a');
      assert.equal(await directory.claim(room, 'ctl-b', 5000), 'ctl-a');
      assert.equal(await directory.claim(room, 'ctl-a', 5000), 'ctl-a', 'the holder may claim again');
      assert.equal(await directory.home(room), 'ctl-a');
    });

    it('hands the room over once the holder stops renewing', async () => {
      const room = roomName('handover');
      await directory.claim(room, 'ctl-a', 150);
      await waitFor(
        'the lease to lapse',
        async () => (await directory.home(room)) === undefined || undefined,
        3000,
      );
      assert.equal(await directory.claim(room, 'ctl-b', 5000), 'ctl-b');
      assert.deepEqual(
        await directory.renew([room], 'ctl-a', 5000),
        [room],
        'the old holder learns it lost the room',
      );
    });

    it('renews only the caller’s own leases', async () => {
      const mine = roomName('mine');
      const theirs = roomName('theirs');
      await directory.claim(mine, 'ctl-a', 300);
      await directory.claim(theirs, 'ctl-b', 5000);
      assert.deepEqual(await directory.renew([mine, theirs], 'ctl-a', 5000), [theirs]);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await directory.home(mine), 'ctl-a', 'renewed past its first expiry');
      assert.equal(await directory.home(theirs), 'ctl-b');
    });

    it('lets only the holder release a room', async () => {
      const room = roomName('release');
      await directory.claim(room, 'ctl-a', 5000);
      await directory.release(room, 'ctl-b');
      assert.equal(await directory.home(room), 'ctl-a');
      await directory.release(room, 'ctl-a');
      assert.equal(await directory.home(room), undefined);
    });

    it('fences snapshot writes by the lease: only its holder writes, never a home whose lease lapsed', async () => {
      const room = roomName('fenced');
      assert.equal(
        await directory.saveSnapshotIfHolder(room, { by: 'ctl-a' }, 'ctl-a'),
        false,
        'nobody holds the room: nothing written',
      );
      assert.equal(await directory.loadSnapshot(room), undefined);
      await directory.claim(room, 'ctl-a', 150);
      assert.equal(await directory.saveSnapshotIfHolder(room, { by: 'ctl-a', v: 1 }, 'ctl-a'), true);
      assert.equal(await directory.saveSnapshotIfHolder(room, { by: 'ctl-b' }, 'ctl-b'), false);
      assert.deepEqual(await directory.loadSnapshot(room), { by: 'ctl-a', v: 1 });

      // ctl-a is cut off past its lease; ctl-b adopts and writes; ctl-a's late writes bounce.
      await waitFor(
        'the lease to lapse',
        async () => (await directory.home(room)) === undefined || undefined,
        3000,
      );
      assert.equal(await directory.saveSnapshotIfHolder(room, { by: 'ctl-a', v: 2 }, 'ctl-a'), false);
      assert.equal(await directory.claim(room, 'ctl-b', 5000), 'ctl-b');
      assert.equal(await directory.saveSnapshotIfHolder(room, { by: 'ctl-b', v: 3 }, 'ctl-b'), true);
      assert.equal(await directory.saveSnapshotIfHolder(room, { by: 'ctl-a', v: 4 }, 'ctl-a'), false);
      assert.equal(await directory.deleteSnapshotIfHolder(room, 'ctl-a'), false);
      assert.deepEqual(await directory.loadSnapshot(room), { by: 'ctl-b', v: 3 });

      assert.equal(await directory.deleteSnapshotIfHolder(room, 'ctl-b'), true);
      assert.equal(await directory.loadSnapshot(room), undefined);
    });

    it('keeps snapshots and lists the rooms whose home is gone', async () => {
      const homed = roomName('homed');
      const orphan = roomName('orphan');
      await directory.claim(homed, 'ctl-a', 5000);
      await directory.saveSnapshot(homed, { participants: ['p1'] });
      await directory.saveSnapshot(orphan, { participants: ['p2'], streams: [{ id: 's', live: true }] });
      assert.deepEqual(await directory.loadSnapshot(orphan), {
        participants: ['p2'],
        streams: [{ id: 's', live: true }],
      });
      const orphans = await directory.listOrphans();
      assert.ok(orphans.includes(orphan));
      assert.ok(!orphans.includes(homed));
      const all = await directory.listSnapshots();
      assert.deepEqual(all.find((s) => s.room === homed)?.snapshot, { participants: ['p1'] });
      assert.ok(all.some((s) => s.room === orphan));
      await directory.deleteSnapshot(orphan);
      assert.equal(await directory.loadSnapshot(orphan), undefined);
      assert.ok(!(await directory.listOrphans()).includes(orphan));
      assert.ok(!(await directory.listSnapshots()).some((s) => s.room === orphan));
    });

    it('keeps one epoch for every caller', async () => {
      const first = await directory.epoch();
      assert.equal(typeof first, 'string');
      assert.equal(await directory.epoch(), first);
    });

    describe('controller presence', () => {
      beforeEach(async () => {
        for (const c of await directory.listControllers()) await directory.removeController(c.controllerId);
      });

      it('lists live controllers and forgets one that stops announcing itself', async () => {
        const presence = (controllerId: string) => ({
          controllerId,
          internalUrl: `http://10.0.0.1/${controllerId}`,
          version: '0.1.0',
          startedAt: 1,
        });
        await directory.putController(presence('ctl-a'), 5000);
        await directory.putController(presence('ctl-b'), 150);
        assert.deepEqual((await directory.listControllers()).map((c) => c.controllerId).sort(), [
          'ctl-a',
          'ctl-b',
        ]);
        await waitFor(
          'ctl-b to expire',
          async () => ((await directory.listControllers()).length === 1 ? true : undefined),
          3000,
        );
        await directory.removeController('ctl-a');
        assert.deepEqual(await directory.listControllers(), []);
      });
    });
  });
}

onMemoryAndRedis(contract, {
  memory: () => new MemoryRoomDirectory(),
  redis: (url) => new RedisRoomDirectory({ url, keyPrefix: 'test:' }),
});

describe('Redis room directory across a Redis restart', () => {
  it('starts a new epoch, so controllers know every lease is gone', async () => {
    const server = await RedisServer.start();
    const a = new RedisRoomDirectory({ url: server.url, keyPrefix: 'epoch:' });
    const b = new RedisRoomDirectory({ url: server.url, keyPrefix: 'epoch:' });
    try {
      const before = await a.epoch();
      assert.equal(await b.epoch(), before, 'two controllers see the same epoch');
      await a.claim('room', 'ctl-a', 60_000);
      await server.restart();
      const after = await waitFor('Redis back', () => b.epoch().catch(() => undefined), 10_000);
      assert.notEqual(after, before);
      assert.equal(await a.epoch(), after);
      assert.equal(await a.home('room'), undefined, 'the lease went with the data');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await server.stop();
    }
  });
});

describe('Redis room directory with two controllers racing for one room', () => {
  it('exactly one wins, however many claim at once', async () => {
    const server = await RedisServer.start();
    const directories = [1, 2, 3, 4].map(
      () => new RedisRoomDirectory({ url: server.url, keyPrefix: 'race:' }),
    );
    try {
      const winners = await Promise.all(directories.map((d, i) => d.claim('contested', `ctl-${i}`, 5000)));
      assert.equal(new Set(winners).size, 1, `claims disagreed: ${winners.join(', ')}`);
    } finally {
      await Promise.all(directories.map((d) => d.close()));
      await server.stop();
    }
  });
});
