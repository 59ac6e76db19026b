import type { SqlValue } from './Database.ts';

/**
 * Column readers that give the same JS value whatever the engine returned: PostgreSQL drivers hand
 * BIGINT and COUNT(*) back as strings or bigints, SQLite as numbers.
 */
export function num(value: SqlValue | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : Number(value);
}

export function optionalNum(value: SqlValue | undefined): number | undefined {
  return value === null || value === undefined ? undefined : num(value);
}

export function str(value: SqlValue | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function optionalStr(value: SqlValue | undefined): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

export function bool(value: SqlValue | undefined): boolean {
  return num(value) !== 0;
}

/** A JSON object column; anything unreadable becomes `{}` rather than failing the whole query. */
export function jsonObject<T extends object = Record<string, unknown>>(value: SqlValue | undefined): T {
  if (typeof value !== 'string' || value === '') return {} as T;
  try {
    const parsed: unknown = JSON.parse(value);
    return (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as T;
  } catch {
    return {} as T;
  }
}

export function jsonArray<T>(value: SqlValue | undefined): T[] {
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
}
