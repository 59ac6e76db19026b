import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberedPlaceholders, placeholderList } from '../../src/db/sqlPlaceholders.ts';

test('? placeholders become $1, $2, … in order', () => {
  assert.equal(
    numberedPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)'),
    'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)',
  );
});

test('question marks in literals, quoted identifiers and comments are not placeholders', () => {
  assert.equal(
    numberedPlaceholders(`SELECT '?', 'it''s ?', "odd?col" FROM t -- why?\nWHERE a = ? /* ? */ AND b = ?`),
    `SELECT '?', 'it''s ?', "odd?col" FROM t -- why?\nWHERE a = $1 /* ? */ AND b = $2`,
  );
});

test('unterminated quotes and comments do not loop or throw', () => {
  assert.equal(numberedPlaceholders("SELECT 'open ? "), "SELECT 'open ? ");
  assert.equal(numberedPlaceholders('SELECT ? /* open ?'), 'SELECT $1 /* open ?');
});

test('placeholderList', () => {
  assert.equal(placeholderList(3), '?, ?, ?');
  // PostgreSQL needs as many values as placeholders; IN (NULL) matches nothing on both engines.
  assert.equal(placeholderList(0), 'NULL');
});
