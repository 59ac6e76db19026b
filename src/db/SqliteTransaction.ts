import type { ExecuteResult, Queryable, Row, SqlValue } from './Database.ts';

/** The connection's statements, run without the mutex: the transaction already holds it. */
export interface UnlockedStatements {
  all(sql: string, params: readonly SqlValue[]): Row[];
  run(sql: string, params: readonly SqlValue[]): ExecuteResult;
  exec(sql: string): void;
}

/** The handle a transaction's work runs statements through; unusable once the transaction ended. */
export class SqliteTransaction implements Queryable {
  readonly #statements: UnlockedStatements;
  #open = true;

  constructor(statements: UnlockedStatements) {
    this.#statements = statements;
  }

  finish(): void {
    this.#open = false;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    this.#check();
    return this.#statements.all(sql, params) as T[];
  }

  async queryOne<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    this.#check();
    return this.#statements.run(sql, params);
  }

  async executeScript(sql: string): Promise<void> {
    this.#check();
    this.#statements.exec(sql);
  }

  #check(): void {
    if (!this.#open) throw new Error('this transaction has already ended');
  }
}
