/**
 * Repositories write `?` placeholders (SQLite's form); PostgreSQL numbers them (`$1`, `$2`, …).
 * Question marks inside string literals, quoted identifiers and comments are left alone.
 */
export function numberedPlaceholders(sql: string): string {
  let out = '';
  let index = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sql, i, ch);
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const newline = sql.indexOf('\n', i);
      const end = newline === -1 ? sql.length : newline;
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close === -1 ? sql.length : close + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '?') {
      index++;
      out += `$${index}`;
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Index just past the quote closing the one at `start`; a doubled quote is an escaped quote. */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/**
 * `?, ?, ?` for an IN list of `count` values. An empty list becomes `NULL`, which keeps the SQL valid
 * and matches nothing; a lone `?` would, too, on SQLite (a missing value binds NULL), but PostgreSQL
 * refuses a statement given fewer values than placeholders.
 */
export function placeholderList(count: number): string {
  return count === 0 ? 'NULL' : Array.from({ length: count }, () => '?').join(', ');
}
