/**
 * The one interface every persistent part of dotm uses: an embedded engine (node:sqlite) on a single
 * machine, PostgreSQL in cluster mode. Both run the same SQL (src/db/migrations/), so the contract
 * is deliberately small and portable:
 *
 * - placeholders are `?`, in order; an implementation translates them for its engine;
 * - values are strings, numbers (integers within 2^53, e.g. millisecond timestamps), bigints or null;
 *   booleans are stored as INTEGER 0/1 and JSON as TEXT, so both engines hold the same bytes;
 * - integer columns come back as JS numbers from every implementation;
 * - everything is async, so a networked engine fits behind the same calls.
 */
export type SqlValue = string | number | bigint | null;
export type Row = Record<string, SqlValue>;

export interface ExecuteResult {
  /** Rows inserted, updated or deleted by the statement. */
  changes: number;
}

/** What can run statements: the database itself, or the handle of an open transaction. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  queryOne<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  execute(sql: string, params?: readonly SqlValue[]): Promise<ExecuteResult>;
  /** Several statements separated by `;`, without parameters (migrations). */
  executeScript(sql: string): Promise<void>;
}

export type SqlDialect = 'sqlite' | 'postgres';

export interface Database extends Queryable {
  readonly dialect: SqlDialect;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Use only
   * the handle it is given inside it; a transaction does not nest.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
