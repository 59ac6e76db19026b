import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Migrator } from '../../src/db/Migrator.ts';
import { openDatabase } from '../../src/db/openDatabase.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';

test('the bundled migrations are found in order and applied once', async () => {
  const bundled = Migrator.bundled();
  assert.ok(bundled.length >= 1);
  assert.equal(bundled[0]!.version, '0001_initial');
  const db = new SqliteDatabase({ path: ':memory:' });
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
  const tables = await db.query<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  );
  assert.deepEqual(
    tables.map((t) => t.name),
    [
      'attendance',
      'hooks',
      'meetings',
      'recordings',
      'schema_migrations',
      'tenant_hostnames',
      'tenant_secrets',
      'tenants',
    ],
  );
  await db.close();
});

test('a failing migration leaves no trace: neither its tables nor the ones before it in the same run', async () => {
  const db = new SqliteDatabase({ path: ':memory:' });
  const migrator = new Migrator(db, [
    { version: '0001_a', sql: 'CREATE TABLE a (x TEXT);' },
    { version: '0002_b', sql: 'CREATE TABLE b (x TEXT); THIS IS NOT SQL;' },
  ]);
  await assert.rejects(migrator.migrate());
  const tables = await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b')");
  assert.deepEqual(tables, []);
  await db.close();
});

test('later migrations apply on top of earlier ones, in version order', async () => {
  const db = new SqliteDatabase({ path: ':memory:' });
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

test('openDatabase returns a migrated embedded database', async () => {
  const db = await openDatabase({ engine: 'sqlite', path: ':memory:' });
  assert.equal(db.dialect, 'sqlite');
  assert.deepEqual(await db.query('SELECT COUNT(*) AS n FROM tenants'), [{ n: 0 }]);
  await db.close();
});
