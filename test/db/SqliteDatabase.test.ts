import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConstraintViolationError } from '../../src/db/ConstraintViolationError.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';

async function withTable(): Promise<SqliteDatabase> {
  const db = new SqliteDatabase({ path: ':memory:' });
  await db.executeScript(
    'CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL); CREATE TABLE c (id TEXT PRIMARY KEY, t_id TEXT REFERENCES t (id));',
  );
  return db;
}

test('query, queryOne and execute with ? placeholders return plain rows and change counts', async () => {
  const db = await withTable();
  assert.deepEqual(await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 1_700_000_000_123]), {
    changes: 1,
  });
  await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['b', 2]);
  assert.deepEqual(await db.query('SELECT id, n FROM t ORDER BY id'), [
    { id: 'a', n: 1_700_000_000_123 },
    { id: 'b', n: 2 },
  ]);
  assert.deepEqual(await db.queryOne('SELECT n FROM t WHERE id = ?', ['b']), { n: 2 });
  assert.equal(await db.queryOne('SELECT n FROM t WHERE id = ?', ['zz']), undefined);
  assert.deepEqual(await db.execute('UPDATE t SET n = n + 1'), { changes: 2 });
  await db.close();
});

test('constraint failures become ConstraintViolationError with their kind', async () => {
  const db = await withTable();
  await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 1]);
  await assert.rejects(
    db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 2]),
    (e: unknown) => e instanceof ConstraintViolationError && e.kind === 'unique',
  );
  await assert.rejects(
    db.execute('INSERT INTO c (id, t_id) VALUES (?, ?)', ['c', 'missing']),
    (e: unknown) => e instanceof ConstraintViolationError && e.kind === 'foreign-key',
  );
  await assert.rejects(
    db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['b', null]),
    (e: unknown) => e instanceof ConstraintViolationError && e.kind === 'not-null',
  );
  await assert.rejects(
    db.query('SELECT * FROM nowhere'),
    (e: unknown) => !(e instanceof ConstraintViolationError),
  );
  await db.close();
});

test('a transaction commits on success and rolls back on error', async () => {
  const db = await withTable();
  await db.transaction(async (tx) => {
    await tx.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['kept', 1]);
  });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['dropped', 1]);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(await db.query('SELECT id FROM t'), [{ id: 'kept' }]);
  await db.close();
});

test('statements from other callers wait until an open transaction ends', async () => {
  const db = await withTable();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tx = db.transaction(async (t) => {
    await t.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['in-tx', 1]);
    await gate;
    throw new Error('roll back');
  });
  // Issued while the transaction is open: must neither see its row nor be rolled back with it.
  const outside = db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['outside', 2]);
  const seen = db.query('SELECT id FROM t ORDER BY id');
  release();
  await assert.rejects(tx, /roll back/);
  await outside;
  assert.deepEqual(await seen, [{ id: 'outside' }]);
  await db.close();
});

test('a transaction handle refuses work after the transaction ended', async () => {
  const db = await withTable();
  let leaked: Parameters<Parameters<typeof db.transaction>[0]>[0] | undefined;
  await db.transaction(async (tx) => {
    leaked = tx;
  });
  await assert.rejects(leaked!.query('SELECT 1'), /already ended/);
  await db.close();
});

test('a file database is created with its folder and keeps data across reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dotm-db-'));
  try {
    const path = join(dir, 'nested', 'dotm.sqlite');
    const first = new SqliteDatabase({ path });
    await first.executeScript('CREATE TABLE k (v TEXT)');
    await first.execute('INSERT INTO k (v) VALUES (?)', ['persisted']);
    await first.close();
    const second = new SqliteDatabase({ path });
    assert.deepEqual(await second.query('SELECT v FROM k'), [{ v: 'persisted' }]);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close is idempotent and later statements fail clearly', async () => {
  const db = await withTable();
  await db.close();
  await db.close();
  await assert.rejects(db.query('SELECT 1'), /closed/);
});
