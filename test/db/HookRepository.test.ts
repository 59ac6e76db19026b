import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HookRepository } from '../../src/db/HookRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import { migratedMemoryDb } from './dbRig.ts';

test('hooks get per-tenant numeric ids; the same callback and meeting is a duplicate', async () => {
  const db = await migratedMemoryDb();
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

test('concurrent creates of different hooks all succeed with distinct ids', async () => {
  const db = await migratedMemoryDb();
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
