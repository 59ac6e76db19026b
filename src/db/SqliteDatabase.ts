import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { AsyncMutex } from './AsyncMutex.ts';
import { type ConstraintKind, ConstraintViolationError } from './ConstraintViolationError.ts';
import type { Database, ExecuteResult, Queryable, Row, SqlValue } from './Database.ts';
import { checkParams } from './paramValues.ts';
import { SqliteTransaction } from './SqliteTransaction.ts';
import { TransactionScope } from './TransactionScope.ts';

export interface SqliteDatabaseOptions {
  /** A file path (its folder is created), or ':memory:' for tests. */
  path: string;
  /** How long a statement waits for a lock held by another process on the same file. */
  busyTimeoutMs?: number;
}

/** SQLite extended result codes of constraint failures (https://sqlite.org/rescode.html). */
const CONSTRAINT_CODES: Record<number, ConstraintKind> = {
  275: 'check',
  787: 'foreign-key',
  1299: 'not-null',
  1555: 'unique',
  2067: 'unique',
};

/**
 * The embedded default: Node's built-in SQLite, nothing to install. Statements are synchronous
 * underneath; the async surface and the mutex keep callers from interleaving with an open
 * transaction, and let PostgreSQL sit behind the same interface.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite';
  readonly #db: DatabaseSync;
  readonly #mutex = new AsyncMutex();
  readonly #scope = new TransactionScope();
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;

  constructor(options: SqliteDatabaseOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#db = new DatabaseSync(options.path, {
      timeout: options.busyTimeoutMs ?? 5000,
      enableForeignKeyConstraints: true,
    });
    if (options.path !== ':memory:') {
      // WAL lets readers go on while a transaction writes; NORMAL is durable across process crashes.
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    }
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.#scope.assertOutside();
    return this.#mutex.run(() => this.#all<T>(sql, params));
  }

  async queryOne<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    this.#scope.assertOutside();
    return this.#mutex.run(() => this.#run(sql, params));
  }

  async executeScript(sql: string): Promise<void> {
    this.#scope.assertOutside();
    return this.#mutex.run(() => this.#exec(sql));
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#scope.assertOutside();
    return this.#mutex.run(async () => {
      this.#exec('BEGIN IMMEDIATE');
      const tx = new SqliteTransaction({
        all: (sql, params) => this.#all(sql, params),
        run: (sql, params) => this.#run(sql, params),
        exec: (sql) => this.#exec(sql),
      });
      try {
        const result = await this.#scope.run(() => work(tx));
        // SQLite would commit around a failed statement; PostgreSQL cannot, so neither does this.
        if (tx.failed) {
          throw new Error('the transaction rolled back: a statement in it failed', { cause: tx.failure });
        }
        this.#exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.isTransaction) this.#exec('ROLLBACK');
        throw error;
      } finally {
        tx.finish();
      }
    });
  }

  async close(): Promise<void> {
    this.#scope.assertOutside();
    await this.#mutex.run(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#statements.clear();
      this.#db.close();
    });
  }

  #all<T extends Row>(sql: string, params: readonly SqlValue[]): T[] {
    checkParams(params);
    const rows = this.#guard(() => this.#statement(sql).all(...(params as SQLInputValue[])));
    // Plain objects (node:sqlite returns null-prototype ones) so rows compare and spread normally.
    return rows.map((row) => ({ ...row }) as T);
  }

  #run(sql: string, params: readonly SqlValue[]): ExecuteResult {
    checkParams(params);
    const result = this.#guard(() => this.#statement(sql).run(...(params as SQLInputValue[])));
    return { changes: Number(result.changes) };
  }

  #exec(sql: string): void {
    if (this.#closed) throw new Error('the database is closed');
    this.#guard(() => this.#db.exec(sql));
  }

  #statement(sql: string): StatementSync {
    if (this.#closed) throw new Error('the database is closed');
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      const code = (error as { errcode?: unknown }).errcode;
      const kind = typeof code === 'number' ? CONSTRAINT_CODES[code] : undefined;
      if (kind) throw new ConstraintViolationError(kind, (error as Error).message, { cause: error });
      throw error;
    }
  }
}
