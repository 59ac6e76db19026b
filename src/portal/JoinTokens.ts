import { randomUUID } from 'node:crypto';
import type { Role } from '../protocol/roomSignalling.ts';
import { signJwt, TokenError, verifyJwt } from '../security/jwt.ts';

/**
 * What a BigBlueButton join hands the meeting page: which room, as whom, with which role. The page
 * (`/r/<room>?join=<token>`) redeems it when it joins the room.
 */
export interface JoinGrant {
  tenantId: string;
  /** The meeting instance (BBB's internalMeetingID). */
  meetingId: string;
  room: string;
  fullName: string;
  role: Role;
  /** The portal's userID, or the internal one when the portal gave none. */
  userId: string;
  /** BBB's internal user id (`w_…`) reported back in the join response. */
  internalUserId: string;
  /** Where the page sends the user when they leave, if anywhere. */
  logoutUrl?: string;
  /**
   * Where the user is (a node region name): the join call's, else the tenant's. Placement prefers
   * it for the user's streams.
   */
  region?: string;
}

export interface IssuedJoinToken {
  token: string;
  /** Unique per join: BBB's session_token. */
  sessionId: string;
  expiresAt: number;
}

const TOKEN_TYPE = 'bbb-join';

/** Signs and checks join tokens (HS256, short-lived). */
export class JoinTokens {
  readonly #secret: string;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    if (!secret) throw new Error('JoinTokens needs a non-empty secret');
    this.#secret = secret;
    this.#ttlSeconds = ttlSeconds;
  }

  issue(grant: JoinGrant, nowMs = Date.now()): IssuedJoinToken {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.#ttlSeconds;
    const sessionId = randomUUID();
    const claims: Record<string, unknown> = {
      typ: TOKEN_TYPE,
      tid: grant.tenantId,
      mid: grant.meetingId,
      room: grant.room,
      name: grant.fullName,
      role: grant.role,
      uid: grant.userId,
      iuid: grant.internalUserId,
      sid: sessionId,
      iat,
      exp,
    };
    if (grant.logoutUrl) claims.logout = grant.logoutUrl;
    if (grant.region) claims.rgn = grant.region;
    return { token: signJwt(claims, this.#secret), sessionId, expiresAt: exp * 1000 };
  }

  /** Throws TokenError when the token is not a valid, unexpired join token. */
  verify(token: string, nowMs = Date.now()): JoinGrant & { sessionId: string; expiresAt: number } {
    const claims = verifyJwt(token, this.#secret, Math.floor(nowMs / 1000));
    const { typ, tid, mid, room, name, role, uid, iuid, sid, exp, logout, rgn } = claims;
    if (
      typ !== TOKEN_TYPE ||
      typeof tid !== 'string' ||
      typeof mid !== 'string' ||
      typeof room !== 'string' ||
      typeof name !== 'string' ||
      (role !== 'moderator' && role !== 'viewer') ||
      typeof uid !== 'string' ||
      typeof iuid !== 'string' ||
      typeof sid !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw new TokenError('malformed', 'not a join token');
    }
    return {
      tenantId: tid,
      meetingId: mid,
      room,
      fullName: name,
      role,
      userId: uid,
      internalUserId: iuid,
      sessionId: sid,
      expiresAt: exp * 1000,
      ...(typeof logout === 'string' ? { logoutUrl: logout } : {}),
      ...(typeof rgn === 'string' && rgn !== '' ? { region: rgn } : {}),
    };
  }
}
