import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Database } from '../../src/db/Database.ts';
import { compareText } from '../../src/db/textOrder.ts';
import { describeEachEngine } from './dbRig.ts';

const WORDS = [
  'alpha',
  'Zeta',
  'm_2',
  'm-1',
  'm2',
  'M3',
  'é',
  'e',
  '',
  'a b',
  '\uFFFD',
  '😀',
  '\uE000',
  'ab',
  'a',
];

async function orderedBy(db: Database): Promise<string[]> {
  await db.executeScript('CREATE TABLE words (w TEXT NOT NULL)');
  for (const word of WORDS) await db.execute('INSERT INTO words (w) VALUES (?)', [word]);
  return (await db.query<{ w: string }>('SELECT w FROM words ORDER BY w')).map((r) => r.w);
}

describeEachEngine('compareText', (engine) => {
  it("orders as SQLite's BINARY collation and PostgreSQL's C collation do: by code point", async () => {
    const db = await engine.fresh({ collation: 'C' });
    const sorted = [...WORDS].sort(compareText);
    assert.deepEqual(await orderedBy(db), sorted);
    assert.deepEqual(sorted.slice(0, 7), ['', 'M3', 'Zeta', 'a', 'a b', 'ab', 'alpha']);
    assert.deepEqual(sorted.slice(-3), ['\uE000', '\uFFFD', '😀']);
    await db.close();
  });

  if (engine.name === 'postgres') {
    it('a database with a natural-language collation orders otherwise: why SQL sorts no text', async () => {
      const db = await engine.fresh({ collation: 'en-US' });
      const ordered = await orderedBy(db);
      assert.notDeepEqual(ordered, [...WORDS].sort(compareText));
      assert.ok(ordered.indexOf('alpha') < ordered.indexOf('Zeta'));
      assert.ok(ordered.indexOf('m_2') < ordered.indexOf('m-1'));
      await db.close();
    });
  }
});
