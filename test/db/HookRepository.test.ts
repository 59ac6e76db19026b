import assert from 'node:assert/strict';
import { it } from 'node:test';
import { HookRepository } from '../../src/db/HookRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { describeEachEngine } from './dbRig.ts';

describeEachEngine('HookRepository', (engine) => {
  it('hooks get per-tenant numeric ids; the same callback and meeting is a duplicate', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const a = await tenants.create({ name: 'a', secrets: ['sa'] });
    const b = await tenants.create({ name: 'b', secrets: ['sb'] });
    const hooks = new HookRepository(db);

    const h1 = await hooks.create({ tenantId: a.id, callbackUrl: 'https://a/cb', getRaw: false }, 1);
    assert.deepEqual(h1, {
      created: true,
      hook: { tenantId: a.id, hookId: 1, callbackUrl: 'https://a/cb', getRaw: false, createdAt: 1 },
    });
    const h2 = await hooks.create({
      tenantId: a.id,
      callbackUrl: 'https://a/cb',
      meetingId: 'class',
      eventIds: ['meeting-created', 'user-joined'],
      getRaw: true,
    });
    assert.equal(h2.hook.hookId, 2);
    const dup = await hooks.create({ tenantId: a.id, callbackUrl: 'https://a/cb', getRaw: false });
    assert.equal(dup.created, false);
    assert.equal(dup.hook.hookId, 1);
    const hb = await hooks.create({ tenantId: b.id, callbackUrl: 'https://b/cb', getRaw: false });
    assert.equal(hb.hook.hookId, 1);

    assert.deepEqual(
      (await hooks.list(a.id)).map((h) => h.hookId),
      [1, 2],
    );
    assert.deepEqual((await hooks.list(a.id, 'class'))[1]?.eventIds, ['meeting-created', 'user-joined']);
    assert.deepEqual(
      (await hooks.list(a.id, 'other')).map((h) => h.hookId),
      [1],
    );
    assert.equal(await hooks.remove(b.id, 2), false);
    assert.equal(await hooks.remove(a.id, 2), true);
    assert.deepEqual(
      (await hooks.list(a.id)).map((h) => h.hookId),
      [1],
    );
    await db.close();
  });

  it('concurrent creates of different hooks all succeed with distinct ids', async () => {
    const db = await engine.migrated();
    const t = await new TenantRepository(db).create({ name: 'a', secrets: ['sa'] });
    const hooks = new HookRepository(db);
    const created = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        hooks.create({ tenantId: t.id, callbackUrl: `https://a/${i}`, getRaw: false }),
      ),
    );
    assert.deepEqual(created.map((c) => c.hook.hookId).sort(), [1, 2, 3, 4, 5]);
    await db.close();
  });

  // Another controller may register the same hook at the same moment: still one hook.
  it('concurrent creates of the same hook make one', async () => {
    const db = await engine.migrated();
    const t = await new TenantRepository(db).create({ name: 'a', secrets: ['sa'] });
    const hooks = new HookRepository(db);
    for (let round = 0; round < 3; round++) {
      const created = await Promise.all(
        Array.from({ length: 4 }, () =>
          hooks.create({ tenantId: t.id, callbackUrl: `https://a/same${round}`, getRaw: false }),
        ),
      );
      assert.equal(created.filter((c) => c.created).length, 1);
      assert.equal(new Set(created.map((c) => c.hook.hookId)).size, 1);
    }
    assert.equal((await hooks.list(t.id)).length, 3);
    await db.close();
  });

  it('keeps the fingerprint of the secret that registered the hook', async () => {
    const db = await engine.migrated();
    const t = await new TenantRepository(db).create({ name: 'a', secrets: ['sa'] });
    const hooks = new HookRepository(db);
    const { hook } = await hooks.create({
      tenantId: t.id,
      callbackUrl: 'https://a/cb',
      getRaw: false,
      secretFingerprint: 'f'.repeat(64),
    });
    assert.equal(hook.secretFingerprint, 'f'.repeat(64));
    assert.equal((await hooks.list(t.id))[0]?.secretFingerprint, 'f'.repeat(64));
    await hooks.create({ tenantId: t.id, callbackUrl: 'https://a/old', getRaw: false });
    assert.equal((await hooks.list(t.id))[1]?.secretFingerprint, undefined);
    await db.close();
  });
});
