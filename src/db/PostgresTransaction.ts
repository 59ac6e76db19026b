import type { ExecuteResult, Row, SqlValue } from './Database.ts';
import { type PostgresQueryTarget, runScript, runStatement } from './postgresStatements.ts';
import { TransactionHandle } from './TransactionHandle.ts';

/**
 * The handle a transaction's work runs statements through: the one connection that holds the
 * transaction. Unusable once the transaction ended; after a failed statement PostgreSQL refuses
 * everything until ROLLBACK, so the handle says why.
 */
export class PostgresTransaction extends TransactionHandle {
  readonly #connection: PostgresQueryTarget;

  constructor(connection: PostgresQueryTarget) {
    super();
    this.#connection = connection;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.guarded(() => runStatement<T>(this.#connection, sql, params))).rows;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    const result = await this.guarded(() => runStatement(this.#connection, sql, params));
    return { changes: result.rowCount ?? 0 };
  }

  async executeScript(sql: string): Promise<void> {
    await this.guarded(() => runScript(this.#connection, sql));
  }
}
