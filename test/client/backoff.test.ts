import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../../src/client/backoff.ts';

test('doubles from 0.5 s and stops at 8 s', () => {
  const middle = () => 0.5;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 40].map((attempt) => backoffDelay(attempt, undefined, middle)),
    [500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000],
  );
});

test('jitter stays within ±20 % and inside [0.5 s, 8 s]', () => {
  assert.equal(
    backoffDelay(2, undefined, () => 0),
    1_600,
  );
  assert.equal(
    backoffDelay(2, undefined, () => 0.999_999),
    2_400,
  );
  assert.equal(
    backoffDelay(0, undefined, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(10, undefined, () => 0.999_999),
    8_000,
  );
  assert.equal(
    backoffDelay(10, undefined, () => 0),
    6_400,
  );
});
