import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http/HttpError.ts';
import { bearerToken } from '../http/httpIo.ts';

/**
 * The keys that open the token-minting and admin APIs. Compared in constant time, so a key cannot
 * be guessed byte by byte from response times.
 */
export class ApiKeys {
  readonly #keys: Buffer[];

  constructor(keys: readonly string[]) {
    this.#keys = keys.map((key) => Buffer.from(key));
  }

  /** The check as extensions (portal admin, statistics) take it: true, or a 401 HttpError thrown. */
  readonly authorize = (req: IncomingMessage): true => {
    this.check(req);
    return true;
  };

  /** Throws a 401 HttpError unless the request carries one of the keys as its bearer token. */
  check(req: IncomingMessage): void {
    const given = Buffer.from(bearerToken(req));
    const ok = this.#keys.some((key) => key.length === given.length && timingSafeEqual(key, given));
    if (!ok)
      throw new HttpError(401, 'unauthorized', 'API key missing or not valid', {
        'WWW-Authenticate': 'Bearer',
      });
  }
}
