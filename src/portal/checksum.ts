import { createHash, timingSafeEqual } from 'node:crypto';

export type ChecksumAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'];

/** BigBlueButton picks the hash by the length of the hex checksum it was given. */
const BY_HEX_LENGTH: Record<number, ChecksumAlgorithm> = {
  40: 'sha1',
  64: 'sha256',
  96: 'sha384',
  128: 'sha512',
};

export function algorithmOf(checksum: string): ChecksumAlgorithm | undefined {
  if (!/^[0-9a-fA-F]+$/.test(checksum)) return undefined;
  return BY_HEX_LENGTH[checksum.length];
}

/** hex(hash(callName + query + secret)): what a portal sends as `checksum`. */
export function computeChecksum(
  callName: string,
  query: string,
  secret: string,
  algorithm: ChecksumAlgorithm = 'sha256',
): string {
  return createHash(algorithm).update(`${callName}${query}${secret}`, 'utf8').digest('hex');
}

/**
 * The raw query string without the checksum parameter, removed the way BigBlueButton removes it
 * (literal text replacement of `&checksum=<value>`, `checksum=<value>&`, `checksum=<value>`), so
 * everything else — parameter order, encoding, `+` versus `%20` — stays exactly as the portal signed it.
 */
export function queryWithoutChecksum(rawQuery: string, checksum: string): string {
  return rawQuery
    .replaceAll(`&checksum=${checksum}`, '')
    .replaceAll(`checksum=${checksum}&`, '')
    .replaceAll(`checksum=${checksum}`, '');
}

/**
 * What BigBlueButton signs when a POST carries its parameters in a form body and nothing in the URL:
 * the parameters sorted by name (checksum left out), each value encoded like Java's URLEncoder.
 */
export function canonicalQuery(params: ReadonlyArray<readonly [string, string]>): string {
  const names = [...new Set(params.map(([name]) => name))].filter((name) => name !== 'checksum').sort();
  const parts: string[] = [];
  for (const name of names) {
    for (const [key, value] of params) if (key === name) parts.push(`${name}=${javaUrlEncode(value)}`);
  }
  return parts.join('&');
}

/** java.net.URLEncoder with UTF-8: keeps A-Z a-z 0-9 . - * _, space becomes +, the rest %XX. */
export function javaUrlEncode(value: string): string {
  // toWellFormed: a lone surrogate would make encodeURIComponent throw.
  return encodeURIComponent(value.toWellFormed())
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Constant-time check of a checksum against one secret; the algorithm must be among `allowed`. */
export function checksumMatches(
  callName: string,
  signedQuery: string,
  checksum: string,
  secret: string,
  allowed: readonly ChecksumAlgorithm[] = CHECKSUM_ALGORITHMS,
): boolean {
  const algorithm = algorithmOf(checksum);
  if (!algorithm || !allowed.includes(algorithm)) return false;
  const expected = Buffer.from(computeChecksum(callName, signedQuery, secret, algorithm), 'utf8');
  const given = Buffer.from(checksum.toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
