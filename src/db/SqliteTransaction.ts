import type { ExecuteResult, Row, SqlValue } from './Database.ts';
import { TransactionHandle } from './TransactionHandle.ts';

/** The connection's statements, run without the mutex: the transaction already holds it. */
export interface UnlockedStatements {
  all(sql: string, params: readonly SqlValue[]): Row[];
  run(sql: string, params: readonly SqlValue[]): ExecuteResult;
  exec(sql: string): void;
}

/**
 * The handle a transaction's work runs statements through; unusable once the transaction ended, and
 * after a failed statement (the rule PostgreSQL imposes, kept here so both engines behave alike).
 */
export class SqliteTransaction extends TransactionHandle {
  readonly #statements: UnlockedStatements;

  constructor(statements: UnlockedStatements) {
    super();
    this.#statements = statements;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.guarded(() => this.#statements.all(sql, params) as T[]);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    return this.guarded(() => this.#statements.run(sql, params));
  }

  async executeScript(sql: string): Promise<void> {
    await this.guarded(() => this.#statements.exec(sql));
  }
}
