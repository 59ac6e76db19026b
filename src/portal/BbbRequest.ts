import type { IncomingMessage } from 'node:http';
import { readBody } from '../http/httpIo.ts';
import { canonicalQuery, queryWithoutChecksum } from './checksum.ts';

export const API_PREFIX = '/bigbluebutton/api';

/** One API request, read the way BigBlueButton reads it. */
export interface BbbRequest {
  /** `create`, `getMeetingInfo`, `hooks/create`…; '' for the index call. */
  call: string;
  method: string;
  /** The Host header. */
  host: string;
  /** The `checksum` parameter, '' when absent. */
  checksum: string;
  /** The exact text the checksum must cover (without call name and secret). */
  signedQuery: string;
  /** Decoded parameters; for a repeated name the first value counts, as in BigBlueButton. */
  params: ReadonlyMap<string, string>;
}

/** `/bigbluebutton/api`, `/bigbluebutton/api/` or `/bigbluebutton/api/<call>`; undefined for other paths. */
export function apiCallOf(url: string): string | undefined {
  const queryAt = url.indexOf('?');
  let path = queryAt === -1 ? url : url.slice(0, queryAt);
  // An absolute-form request target (through a proxy) carries scheme and host before the path.
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  if (path === API_PREFIX || path === `${API_PREFIX}/`) return '';
  if (!path.startsWith(`${API_PREFIX}/`)) return undefined;
  return path.slice(API_PREFIX.length + 1).replace(/\/+$/, '');
}

/**
 * Parameters come from the raw query string and, for POST, from an
 * `application/x-www-form-urlencoded` body. The checksum covers the raw query string when there is
 * one; when a POST carries everything in its body, BigBlueButton signs its canonical form instead
 * (see canonicalQuery). Other bodies (the XML of create's pre-uploaded slides) are read but are not
 * parameters.
 */
export async function readBbbRequest(
  req: IncomingMessage,
  call: string,
  maxBodyBytes: number,
): Promise<BbbRequest> {
  const url = req.url ?? '';
  const queryAt = url.indexOf('?');
  const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1);
  const pairs = [...new URLSearchParams(rawQuery)];
  const method = req.method ?? 'GET';
  let bodyPairs: [string, string][] = [];
  if (method === 'POST') {
    const body = await readBody(req, maxBodyBytes);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded')
      bodyPairs = [...new URLSearchParams(body.toString('utf8'))];
  }
  const all = [...pairs, ...bodyPairs];
  const checksum = all.find(([name]) => name === 'checksum')?.[1] ?? '';
  const signedQuery = rawQuery === '' ? canonicalQuery(all) : queryWithoutChecksum(rawQuery, checksum);
  const params = new Map<string, string>();
  for (const [name, value] of all) if (!params.has(name)) params.set(name, sanitize(value));
  return { call, method, host: req.headers.host ?? '', checksum, signedQuery, params };
}

/** BigBlueButton strips control characters from every parameter; leading and trailing blanks too. */
function sanitize(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return value.replace(/[\u0000-\u001F\u007F]/g, '').trim();
}
