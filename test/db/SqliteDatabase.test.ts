import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';

// The engine-neutral contract is in Database.test.ts; this is what only the embedded engine does.

async function withTable(): Promise<SqliteDatabase> {
  const db = new SqliteDatabase({ path: ':memory:' });
  await db.executeScript('CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL)');
  return db;
}

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
  // Issued while the transaction is open: one connection, so they run after it, in order.
  const outside = db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['outside', 2]);
  const seen = db.query('SELECT id FROM t ORDER BY id');
  release();
  await assert.rejects(tx, /roll back/);
  await outside;
  assert.deepEqual(await seen, [{ id: 'outside' }]);
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
