import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type PoolClient } from 'pg';
import type { Database, ExecuteResult, Queryable, Row, SqlValue } from './Database.ts';
import { PostgresTransaction } from './PostgresTransaction.ts';
import {
  isRetryablePostgresError,
  POSTGRES_TYPES,
  runScript,
  runStatement,
  translatePostgresError,
} from './postgresStatements.ts';
import { TransactionScope } from './TransactionScope.ts';

export interface PostgresDatabaseOptions {
  /** `postgres://user:password@host:port/database` (libpq's URL form; `?sslmode=…` works too). */
  url: string;
  /** Connections the pool may open; each open transaction holds one. */
  maxConnections?: number;
  /** A connection the pool held idle broke (server restart, network); the pool opens another when needed. */
  onConnectionError?: (error: Error) => void;
}

/** A deadlock or serialization failure aborts a transaction; it is run again this many times in all. */
const TRANSACTION_ATTEMPTS = 3;

/**
 * Cluster mode's engine: PostgreSQL through a `pg` connection pool, running the same SQL as the
 * embedded SQLite (placeholders numbered, results typed as node:sqlite types them, constraint
 * failures as ConstraintViolationError). Statements outside a transaction go to any free
 * connection, so they run side by side; a transaction keeps one connection from BEGIN to COMMIT.
 */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres';
  readonly #pool: Pool;
  readonly #scope = new TransactionScope();
  #closing: Promise<void> | undefined;

  constructor(options: PostgresDatabaseOptions) {
    this.#pool = new Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      types: POSTGRES_TYPES,
      application_name: 'dotm',
    });
    // Without a listener an idle connection's error would be an uncaught 'error' event.
    this.#pool.on('error', (error) => options.onConnectionError?.(error));
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.#checkUsable();
    return (await runStatement<T>(this.#pool, sql, params)).rows;
  }

  async queryOne<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    this.#checkUsable();
    const result = await runStatement(this.#pool, sql, params);
    return { changes: result.rowCount ?? 0 };
  }

  async executeScript(sql: string): Promise<void> {
    this.#checkUsable();
    await runScript(this.#pool, sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#checkUsable();
    for (let attempt = 1; ; attempt++) {
      const connection = await this.#pool.connect();
      const tx = new PostgresTransaction(connection);
      try {
        return await this.#runTransaction(connection, tx, work);
      } catch (error) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isRetryablePostgresError(tx.failure ?? error)) throw error;
        // Straight back in, the same transactions could take the same locks in the same order again.
        await sleep(attempt * 20 + Math.random() * 30);
      }
    }
  }

  async close(): Promise<void> {
    this.#scope.assertOutside();
    // pool.end() waits for connections held by open transactions to come back.
    this.#closing ??= this.#pool.end();
    await this.#closing;
  }

  /** Runs the work between BEGIN and COMMIT on `connection`, and gives the connection back. */
  async #runTransaction<T>(
    connection: PoolClient,
    tx: PostgresTransaction,
    work: (tx: Queryable) => Promise<T>,
  ): Promise<T> {
    let broken: Error | undefined;
    try {
      await connection.query('BEGIN');
      const result = await this.#scope.run(() => work(tx));
      if (tx.failed) {
        throw new Error('the transaction rolled back: a statement in it failed', { cause: tx.failure });
      }
      const commit = await connection.query('COMMIT').catch((error: unknown) => {
        throw translatePostgresError(error);
      });
      // COMMIT of a transaction the server had aborted answers ROLLBACK instead of failing.
      if (commit.command === 'ROLLBACK') throw new Error('PostgreSQL rolled the transaction back');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      tx.finish();
      // A connection that could not even roll back is closed rather than handed to the next caller.
      connection.release(broken);
    }
  }

  #checkUsable(): void {
    if (this.#closing) throw new Error('the database is closed');
    this.#scope.assertOutside();
  }
}
