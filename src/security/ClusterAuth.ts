import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/HttpError.ts';
import { bearerToken } from '../http/httpIo.ts';
import { signJwt, verifyJwt } from './jwt.ts';

const AUDIENCE = 'dotm-cluster';
const LIFETIME_SECONDS = 60;

/**
 * Authenticates calls between cluster members (controller → node commands) with short-lived JWTs
 * signed by the cluster secret, so the secret itself never travels.
 */
export class ClusterAuth {
  readonly #secret: string;

  constructor(secret: string) {
    if (!secret) throw new Error('ClusterAuth needs a non-empty cluster secret');
    this.#secret = secret;
  }

  header(): string {
    const now = Math.floor(Date.now() / 1000);
    return `Bearer ${signJwt({ aud: AUDIENCE, iat: now, exp: now + LIFETIME_SECONDS }, this.#secret)}`;
  }

  check(req: IncomingMessage): void {
    const token = bearerToken(req);
    let claims: Record<string, unknown>;
    try {
      claims = verifyJwt(token, this.#secret);
    } catch (error) {
      throw new HttpError(401, 'unauthorized', `cluster token rejected: ${(error as Error).message}`);
    }
    if (claims.aud !== AUDIENCE) throw new HttpError(401, 'unauthorized', 'token is not a cluster token');
  }
}
