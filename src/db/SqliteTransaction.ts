import type { ExecuteResult, Queryable, Row, SqlValue } from './Database.ts';

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
export class SqliteTransaction implements Queryable {
  readonly #statements: UnlockedStatements;
  #open = true;
  #failure: unknown;

  constructor(statements: UnlockedStatements) {
    this.#statements = statements;
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
    return this.#run(() => this.#statements.all(sql, params) as T[]);
  }

  async queryOne<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<ExecuteResult> {
    return this.#run(() => this.#statements.run(sql, params));
  }

  async executeScript(sql: string): Promise<void> {
    this.#run(() => this.#statements.exec(sql));
  }

  #run<T>(statement: () => T): T {
    if (!this.#open) throw new Error('this transaction has already ended');
    if (this.#failure !== undefined) {
      throw new Error('an earlier statement of this transaction failed; it can only roll back', {
        cause: this.#failure,
      });
    }
    try {
      return statement();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
  }
}
