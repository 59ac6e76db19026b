import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  algorithmOf,
  canonicalQuery,
  checksumMatches,
  computeChecksum,
  javaUrlEncode,
  queryWithoutChecksum,
} from '../../src/portal/checksum.ts';

test("BigBlueButton's documented example checksum", () => {
  // docs.bigbluebutton.org, "API Security Model": the SHA-1 of this create call is published there.
  assert.equal(
    computeChecksum(
      'create',
      'name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444',
      '639259d4-9dd8-4b25-bf01-95f9567eaf4b',
      'sha1',
    ),
    '1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17',
  );
});

test('the algorithm follows from the hex length: 40, 64, 96, 128', () => {
  for (const [algorithm, length] of [
    ['sha1', 40],
    ['sha256', 64],
    ['sha384', 96],
    ['sha512', 128],
  ] as const) {
    const checksum = createHash(algorithm).update('x').digest('hex');
    assert.equal(checksum.length, length);
    assert.equal(algorithmOf(checksum), algorithm);
    assert.equal(
      computeChecksum('getMeetings', '', 'x', algorithm),
      createHash(algorithm).update('getMeetingsx').digest('hex'),
    );
  }
  assert.equal(algorithmOf('a'.repeat(32)), undefined);
  assert.equal(algorithmOf('g'.repeat(40)), undefined);
  assert.equal(algorithmOf(''), undefined);
});

test('checksum removal keeps the rest of the raw query byte for byte', () => {
  assert.equal(queryWithoutChecksum('a=1&checksum=abc', 'abc'), 'a=1');
  assert.equal(queryWithoutChecksum('checksum=abc&a=1', 'abc'), 'a=1');
  assert.equal(queryWithoutChecksum('a=1&checksum=abc&b=%20+x', 'abc'), 'a=1&b=%20+x');
  assert.equal(queryWithoutChecksum('checksum=abc', 'abc'), '');
});

test("POST bodies are signed in BigBlueButton's canonical form: sorted names, Java URL encoding", () => {
  assert.equal(
    canonicalQuery([
      ['name', 'Test Meeting'],
      ['meetingID', 'abc*1'],
      ['checksum', 'ignored'],
      ['attendeePW', "a~b!c'(d)"],
      ['meta_x', 'ü'],
    ]),
    'attendeePW=a%7Eb%21c%27%28d%29&meetingID=abc*1&meta_x=%C3%BC&name=Test+Meeting',
  );
  assert.equal(javaUrlEncode('a.b-c_d*e f'), 'a.b-c_d*e+f');
  assert.equal(javaUrlEncode('\uD800'), '%EF%BF%BD');
});

test('checksumMatches: any case of hex, only allowed algorithms, only the right secret', () => {
  const query = 'meetingID=m1';
  const sha256 = computeChecksum('end', query, 's', 'sha256');
  assert.equal(checksumMatches('end', query, sha256, 's'), true);
  assert.equal(checksumMatches('end', query, sha256.toUpperCase(), 's'), true);
  assert.equal(checksumMatches('end', query, sha256, 'other'), false);
  assert.equal(checksumMatches('join', query, sha256, 's'), false);
  assert.equal(checksumMatches('end', query, sha256, 's', ['sha1', 'sha512']), false);
  assert.equal(checksumMatches('end', query, 'not-hex', 's'), false);
});
