import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TenantRepository } from '../../src/db/TenantRepository.ts';
import {
  bbbSecretLines,
  defaultTenantSecretLines,
  ensureDefaultTenant,
} from '../../src/portal/defaultTenant.ts';
import { openPortalDatabase } from './portalRig.ts';

test("bbb-conf --secret's two lines", () => {
  assert.equal(
    bbbSecretLines('http://localhost:8080/', 'ECCJZNJWLPEA3YB6Y2LTQGQD3GJZ3F93'),
    '    URL: http://localhost:8080/bigbluebutton/\n    Secret: ECCJZNJWLPEA3YB6Y2LTQGQD3GJZ3F93',
  );
});

test('the default tenant is created on first start with a random secret, then found again', async () => {
  const db = await openPortalDatabase();
  assert.equal(await defaultTenantSecretLines(db, 'http://x'), undefined);
  const first = await ensureDefaultTenant(db);
  assert.equal(first.created, true);
  assert.equal(first.tenant.name, 'default');
  assert.equal(first.tenant.isDefault, true);
  assert.match(first.tenant.secrets[0]!, /^[A-Za-z0-9]{40}$/);
  const again = await ensureDefaultTenant(db);
  assert.equal(again.created, false);
  assert.deepEqual(again.tenant.secrets, first.tenant.secrets);
  assert.equal(
    await defaultTenantSecretLines(db, 'https://conf.example'),
    `    URL: https://conf.example/bigbluebutton/\n    Secret: ${first.tenant.secrets[0]}`,
  );
  await db.close();
});

test('a configured secret becomes the first one; the earlier ones keep working', async () => {
  const db = await openPortalDatabase();
  const { tenant } = await ensureDefaultTenant(db);
  const configured = await ensureDefaultTenant(db, { secret: 'from-config' });
  assert.deepEqual(configured.tenant.secrets, ['from-config', tenant.secrets[0]]);
  const stable = await ensureDefaultTenant(db, { secret: 'from-config' });
  assert.deepEqual(stable.tenant.secrets, configured.tenant.secrets);
  const fresh = await openPortalDatabase();
  assert.deepEqual((await ensureDefaultTenant(fresh, { secret: 'given', region: 'eu' })).tenant.secrets, [
    'given',
  ]);
  await db.close();
  await fresh.close();
});

test('controllers starting together end up with one default tenant', async () => {
  const db = await openPortalDatabase();
  const results = await Promise.all([
    ensureDefaultTenant(db),
    ensureDefaultTenant(db),
    ensureDefaultTenant(db),
  ]);
  assert.equal(new Set(results.map((r) => r.tenant.id)).size, 1);
  assert.equal((await new TenantRepository(db).list()).length, 1);
  await db.close();
});
