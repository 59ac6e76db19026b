import type { ExecuteResult, Queryable, Row, SqlValue } from './Database.ts';

/**
 * What every engine's transaction handle shares: unusable once the transaction ended, and after a
 * failed statement (PostgreSQL's rule, kept for SQLite too so both engines behave alike), with
 * the failure kept so the engine can roll back and say why.
 */
export abstract class TransactionHandle implements Queryable {
  #open = true;
  #failure: unknown;

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

  abstract query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  abstract execute(sql: string, params?: readonly SqlValue[]): Promise<ExecuteResult>;
  abstract executeScript(sql: string): Promise<void>;

  async queryOne<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.query<T>(sql, params))[0];
  }

  /** Runs one statement of the transaction (called synchronously, so SQLite keeps its order). */
  protected async guarded<T>(statement: () => T | Promise<T>): Promise<T> {
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
