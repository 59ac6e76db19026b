import type { ExecuteResult, Queryable, Row, SqlValue } from './Database.ts';
import { type PostgresQueryTarget, runScript, runStatement } from './postgresStatements.ts';

/**
 * The handle a transaction's work runs statements through: the one connection that holds the
 * transaction. Unusable once the transaction ended; after a failed statement PostgreSQL refuses
 * everything until ROLLBACK, so the handle says why.
 */
export class PostgresTransaction implements Queryable {
  readonly #connection: PostgresQueryTarget;
  #open = true;
  #failure: unknown;

  constructor(connection: PostgresQueryTarget) {
    this.#connection = connection;
  }

  /** The error of the statement that doomed the transaction, if one failed. */
  get failure(): unknown {
    return this.#failure;
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  finish(): void {
    this.#open = false;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#run(() => runStatement<T>(this.#connection, sql, params))).rows;
  }

  async queryOne<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    const result = await this.#run(() => runStatement(this.#connection, sql, params));
    return { changes: result.rowCount ?? 0 };
  }

  async executeScript(sql: string): Promise<void> {
    await this.#run(() => runScript(this.#connection, sql));
  }

  async #run<T>(statement: () => Promise<T>): Promise<T> {
    if (!this.#open) throw new Error('this transaction has already ended');
    if (this.#failure !== undefined) {
      throw new Error('an earlier statement of this transaction failed; it can only roll back', {
        cause: this.#failure,
      });
    }
    try {
      return await statement();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
  }
}
