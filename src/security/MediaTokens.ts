import { signJwt, TokenError, verifyJwt } from './jwt.ts';

/** What a WHIP/WHEP bearer token allows: one role on one stream of one room, for one participant. */
export interface MediaGrantClaims {
  room: string;
  participantId: string;
  streamId: string;
  role: 'publish' | 'subscribe';
}

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

/** Issued by controllers, checked by nodes; both hold the same secret. */
export class MediaTokens {
  readonly #secret: string;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    if (!secret) throw new Error('MediaTokens needs a non-empty secret');
    this.#secret = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  issue(claims: MediaGrantClaims, nowMs = Date.now()): IssuedToken {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.#ttlSeconds;
    const token = signJwt(
      { room: claims.room, pid: claims.participantId, sid: claims.streamId, role: claims.role, iat, exp },
      this.#secret,
    );
    return { token, expiresAt: exp * 1000 };
  }

  /**
   * Throws TokenError when the token is invalid or expired, or ('out-of-scope') not for this stream,
   * role and (when the caller knows it) room.
   */
  verify(
    token: string,
    expected: { streamId: string; role: MediaGrantClaims['role']; room?: string },
    nowMs = Date.now(),
  ): MediaGrantClaims {
    const claims = verifyJwt(token, this.#secret, Math.floor(nowMs / 1000));
    const { room, pid, sid, role } = claims;
    if (
      typeof room !== 'string' ||
      typeof pid !== 'string' ||
      typeof sid !== 'string' ||
      (role !== 'publish' && role !== 'subscribe')
    ) {
      throw new TokenError('malformed', 'token is missing its room, participant, stream or role');
    }
    if (sid !== expected.streamId) throw new TokenError('out-of-scope', 'token is for another stream');
    if (expected.room !== undefined && room !== expected.room)
      throw new TokenError('out-of-scope', 'token is for another room');
    if (role !== expected.role)
      throw new TokenError(
        'out-of-scope',
        `token does not allow ${expected.role} (it is a ${role} token; ask the controller for a ${expected.role} grant)`,
      );
    return { room, participantId: pid, streamId: sid, role };
  }
}
