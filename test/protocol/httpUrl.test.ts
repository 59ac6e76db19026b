import assert from 'node:assert/strict';
import { test } from 'node:test';
import { absoluteHttpUrl } from '../../src/protocol/httpUrl.ts';

test('absolute http(s) URLs with a host pass, normalized', () => {
  assert.equal(absoluteHttpUrl('https://lms.example/course?id=7'), 'https://lms.example/course?id=7');
  assert.equal(absoluteHttpUrl('HTTP://Portal.Example'), 'http://portal.example/');
});

test('nothing that could run as the page, or go nowhere, passes', () => {
  for (const value of [
    'javascript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:x',
    'ftp://files.example/',
    '/relative/path',
    '//lms.example/x',
    'http://',
    '',
    `https://lms.example/${'a'.repeat(2048)}`,
    undefined,
    42,
    null,
  ]) {
    assert.equal(absoluteHttpUrl(value), undefined, String(value).slice(0, 40));
  }
});
