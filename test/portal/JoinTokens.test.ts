import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JoinTokens } from '../../src/portal/JoinTokens.ts';
import { TokenError } from '../../src/security/jwt.ts';
import { MediaTokens } from '../../src/security/MediaTokens.ts';

const grant = {
  tenantId: 't1',
  meetingId: 'abc-1',
  room: 'abc-1',
  fullName: 'Ada Lovelace',
  role: 'moderator' as const,
  userId: 'u-42',
  internalUserId: 'w_abcdefabcdef',
};

test('a join token carries room, name, role and user to the meeting page', () => {
  const tokens = new JoinTokens('s', 60);
  const issued = tokens.issue({ ...grant, logoutUrl: 'https://lms.example/course' }, 1_000_000);
  assert.equal(issued.expiresAt, 1_060_000);
  assert.deepEqual(tokens.verify(issued.token, 1_000_000), {
    ...grant,
    logoutUrl: 'https://lms.example/course',
    sessionId: issued.sessionId,
    expiresAt: 1_060_000,
  });
  assert.notEqual(tokens.issue(grant, 1_000_000).sessionId, issued.sessionId);
});

test('expired, foreign and other kinds of tokens are refused', () => {
  const tokens = new JoinTokens('s', 60);
  const issued = tokens.issue(grant, 1_000_000);
  assert.throws(
    () => tokens.verify(issued.token, 1_060_000),
    (e: unknown) => e instanceof TokenError && e.reason === 'expired',
  );
  assert.throws(() => new JoinTokens('other', 60).verify(issued.token, 1_000_000), TokenError);
  const media = new MediaTokens('s', 60).issue(
    { room: 'r', participantId: 'p', streamId: 's', role: 'publish' },
    1_000_000,
  );
  assert.throws(() => tokens.verify(media.token, 1_000_000), /not a join token/);
  assert.throws(() => new JoinTokens('', 60));
});
