import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaDateString } from '../../src/portal/javaDate.ts';
import { el, escapeXml, mapElements, parent, xmlDocument } from '../../src/portal/xml.ts';

test('text is escaped and characters XML cannot carry are dropped', () => {
  assert.equal(
    escapeXml(`<a href="x">Tom & Jerry's</a>`),
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;',
  );
  assert.equal(escapeXml('a\u0000b\u0007c\td\ne\uFFFEf\uD800g😀'), 'abc\td\nefg😀');
});

test('elements, parents and documents', () => {
  assert.equal(el('running', true), '<running>true</running>');
  assert.equal(el('count', 3), '<count>3</count>');
  assert.equal(parent('attendees', []), '<attendees></attendees>');
  assert.equal(
    xmlDocument([el('returncode', 'SUCCESS')]),
    '<?xml version="1.0" encoding="UTF-8"?>\n<response><returncode>SUCCESS</returncode></response>',
  );
  assert.throws(() => el('bad name', 'x'));
  assert.throws(() => el('<script>', 'x'));
});

test('map elements skip keys that are not element names', () => {
  assert.equal(
    mapElements('metadata', { 'bbb-origin': 'moodle', 'bad key': 'x', '1st': 'y' }),
    '<metadata><bbb-origin>moodle</bbb-origin></metadata>',
  );
});

test("createDate is Java's Date.toString in UTC", () => {
  assert.equal(javaDateString(Date.UTC(2018, 6, 9, 17, 3, 29)), 'Mon Jul 09 17:03:29 UTC 2018');
  assert.equal(javaDateString(Date.UTC(2024, 4, 9, 13, 35, 28, 123)), 'Thu May 09 13:35:28 UTC 2024');
});
