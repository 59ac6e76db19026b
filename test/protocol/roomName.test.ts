import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isValidRoomName,
  ROOM_NAME_MAX_LENGTH,
  ROOM_NAME_PATTERN,
  ROOM_NAME_RULE,
} from '../../src/protocol/roomName.ts';

test('room names: letters (with marks), digits, spaces, ".", "_", "-"; start with a letter or digit', () => {
  for (const name of ['a', '7', 'Physics 101', 'team_a.b-c', 'Zürich', 'नमस्ते', '会議室', 'x.', 'a  b']) {
    assert.ok(isValidRoomName(name), name);
  }
  for (const name of [
    '',
    ' a',
    'a ',
    '.a',
    '-a',
    '_a',
    'a/b',
    'a?b',
    'a#b',
    'a%20b',
    'a\nb',
    '😀',
    '\u0301a',
  ]) {
    assert.ok(!isValidRoomName(name), JSON.stringify(name));
  }
  assert.ok(!isValidRoomName(42));
  assert.ok(!isValidRoomName(undefined));
});

test('at most ROOM_NAME_MAX_LENGTH characters, counted as code points', () => {
  assert.equal(ROOM_NAME_MAX_LENGTH, 100);
  assert.ok(isValidRoomName('a'.repeat(100)));
  assert.ok(!isValidRoomName('a'.repeat(101)));
  const astral = '𠀀'; // one letter, two UTF-16 units
  assert.ok(isValidRoomName(astral.repeat(100)));
  assert.ok(!isValidRoomName(astral.repeat(101)));
});

test('the pattern also compiles with the v flag of HTML pattern attributes, with the same answers', () => {
  const asHtml = new RegExp(`^(?:${ROOM_NAME_PATTERN.source})$`, 'v');
  for (const name of ['Physics 101', 'नमस्ते', 'a ', '-a', 'a'.repeat(101)]) {
    assert.equal(asHtml.test(name), ROOM_NAME_PATTERN.test(name), name);
  }
  assert.match(ROOM_NAME_RULE, /1–100/);
});
