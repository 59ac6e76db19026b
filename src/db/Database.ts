/**
 * The one interface every persistent part of dotm uses: an embedded engine (node:sqlite) on a single
 * machine, PostgreSQL in cluster mode. Both run the same SQL (src/db/migrations/), so the contract
 * is deliberately small and portable:
 *
 * - placeholders are `?`, in order; an implementation translates them for its engine;
 * - values are strings (without NUL characters), numbers (integers within 2^53, e.g. millisecond
 *   timestamps), bigints or null; anything else is refused by both engines; booleans are stored as
 *   INTEGER 0/1 and JSON as TEXT, so both engines hold the same bytes;
 * - integer columns, COUNT/SUM results and boolean expressions come back as JS numbers from every
 *   implementation; reading an integer beyond 2^53 fails rather than losing digits;
 * - text is ordered by code point only where the repositories sort it themselves (src/db/textOrder.ts):
 *   ORDER BY on text follows the PostgreSQL database's collation, so SQL sorts on numbers only;
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
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   *
   * - Inside it, use only the handle it is given: a transaction does not nest, and a statement (or
   *   transaction) sent to the database itself from the work fails at once.
   * - A statement that fails dooms the transaction, even if the work catches the error: later
   *   statements on the handle fail, and the transaction rolls back and rejects. (PostgreSQL aborts
   *   the transaction on any error; SQLite is held to the same rule.)
   * - Transactions are serialisable on SQLite (one at a time). PostgreSQL runs them side by side at
   *   READ COMMITTED, so a read-modify-write claims its rows with an UPDATE before it reads them.
   * - On PostgreSQL the work may run again when the server aborted the transaction to break a deadlock:
   *   keep it to statements on the handle.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
