import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signJwt, TokenError } from '../../src/security/jwt.ts';
import { MediaTokens } from '../../src/security/MediaTokens.ts';

const tokens = new MediaTokens('test-secret', 600);
const claims = { room: 'lecture', participantId: 'p1', streamId: 's1', role: 'publish' } as const;

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof TokenError, String(error));
    return `${error.reason}: ${error.message}`;
  }
  return 'accepted';
}

describe('MediaTokens', () => {
  it('accepts its own token for the stream, role and room it names', () => {
    const { token } = tokens.issue(claims);
    assert.deepEqual(tokens.verify(token, { streamId: 's1', role: 'publish', room: 'lecture' }), claims);
    assert.deepEqual(tokens.verify(token, { streamId: 's1', role: 'publish' }), claims);
  });

  it('tells a bad or expired token (get a new one) from a good one for something else (403)', () => {
    const { token } = tokens.issue(claims);
    const expected = { streamId: 's1', role: 'publish' } as const;
    assert.match(
      reasonOf(() => tokens.verify('x.y.z', expected)),
      /^malformed/,
    );
    assert.match(
      reasonOf(() => tokens.verify(new MediaTokens('other', 600).issue(claims).token, expected)),
      /^bad-signature/,
    );
    assert.match(
      reasonOf(() => tokens.verify(tokens.issue(claims, Date.now() - 3_600_000).token, expected)),
      /^expired/,
    );
    assert.match(
      reasonOf(() => tokens.verify(token, { streamId: 's2', role: 'publish' })),
      /^out-of-scope: token is for another stream/,
    );
    assert.match(
      reasonOf(() => tokens.verify(token, { streamId: 's1', role: 'subscribe' })),
      /^out-of-scope: token does not allow subscribe/,
    );
    assert.match(
      reasonOf(() => tokens.verify(token, { streamId: 's1', role: 'publish', room: 'other' })),
      /^out-of-scope: token is for another room/,
    );
  });

  it('refuses a token whose claims lack the grant, even when correctly signed', () => {
    const token = signJwt({ sid: 's1', exp: Math.floor(Date.now() / 1000) + 60 }, 'test-secret');
    assert.match(
      reasonOf(() => tokens.verify(token, { streamId: 's1', role: 'publish' })),
      /^malformed/,
    );
  });
});
