import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Migrator } from '../../src/db/Migrator.ts';
import { openDatabase } from '../../src/db/openDatabase.ts';
import { PostgresDatabase } from '../../src/db/PostgresDatabase.ts';
import { PostgresServer } from '../support/postgresServer.ts';
import { freePort } from '../support/redisServer.ts';

// The engine-neutral contract is in Database.test.ts; this is what only the cluster engine does.

let server: PostgresServer;
before(async () => {
  server = await PostgresServer.start();
});
after(() => server?.stop());

test('controllers starting together on one database apply the migrations once (advisory lock)', async () => {
  const url = await server.createDatabase('racing_controllers');
  const controllers = Array.from({ length: 4 }, () => new PostgresDatabase({ url, maxConnections: 2 }));
  try {
    const applied = await Promise.all(controllers.map((db) => new Migrator(db).migrate()));
    const bundled = Migrator.bundled().map((m) => m.version);
    assert.deepEqual(
      applied.filter((versions) => versions.length > 0),
      [bundled],
    );
    assert.deepEqual(await new Migrator(controllers[0]!).appliedVersions(), bundled);
  } finally {
    await Promise.all(controllers.map((db) => db.close()));
  }
});

test('statements outside a transaction run beside it on another connection', {
  timeout: 10_000,
}, async () => {
  const db = new PostgresDatabase({ url: await server.createDatabase('side_by_side'), maxConnections: 2 });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let begun!: () => void;
  const open = new Promise<void>((resolve) => {
    begun = resolve;
  });
  const tx = db.transaction(async (t) => {
    await t.query('SELECT 1 AS one');
    begun();
    await gate;
  });
  await open;
  // On SQLite this would wait for the transaction (one connection); here it must not.
  assert.deepEqual(await db.query('SELECT 2 AS two'), [{ two: 2 }]);
  release();
  await tx;
  await db.close();
});

test('a transaction the server aborts to break a deadlock runs again', async () => {
  const db = await openDatabase({ engine: 'postgres', url: await server.createDatabase('deadlock') });
  await db.executeScript(
    "CREATE TABLE d (id TEXT PRIMARY KEY, n INTEGER); INSERT INTO d VALUES ('a', 0), ('b', 0);",
  );
  let bothLocked!: () => void;
  let locked = 0;
  const barrier = new Promise<void>((resolve) => {
    bothLocked = resolve;
  });
  let runs = 0;
  // Each takes one row, then waits for the other to have taken the other row, then wants it.
  const lockInOrder = (first: string, second: string) =>
    db.transaction(async (tx) => {
      runs++;
      await tx.execute('UPDATE d SET n = n + 1 WHERE id = ?', [first]);
      if (++locked === 2) bothLocked();
      await barrier;
      await tx.execute('UPDATE d SET n = n + 1 WHERE id = ?', [second]);
    });
  await Promise.all([lockInOrder('a', 'b'), lockInOrder('b', 'a')]);
  assert.ok(runs >= 3, 'the transaction the server chose as the victim ran again');
  assert.deepEqual(await db.query('SELECT n FROM d ORDER BY id'), [{ n: 2 }, { n: 2 }]);
  await db.close();
});

test('an unreachable server fails the open with the driver’s error', async () => {
  const url = `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`;
  await assert.rejects(openDatabase({ engine: 'postgres', url }), /ECONNREFUSED/);
});

test('a connection the server drops while idle is replaced', async () => {
  const errors: Error[] = [];
  const db = new PostgresDatabase({
    url: await server.createDatabase('dropped'),
    onConnectionError: (error) => errors.push(error),
  });
  await db.query('SELECT 1 AS one');
  const admin = new PostgresDatabase({ url: server.url });
  await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'dropped'");
  await admin.close();
  for (let waited = 0; errors.length === 0 && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(errors.length, 1);
  assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
  await db.close();
});
