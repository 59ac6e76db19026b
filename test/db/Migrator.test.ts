import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../src/db/Database.ts';
import { Migrator } from '../../src/db/Migrator.ts';
import { openDatabase } from '../../src/db/openDatabase.ts';
import { describeEachEngine } from './dbRig.ts';

async function tableNames(db: Database): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    db.dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table'"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()',
  );
  return rows.map((r) => r.name).sort();
}

describeEachEngine('Migrator', (engine) => {
  it('the bundled migrations are found in order and applied once', async () => {
    const bundled = Migrator.bundled();
    assert.ok(bundled.length >= 1);
    assert.equal(bundled[0]!.version, '0001_initial');
    const db = await engine.fresh();
    const migrator = new Migrator(db);
    assert.deepEqual(
      await migrator.migrate(),
      bundled.map((m) => m.version),
    );
    assert.deepEqual(await migrator.migrate(), []);
    assert.deepEqual(
      await migrator.appliedVersions(),
      bundled.map((m) => m.version),
    );
    assert.deepEqual(await tableNames(db), [
      'attendance',
      'hooks',
      'meeting_bans',
      'meetings',
      'node_load_hours',
      'node_samples',
      'recordings',
      'room_attendance',
      'room_nodes',
      'room_sessions',
      'schema_migrations',
      'tenant_hostnames',
      'tenant_secrets',
      'tenants',
    ]);
    await db.close();
  });

  it('a failing migration leaves no trace: neither its tables nor the ones before it in the same run', async () => {
    const db = await engine.fresh();
    const migrator = new Migrator(db, [
      { version: '0001_a', sql: 'CREATE TABLE a (x TEXT);' },
      { version: '0002_b', sql: 'CREATE TABLE b (x TEXT); THIS IS NOT SQL;' },
    ]);
    await assert.rejects(migrator.migrate());
    assert.deepEqual(
      (await tableNames(db)).filter((name) => name === 'a' || name === 'b'),
      [],
    );
    await db.close();
  });

  it('later migrations apply on top of earlier ones, in version order', async () => {
    const db = await engine.fresh();
    await new Migrator(db, [{ version: '0001_a', sql: 'CREATE TABLE a (x TEXT);' }]).migrate();
    const applied = await new Migrator(db, [
      { version: '0003_c', sql: 'ALTER TABLE a ADD COLUMN z TEXT;' },
      { version: '0001_a', sql: 'CREATE TABLE a (x TEXT);' },
      { version: '0002_b', sql: 'ALTER TABLE a ADD COLUMN y TEXT;' },
    ]).migrate();
    assert.deepEqual(applied, ['0002_b', '0003_c']);
    await db.execute('INSERT INTO a (x, y, z) VALUES (?, ?, ?)', ['1', '2', '3']);
    await db.close();
  });

  it('migrations started together are applied once', async () => {
    const options = await engine.options();
    // On PostgreSQL, two controllers' pools; the embedded engine has one handle per process.
    const first = engine.open(options);
    const second = options.engine === 'postgres' ? engine.open(options) : first;
    const applied = await Promise.all([new Migrator(first).migrate(), new Migrator(second).migrate()]);
    assert.deepEqual(applied.map((versions) => versions.length).sort(), [0, Migrator.bundled().length]);
    await first.close();
    await second.close();
  });

  it('openDatabase returns a migrated database of the configured engine', async () => {
    const db = await openDatabase(await engine.options());
    assert.equal(db.dialect, engine.name);
    assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM tenants'), [{ n: 0 }]);
    await db.close();
  });
});
