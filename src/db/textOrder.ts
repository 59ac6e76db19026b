/**
 * Orders text by Unicode code point, the order of SQLite's default BINARY collation, whatever the
 * engine. A PostgreSQL database sorts text by the collation it was created with (the server's
 * locale): 'alpha' before 'Zeta' and 'm_2' before 'm-1' in en-US, the other way round in C. So text
 * sort keys are never left to ORDER BY: repositories sort the rows they read with this.
 */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** UTF-16 units ranked so that surrogate pairs (code points above U+FFFF) sort after U+E000–U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
