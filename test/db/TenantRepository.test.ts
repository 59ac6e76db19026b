import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConstraintViolationError } from '../../src/db/ConstraintViolationError.ts';
import { MeetingRepository } from '../../src/db/MeetingRepository.ts';
import { normalizeHostname, TenantRepository } from '../../src/db/TenantRepository.ts';
import { describeEachEngine, newMeeting } from './dbRig.ts';

describeEachEngine('TenantRepository', (engine) => {
  it('create and read back a tenant with hostnames, secrets and settings', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const created = await tenants.create(
      {
        name: 'ufrgs',
        region: 'sa-east',
        hostnames: ['Conf.UFRGS.br:443', 'conf.ufrgs.br', 'bbb.ufrgs.br.'],
        secrets: ['s-one', 's-two'],
        settings: {
          defaultCreateParams: { welcome: 'Bem-vindo' },
          overrideJoinParams: { 'userdata-bbb_auto_join_audio': 'true' },
          theme: { name: 'UFRGS', logoUrl: 'https://ufrgs.br/logo.svg', colors: { primary: '#003366' } },
        },
      },
      5_000,
    );
    assert.equal(created.name, 'ufrgs');
    assert.equal(created.region, 'sa-east');
    assert.deepEqual(created.hostnames, ['bbb.ufrgs.br', 'conf.ufrgs.br']);
    assert.deepEqual(created.secrets, ['s-one', 's-two']);
    assert.equal(created.settings.theme?.colors?.primary, '#003366');
    assert.equal(created.isDefault, false);
    assert.equal(created.createdAt, 5_000);
    assert.deepEqual(await tenants.get(created.id), created);
    assert.deepEqual(await tenants.findByName('ufrgs'), created);
    assert.deepEqual(await tenants.findByHostname('CONF.ufrgs.br:8443'), created);
    assert.equal(await tenants.findByHostname('other.example'), undefined);
    assert.equal(await tenants.findDefault(), undefined);
    await db.close();
  });

  it('names, hostnames and secrets are unique across tenants', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    await tenants.create({ name: 'a', secrets: ['sa'], hostnames: ['a.example'] });
    const isUnique = (e: unknown) => e instanceof ConstraintViolationError && e.kind === 'unique';
    await assert.rejects(tenants.create({ name: 'a', secrets: ['other'] }), isUnique);
    await assert.rejects(tenants.create({ name: 'b', secrets: ['sa'] }), isUnique);
    await assert.rejects(tenants.create({ name: 'b', secrets: ['sb'], hostnames: ['A.example'] }), isUnique);
    // A failed create leaves nothing half-written behind.
    assert.deepEqual(
      (await tenants.list()).map((t) => t.name),
      ['a'],
    );
    await db.close();
  });

  it('only one tenant can be the default', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const first = await tenants.create({ name: 'default', secrets: ['d'], isDefault: true });
    await assert.rejects(
      tenants.create({ name: 'second', secrets: ['e'], isDefault: true }),
      ConstraintViolationError,
    );
    assert.equal((await tenants.findDefault())?.id, first.id);
    await db.close();
  });

  it('update replaces the given fields and keeps the others; secrets keep their order', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const t = await tenants.create({ name: 'x', secrets: ['old'], hostnames: ['x.example'] }, 1_000);
    const updated = await tenants.update(t.id, { region: 'eu', secrets: ['old', 'new'] }, 2_000);
    assert.equal(updated?.region, 'eu');
    assert.equal(updated?.name, 'x');
    assert.deepEqual(updated?.hostnames, ['x.example']);
    assert.deepEqual(updated?.secrets, ['old', 'new']);
    assert.equal(updated?.updatedAt, 2_000);
    const rotated = await tenants.update(t.id, {
      secrets: ['new'],
      hostnames: [],
      settings: { logoutUrl: 'https://x' },
    });
    assert.deepEqual(rotated?.secrets, ['new']);
    assert.deepEqual(rotated?.hostnames, []);
    assert.equal(rotated?.settings.logoutUrl, 'https://x');
    assert.equal(await tenants.update('nope', { name: 'y' }), undefined);
    await db.close();
  });

  it('remove deletes a tenant with its hostnames and secrets, but not one that has meeting history', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const gone = await tenants.create({ name: 'gone', secrets: ['g'], hostnames: ['g.example'] });
    assert.equal(await tenants.remove(gone.id), true);
    assert.equal(await tenants.remove(gone.id), false);
    assert.deepEqual(await db.query('SELECT * FROM tenant_secrets'), []);
    assert.deepEqual(await db.query('SELECT * FROM tenant_hostnames'), []);

    const busy = await tenants.create({ name: 'busy', secrets: ['b'] });
    await new MeetingRepository(db).createIfAbsent(newMeeting(busy.id, 'm1'));
    await assert.rejects(
      tenants.remove(busy.id),
      (e: unknown) => e instanceof ConstraintViolationError && e.kind === 'foreign-key',
    );
    await db.close();
  });

  it('normalizeHostname', () => {
    assert.equal(normalizeHostname('Example.COM:8080'), 'example.com');
    assert.equal(normalizeHostname('example.com.'), 'example.com');
    assert.equal(normalizeHostname('[::1]:8080'), '[::1]');
    assert.equal(normalizeHostname(' localhost '), 'localhost');
  });

  // PostgreSQL orders text by the database's collation (en-US in these tests, as on most servers).
  it('tenants and hostnames are listed in code point order on every engine', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    for (const [i, name] of ['alpha', 'Zeta', 'm_2', 'm-1', 'Beta'].entries()) {
      await tenants.create({ name, secrets: [`s${i}`] });
    }
    assert.deepEqual(
      (await tenants.list()).map((t) => t.name),
      ['Beta', 'Zeta', 'alpha', 'm-1', 'm_2'],
    );
    const t = await tenants.create({
      name: 'hosts',
      secrets: ['h'],
      hostnames: ['m_2.example', 'm-1.example', 'm2.example'],
    });
    assert.deepEqual(t.hostnames, ['m-1.example', 'm2.example', 'm_2.example']);
    await db.close();
  });

  // PostgreSQL runs these side by side: each must not write back what another changed meanwhile.
  it('concurrent updates of different fields all land', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    for (let round = 0; round < 5; round++) {
      const t = await tenants.create({ name: `t${round}`, secrets: [`s${round}`] });
      await Promise.all([
        tenants.update(t.id, { name: `renamed${round}` }),
        tenants.update(t.id, { region: 'eu' }),
        tenants.update(t.id, { settings: { logoutUrl: 'https://out' } }),
        tenants.update(t.id, { hostnames: [`h${round}.example`] }),
      ]);
      const after = await tenants.get(t.id);
      assert.deepEqual(
        [after?.name, after?.region, after?.settings, after?.hostnames],
        [`renamed${round}`, 'eu', { logoutUrl: 'https://out' }, [`h${round}.example`]],
      );
    }
    await db.close();
  });

  it('concurrent secret rotations of one tenant do not collide', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const t = await tenants.create({ name: 'x', secrets: ['old'] });
    await Promise.all(
      Array.from({ length: 6 }, () =>
        tenants.update(t.id, { secrets: ['old', 'new'], hostnames: ['x.example'] }),
      ),
    );
    const after = await tenants.get(t.id);
    assert.deepEqual([after?.secrets, after?.hostnames], [['old', 'new'], ['x.example']]);
    await db.close();
  });

  it('finds a tenant by id or, failing that, by name', async () => {
    const db = await engine.migrated();
    const tenants = new TenantRepository(db);
    const a = await tenants.create({ name: 'physics', secrets: ['sa'] });
    assert.equal((await tenants.findByIdOrName(a.id))?.name, 'physics');
    assert.equal((await tenants.findByIdOrName('physics'))?.id, a.id);
    assert.equal(await tenants.findByIdOrName('nobody'), undefined);
    await db.close();
  });
});
