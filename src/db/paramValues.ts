import type { SqlValue } from './Database.ts';

/**
 * Refuses, on every engine, the values only one engine would take. SQLite stores a NUL inside text,
 * turns NaN into NULL and keeps 1.5 in an INTEGER column; PostgreSQL refuses all three. Checking
 * here gives the same error on both instead of data that only the embedded engine accepted.
 */
export function checkParams(params: readonly SqlValue[]): void {
  for (const [index, value] of params.entries()) {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        throw new TypeError(`parameter ${index + 1}: text cannot contain NUL characters`);
      }
    } else if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        throw new TypeError(`parameter ${index + 1}: ${value} is not an integer within ±2^53`);
      }
    }
  }
}
