import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from './Database.ts';
import { compareText } from './textOrder.ts';

export interface Migration {
  /** Sorts the migrations: the file name without `.sql`, e.g. `0001_initial`. */
  version: string;
  sql: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE_NAME = /^(\d{4}_[a-z0-9_]+)\.sql$/;
/** Any fixed number: controllers starting together in cluster mode take turns on it. */
const POSTGRES_MIGRATION_LOCK = 736_401;

/**
 * Brings a database to the newest schema: applies, in order, every migration not yet recorded in
 * `schema_migrations`, all in one transaction, so a failed migration leaves the schema as it was.
 */
export class Migrator {
  readonly #db: Database;
  readonly #migrations: Migration[];

  constructor(db: Database, migrations: Migration[] = Migrator.bundled()) {
    this.#db = db;
    this.#migrations = [...migrations].sort((a, b) => compareText(a.version, b.version));
  }

  /** The SQL files of src/db/migrations/. */
  static bundled(): Migration[] {
    return readdirSync(MIGRATIONS_DIR)
      .map((file) => FILE_NAME.exec(file))
      .filter((match) => match !== null)
      .map((match) => ({
        version: match[1]!,
        sql: readFileSync(new URL(match[0], MIGRATIONS_DIR), 'utf8'),
      }));
  }

  /** Returns the versions it applied (none when the schema was already current). */
  async migrate(now = Date.now()): Promise<string[]> {
    return this.#db.transaction(async (tx) => {
      if (this.#db.dialect === 'postgres') {
        await tx.query(`SELECT pg_advisory_xact_lock(${POSTGRES_MIGRATION_LOCK})`);
      }
      await tx.executeScript(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set(
        (await tx.query<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version),
      );
      const done: string[] = [];
      for (const migration of this.#migrations) {
        if (applied.has(migration.version)) continue;
        await tx.executeScript(migration.sql);
        await tx.execute('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
          migration.version,
          now,
        ]);
        done.push(migration.version);
      }
      return done;
    });
  }

  async appliedVersions(): Promise<string[]> {
    const rows = await this.#db.query<{ version: string }>('SELECT version FROM schema_migrations');
    return rows.map((r) => r.version).sort(compareText);
  }
}
