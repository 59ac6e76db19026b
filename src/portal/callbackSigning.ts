import { createHash, timingSafeEqual } from 'node:crypto';
import { algorithmOf, type ChecksumAlgorithm } from './checksum.ts';
import type { WebhookEvent } from './webhookEvents.ts';

/*
 * How bbb-webhooks signs a callback, which receivers written for BigBlueButton verify:
 * the POST body is a form with `domain`, `event` (a JSON array of events) and `timestamp`, in that
 * order; the checksum is hex(sha(callbackURL + body + secret)), appended to the callback URL as
 * `checksum=…` (after `?`, or `&` when the URL already has a query).
 */

/** The form body of one callback: `domain=…&event=[…]&timestamp=…`. */
export function callbackBody(events: readonly WebhookEvent[], timestamp: number, domain: string): string {
  return new URLSearchParams({
    domain,
    event: JSON.stringify(events),
    timestamp: String(timestamp),
  }).toString();
}

export function callbackChecksum(
  callbackUrl: string,
  body: string,
  secret: string,
  algorithm: ChecksumAlgorithm = 'sha1',
): string {
  return createHash(algorithm).update(`${callbackUrl}${body}${secret}`, 'utf8').digest('hex');
}

/** The URL a callback is POSTed to: the registered one with the checksum added. */
export function signedCallbackUrl(
  callbackUrl: string,
  body: string,
  secret: string,
  algorithm: ChecksumAlgorithm = 'sha1',
): string {
  const separator = hasQuery(callbackUrl) ? '&' : '?';
  return `${callbackUrl}${separator}checksum=${callbackChecksum(callbackUrl, body, secret, algorithm)}`;
}

/**
 * What a receiver does with a callback it got at `requestUrl` (as registered, plus the checksum):
 * take the checksum out, recompute it over the URL it registered and the raw body, compare.
 */
export function verifyCallback(requestUrl: string, body: string, secret: string): boolean {
  const match = /[?&]checksum=([0-9a-fA-F]+)$/.exec(requestUrl);
  if (!match) return false;
  const checksum = match[1]!.toLowerCase();
  const algorithm = algorithmOf(checksum);
  if (!algorithm) return false;
  const registered = requestUrl.slice(0, match.index);
  const expected = Buffer.from(callbackChecksum(registered, body, secret, algorithm), 'utf8');
  const given = Buffer.from(checksum, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function hasQuery(url: string): boolean {
  const hash = url.indexOf('#');
  return (hash === -1 ? url : url.slice(0, hash)).includes('?');
}

/** Names a secret without keeping it: which of a tenant's secrets registered a hook (migration 0003). */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
