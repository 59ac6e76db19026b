import { Migrator } from '../../src/db/Migrator.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';

/** A fresh in-memory database at the newest schema. */
export async function migratedMemoryDb(): Promise<SqliteDatabase> {
  const db = new SqliteDatabase({ path: ':memory:' });
  await new Migrator(db).migrate(1_000);
  return db;
}
