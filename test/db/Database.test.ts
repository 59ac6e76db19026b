import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConstraintViolationError } from '../../src/db/ConstraintViolationError.ts';
import type { Database, Queryable } from '../../src/db/Database.ts';
import { describeEachEngine, type TestEngine } from './dbRig.ts';

async function withTables(engine: TestEngine): Promise<Database> {
  const db = await engine.fresh();
  await db.executeScript(
    `CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL);
     CREATE TABLE c (id TEXT PRIMARY KEY, t_id TEXT REFERENCES t (id), size INTEGER CHECK (size >= 0));`,
  );
  return db;
}

const isKind = (kind: string) => (e: unknown) => e instanceof ConstraintViolationError && e.kind === kind;

describeEachEngine('Database', (engine) => {
  it('query, queryOne and execute with ? placeholders return plain rows and change counts', async () => {
    const db = await withTables(engine);
    assert.deepEqual(await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 1_700_000_000_123]), {
      changes: 1,
    });
    await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['b', 2]);
    assert.deepEqual(await db.query('SELECT id, n FROM t ORDER BY n DESC'), [
      { id: 'a', n: 1_700_000_000_123 },
      { id: 'b', n: 2 },
    ]);
    assert.deepEqual(await db.queryOne('SELECT n FROM t WHERE id = ?', ['b']), { n: 2 });
    assert.equal(await db.queryOne('SELECT n FROM t WHERE id = ?', ['zz']), undefined);
    assert.deepEqual(await db.execute('UPDATE t SET n = n + 1'), { changes: 2 });
    assert.deepEqual(await db.execute('DELETE FROM t WHERE id = ?', ['zz']), { changes: 0 });
    await db.close();
  });

  it('counts, sums, bigints and boolean expressions come back as numbers', async () => {
    const db = await withTables(engine);
    await db.execute('INSERT INTO t (id, n) VALUES (?, ?), (?, ?)', ['a', 2n ** 40n, 'b', 5]);
    assert.deepEqual(
      await db.queryOne(
        `SELECT COUNT(*) AS k, SUM(n) AS total, MAX(n) AS top, MIN(n) IS NULL AS none,
           SUM(CASE WHEN n > 10 THEN 1 ELSE 0 END) AS big FROM t`,
      ),
      { k: 2, total: 2 ** 40 + 5, top: 2 ** 40, none: 0, big: 1 },
    );
    await db.close();
  });

  it('an integer beyond 2^53 fails to read instead of losing digits', async () => {
    const db = await withTables(engine);
    await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['huge', 2n ** 60n]);
    await assert.rejects(db.query('SELECT n FROM t'), /too large/);
    assert.deepEqual(await db.query('SELECT id FROM t'), [{ id: 'huge' }]);
    await db.close();
  });

  it('values only one engine would store are refused by both', async () => {
    const db = await withTables(engine);
    await assert.rejects(db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a\u0000b', 1]), /NUL/);
    await assert.rejects(db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 1.5]), /not an integer/);
    await assert.rejects(db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', Number.NaN]), /integer/);
    assert.deepEqual(await db.query('SELECT id FROM t'), []);
    await db.close();
  });

  it('constraint failures become ConstraintViolationError with their kind; other errors stay themselves', async () => {
    const db = await withTables(engine);
    await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 1]);
    await assert.rejects(db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['a', 2]), isKind('unique'));
    await assert.rejects(
      db.execute('INSERT INTO c (id, t_id) VALUES (?, ?)', ['c', 'missing']),
      isKind('foreign-key'),
    );
    await assert.rejects(db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['b', null]), isKind('not-null'));
    await assert.rejects(db.execute('INSERT INTO c (id, size) VALUES (?, ?)', ['c', -1]), isKind('check'));
    await assert.rejects(
      db.query('SELECT * FROM nowhere'),
      (e: unknown) => e instanceof Error && !(e instanceof ConstraintViolationError),
    );
    await db.close();
  });

  it('executeScript runs several statements, and a ? in them is not a placeholder', async () => {
    const db = await withTables(engine);
    await db.executeScript(
      "INSERT INTO t (id, n) VALUES ('what?', 1); -- really?\nINSERT INTO t (id, n) VALUES ('b', 2);",
    );
    assert.deepEqual(
      (await db.query<{ id: string }>('SELECT id FROM t ORDER BY n')).map((r) => r.id),
      ['what?', 'b'],
    );
    await db.close();
  });

  it('a transaction commits on success and rolls back on error', async () => {
    const db = await withTables(engine);
    assert.equal(
      await db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['kept', 1]);
        return 'result';
      }),
      'result',
    );
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

  it('statements from other callers neither see an open transaction nor roll back with it', async () => {
    const db = await withTables(engine);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const insertedInTx = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const tx = db.transaction(async (t) => {
      await t.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['in-tx', 1]);
      inserted();
      await gate;
      throw new Error('roll back');
    });
    await insertedInTx;
    const outside = db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['outside', 2]);
    const seen = db.query<{ id: string }>('SELECT id FROM t');
    // SQLite makes them wait for the transaction, PostgreSQL runs them beside it: neither sees it.
    setTimeout(release, 50);
    await assert.rejects(tx, /roll back/);
    await outside;
    assert.ok(!(await seen).some((r) => r.id === 'in-tx'));
    assert.deepEqual(await db.query('SELECT id FROM t'), [{ id: 'outside' }]);
    await db.close();
  });

  it('a failed statement dooms the transaction even when the work catches it', async () => {
    const db = await withTables(engine);
    await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['taken', 1]);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['first', 1]);
        await assert.rejects(
          tx.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['taken', 2]),
          isKind('unique'),
        );
        await assert.rejects(tx.query('SELECT 1 AS one'), /earlier statement/);
        return 'done';
      }),
      (e: unknown) => e instanceof Error && /rolled back/.test(e.message) && isKind('unique')(e.cause),
    );
    assert.deepEqual(await db.query('SELECT id FROM t'), [{ id: 'taken' }]);
    await db.close();
  });

  it('a transaction does not nest: the database refuses statements from inside its work', async () => {
    const db = await withTables(engine);
    let later: Promise<unknown> | undefined;
    await db.transaction(async (tx) => {
      await assert.rejects(db.query('SELECT 1 AS one'), /does not nest/);
      await assert.rejects(db.execute('DELETE FROM t'), /does not nest/);
      await assert.rejects(
        db.transaction(async () => {}),
        /does not nest/,
      );
      await tx.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['committed', 1]);
      // Work started from inside the transaction but run after it may use the database again.
      later = new Promise((resolve) => setTimeout(resolve, 20)).then(() => db.query('SELECT id FROM t'));
    });
    assert.deepEqual(await later, [{ id: 'committed' }]);
    await db.close();
  });

  it('a transaction handle refuses work after the transaction ended', async () => {
    const db = await withTables(engine);
    let leaked: Queryable | undefined;
    await db.transaction(async (tx) => {
      leaked = tx;
    });
    await assert.rejects(leaked!.query('SELECT 1 AS one'), /already ended/);
    await db.close();
  });

  it('transactions on one database run one after another or side by side, never into each other', async () => {
    const db = await withTables(engine);
    await db.execute('INSERT INTO t (id, n) VALUES (?, ?)', ['counter', 0]);
    await Promise.all(
      Array.from({ length: 8 }, () =>
        db.transaction(async (tx) => {
          await tx.execute('UPDATE t SET n = n + 1 WHERE id = ?', ['counter']);
          await tx.execute('UPDATE t SET n = n + 1 WHERE id = ?', ['counter']);
        }),
      ),
    );
    assert.deepEqual(await db.queryOne('SELECT n FROM t'), { n: 16 });
    await db.close();
  });

  it('close is idempotent and later statements fail clearly', async () => {
    const db = await withTables(engine);
    await db.close();
    await db.close();
    await assert.rejects(db.query('SELECT 1 AS one'), /closed/);
    await assert.rejects(
      db.transaction(async () => {}),
      /closed/,
    );
  });
});
