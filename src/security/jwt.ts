import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Minimal JWT (RFC 7519) with HS256 only: the only algorithm dotm issues, so the only one it
 * accepts — a token whose header names another algorithm (including "none") is refused.
 */
export class TokenError extends Error {
  override name = 'TokenError';
  /** 'out-of-scope': a genuine, current token that does not grant what was asked (another stream, room or role). */
  readonly reason: 'malformed' | 'bad-signature' | 'expired' | 'not-yet-valid' | 'out-of-scope';
  constructor(reason: TokenError['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const MAX_TOKEN_LENGTH = 4096;

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export function verifyJwt(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
    throw new TokenError('malformed', 'token is not a JWT');
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed', 'token is not a JWT');
  const [header, payload, signature] = parts as [string, string, string];
  let parsedHeader: unknown;
  let claims: unknown;
  try {
    parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed', 'token is not a JWT');
  }
  if (!isObject(parsedHeader) || parsedHeader.alg !== 'HS256') {
    throw new TokenError('malformed', 'token algorithm must be HS256');
  }
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError('bad-signature', 'token signature is invalid');
  }
  if (!isObject(claims)) throw new TokenError('malformed', 'token claims must be an object');
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp)
    throw new TokenError('expired', 'token has expired');
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) {
    throw new TokenError('not-yet-valid', 'token is not valid yet');
  }
  return claims;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
