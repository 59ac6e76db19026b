import { join } from 'node:path';
import type { Database } from './Database.ts';
import { Migrator } from './Migrator.ts';
import { PostgresDatabase } from './PostgresDatabase.ts';
import { SqliteDatabase } from './SqliteDatabase.ts';

export type DatabaseOptions =
  /** The embedded default: one file under the data directory (or ':memory:'). */
  | { engine: 'sqlite'; path: string }
  /** Cluster mode: one PostgreSQL database shared by every controller, at `postgres://…`. */
  | { engine: 'postgres'; url: string; maxConnections?: number };

export const EMBEDDED_DATABASE_FILE = 'dotm.sqlite';

/** Where `dotm start` keeps its database. */
export function embeddedDatabasePath(dataDir: string): string {
  return join(dataDir, EMBEDDED_DATABASE_FILE);
}

/**
 * Opens the configured engine and brings it to the newest schema. Controllers starting together on
 * one PostgreSQL database take turns on the migration (an advisory lock), so it is applied once.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const db =
    options.engine === 'postgres'
      ? new PostgresDatabase({ url: options.url, maxConnections: options.maxConnections })
      : new SqliteDatabase({ path: options.path });
  try {
    await new Migrator(db).migrate();
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
