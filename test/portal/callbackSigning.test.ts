import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  callbackBody,
  callbackChecksum,
  secretFingerprint,
  signedCallbackUrl,
  verifyCallback,
} from '../../src/portal/callbackSigning.ts';
import type { WebhookEvent } from '../../src/portal/webhookEvents.ts';

const event: WebhookEvent = {
  data: {
    type: 'event',
    id: 'user-joined',
    attributes: { meeting: { 'internal-meeting-id': 'abc-1', 'external-meeting-id': 'Física & co' } },
    event: { ts: 1_700_000_000_123 },
  },
};

test('the body is the form bbb-webhooks posts: domain, event (a JSON array), timestamp', () => {
  const body = callbackBody([event], 1_700_000_000_456, 'conf.example.org');
  const form = new URLSearchParams(body);
  assert.deepEqual([...form.keys()], ['domain', 'event', 'timestamp']);
  assert.equal(form.get('domain'), 'conf.example.org');
  assert.equal(form.get('timestamp'), '1700000000456');
  assert.equal(form.get('event'), `[${JSON.stringify(event)}]`);
  assert.ok(body.startsWith('domain=conf.example.org&event=%5B%7B'), 'form-encoded, as URLSearchParams');
});

test('the checksum is hex sha1(callbackURL + body + secret), added to the URL as a parameter', () => {
  const body = callbackBody([event], 1, 'd');
  const expected = createHash('sha1').update(`https://lms.example/cb${body}s3cret`).digest('hex');
  assert.equal(callbackChecksum('https://lms.example/cb', body, 's3cret'), expected);
  assert.equal(
    signedCallbackUrl('https://lms.example/cb', body, 's3cret'),
    `https://lms.example/cb?checksum=${expected}`,
  );
  const withQuery = signedCallbackUrl('https://lms.example/cb?site=1', body, 's3cret');
  assert.match(withQuery, /^https:\/\/lms\.example\/cb\?site=1&checksum=[0-9a-f]{40}$/);
  assert.equal(signedCallbackUrl('https://x/cb', body, 's', 'sha256').split('=').pop()!.length, 64);
});

test('a receiver verifies the URL it was called at against the body, and nothing else passes', () => {
  const body = callbackBody([event], 2, 'd');
  const url = signedCallbackUrl('https://lms.example/cb?site=1', body, 's3cret');
  assert.equal(verifyCallback(url, body, 's3cret'), true);
  assert.equal(verifyCallback(url, body.replace('abc-1', 'abc-2'), 's3cret'), false);
  assert.equal(verifyCallback(url, body, 'other'), false);
  assert.equal(verifyCallback(url.replace('site=1', 'site=2'), body, 's3cret'), false);
  assert.equal(verifyCallback('https://lms.example/cb', body, 's3cret'), false);
  assert.equal(verifyCallback(signedCallbackUrl('https://x/cb', body, 'k', 'sha512'), body, 'k'), true);
});

test('a secret fingerprint names a secret without revealing it', () => {
  assert.equal(secretFingerprint('abc'), createHash('sha256').update('abc').digest('hex'));
  assert.notEqual(secretFingerprint('abc'), secretFingerprint('abd'));
});
