import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DotmError } from '../../src/client/DotmError.ts';

test('an HTTP error body becomes a DotmError with its code and the status', async () => {
  const response = new Response(JSON.stringify({ error: { code: 'forbidden', message: 'token expired' } }), {
    status: 403,
    headers: { 'Content-Type': 'application/json' },
  });
  const error = await DotmError.fromResponse(response, 'WHIP POST');
  assert.equal(error.code, 'forbidden');
  assert.equal(error.message, 'token expired');
  assert.equal(error.status, 403);
  assert.equal(error.permanent, true);
  assert.equal(error.name, 'DotmError');
  assert.ok(error instanceof Error);
});

test('a body that is not the error JSON still gives a readable http-error', async () => {
  const error = await DotmError.fromResponse(
    new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    'WHEP POST',
  );
  assert.equal(error.code, 'http-error');
  assert.equal(error.status, 502);
  assert.equal(error.message, 'WHEP POST failed: HTTP 502 Bad Gateway');
  assert.equal(error.permanent, false);
});

test('from() keeps DotmErrors and wraps anything else', () => {
  const original = new DotmError('timeout', 'slow');
  assert.equal(DotmError.from(original), original);
  const wrapped = DotmError.from(new TypeError('boom'), 'network');
  assert.equal(wrapped.code, 'network');
  assert.equal(wrapped.message, 'boom');
  assert.ok(wrapped.cause instanceof TypeError);
});
