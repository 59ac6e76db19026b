import { DatabaseError, type QueryResult, type QueryResultRow, TypeOverrides } from 'pg';
import { type ConstraintKind, ConstraintViolationError } from './ConstraintViolationError.ts';
import type { Row, SqlValue } from './Database.ts';
import { checkParams } from './paramValues.ts';
import { numberedPlaceholders } from './sqlPlaceholders.ts';

/** What statements run on: the pool (any free connection) or one connection holding a transaction. */
export interface PostgresQueryTarget {
  query<R extends QueryResultRow>(config: { text: string; values?: unknown[] }): Promise<QueryResult<R>>;
  query<R extends QueryResultRow>(text: string): Promise<QueryResult<R>>;
}

/** SQLSTATE class 23, integrity constraint violation (PostgreSQL docs, appendix A, error codes). */
const CONSTRAINT_CODES: Record<string, ConstraintKind> = {
  '23502': 'not-null',
  '23503': 'foreign-key',
  '23505': 'unique',
  '23514': 'check',
};

/** serialization_failure, deadlock_detected: the server aborted the transaction; it may run again. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);

/**
 * Result values as SQLite gives them. BIGINT columns and COUNT(*) are int8, which the driver returns
 * as strings (they may exceed 2^53); our values are millisecond times and counters, so they are
 * numbers here, and one that does not fit fails as it does in node:sqlite. SUM over BIGINT is
 * NUMERIC; boolean expressions are 0/1, as SQLite has no other booleans.
 */
export const POSTGRES_TYPES = new TypeOverrides();
POSTGRES_TYPES.setTypeParser(20, 'text', (text: string) => {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`Value is too large to be represented as a JavaScript number: ${text}`);
  }
  return value;
});
POSTGRES_TYPES.setTypeParser(1700, 'text', (text: string) => Number(text));
POSTGRES_TYPES.setTypeParser(16, 'text', (text: string) => (text === 't' ? 1 : 0));

export async function runStatement<T extends Row>(
  target: PostgresQueryTarget,
  sql: string,
  params: readonly SqlValue[],
): Promise<QueryResult<T>> {
  checkParams(params);
  try {
    return await target.query<T>({ text: numberedPlaceholders(sql), values: [...params] });
  } catch (error) {
    throw translatePostgresError(error);
  }
}

/** Several statements without parameters: the simple query protocol runs them all. */
export async function runScript(target: PostgresQueryTarget, sql: string): Promise<void> {
  try {
    await target.query(sql);
  } catch (error) {
    throw translatePostgresError(error);
  }
}

export function translatePostgresError(error: unknown): unknown {
  if (!(error instanceof DatabaseError) || error.code === undefined) return error;
  const kind = CONSTRAINT_CODES[error.code];
  if (!kind) return error;
  const detail = error.detail ? ` (${error.detail})` : '';
  return new ConstraintViolationError(kind, `${error.message}${detail}`, { cause: error });
}

export function isRetryablePostgresError(error: unknown): boolean {
  return error instanceof DatabaseError && error.code !== undefined && RETRYABLE_CODES.has(error.code);
}
