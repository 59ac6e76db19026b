import { join } from 'node:path';
import type { Database } from './Database.ts';
import { Migrator } from './Migrator.ts';
import { SqliteDatabase } from './SqliteDatabase.ts';

export type DatabaseOptions =
  /** The embedded default: one file under the data directory (or ':memory:'). */
  { engine: 'sqlite'; path: string };

export const EMBEDDED_DATABASE_FILE = 'dotm.sqlite';

/** Where `dotm start` keeps its database. */
export function embeddedDatabasePath(dataDir: string): string {
  return join(dataDir, EMBEDDED_DATABASE_FILE);
}

/** Opens the configured engine and brings it to the newest schema. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const db = new SqliteDatabase({ path: options.path });
  try {
    await new Migrator(db).migrate();
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
