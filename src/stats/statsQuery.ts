import { HttpError } from '../http/HttpError.ts';

export type StatsParam = 'from' | 'to' | 'tenants' | 'bucket';

export interface StatsQuery {
  from: number;
  to: number;
  /** Empty: the whole network. */
  tenantIds: string[];
  bucketMs: number;
}

export const DEFAULT_SPAN_MS = 24 * 3600_000;
export const MAX_SPAN_MS = 400 * 24 * 3600_000;
export const MAX_BUCKETS = 1000;
export const MIN_BUCKET_MS = 1000;
const MAX_TENANTS = 100;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(\d{1,9})(ms|s|m|h|d|w)$/;
const EPOCH_MS = /^\d{1,15}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
/** Bucket sizes `bucket=auto` picks from: the smallest that gives at most AUTO_BUCKETS slots. */
const NICE_BUCKETS = [
  '10s',
  '30s',
  '1m',
  '2m',
  '5m',
  '10m',
  '15m',
  '30m',
  '1h',
  '2h',
  '3h',
  '6h',
  '12h',
  '1d',
  '7d',
].map((text) => parseDuration(text)!);
const AUTO_BUCKETS = 120;

/**
 * Reads a stats request's query string, refusing with a 400 that names the parameter anything it
 * does not understand: a misspelt filter must not silently widen a report to the whole network.
 *
 * - `from`, `to`: milliseconds since 1970, an ISO 8601 date (`2025-03-01`, `2025-03-01T08:00:00Z`),
 *   or, for `from`, a duration back from `to` (`-4h`, `-7d`). Defaults: the last 24 hours.
 * - `tenants`: tenant ids separated by commas; absent = the whole network.
 * - `bucket`: a duration (`30s`, `5m`, `1h`, `1d`, or plain milliseconds) or `auto` (default).
 */
export function parseStatsQuery(
  search: URLSearchParams,
  allowed: readonly StatsParam[],
  now: number,
): StatsQuery {
  const seen = new Set<string>();
  for (const name of search.keys()) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw badRequest(
        allowed.length === 0
          ? `this report takes no parameters, got "${name}"`
          : `unknown parameter "${name}"; this report takes ${allowed.map((a) => `"${a}"`).join(', ')}`,
      );
    }
    if (seen.has(name)) throw badRequest(`"${name}" is given more than once`);
    seen.add(name);
  }
  const toText = search.get('to');
  const to = toText === null ? now : parseTime('to', toText);
  const fromText = search.get('from');
  let from: number;
  if (fromText === null) from = to - DEFAULT_SPAN_MS;
  else if (fromText.startsWith('-')) {
    const back = parseDuration(fromText.slice(1));
    if (back === undefined)
      throw badRequest(`"from" is not a time or a duration back from "to": "${clip(fromText)}"`);
    from = to - back;
  } else from = parseTime('from', fromText);
  if (from >= to) throw badRequest(`"from" (${iso(from)}) must be before "to" (${iso(to)})`);
  if (to - from > MAX_SPAN_MS)
    throw badRequest(`the interval is longer than ${MAX_SPAN_MS / 86_400_000} days`);
  return {
    from,
    to,
    tenantIds: parseTenants(search.get('tenants')),
    bucketMs: parseBucket(search.get('bucket'), to - from),
  };
}

export function parseDuration(text: string): number | undefined {
  if (EPOCH_MS.test(text)) return Number(text);
  const match = DURATION.exec(text);
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}

function parseTime(name: string, text: string): number {
  let value: number | undefined;
  if (EPOCH_MS.test(text)) value = Number(text);
  else if (ISO_DATE.test(text)) {
    const parsed = Date.parse(text.replace(' ', 'T'));
    if (Number.isFinite(parsed)) value = parsed;
  }
  if (value === undefined || value < 0 || value > 8.64e15) {
    throw badRequest(
      `"${name}" must be milliseconds since 1970 or an ISO 8601 date like 2025-03-01T08:00:00Z, got "${clip(text)}"`,
    );
  }
  return value;
}

function parseTenants(text: string | null): string[] {
  if (text === null) return [];
  const ids = text.split(',').map((id) => id.trim());
  if (ids.some((id) => id === ''))
    throw badRequest('"tenants" is a comma-separated list of tenant ids, with no empty entries');
  if (ids.length > MAX_TENANTS) throw badRequest(`"tenants" names more than ${MAX_TENANTS} tenants`);
  if (ids.some((id) => id.length > 200)) throw badRequest('"tenants" has an id longer than 200 characters');
  return [...new Set(ids)];
}

function parseBucket(text: string | null, spanMs: number): number {
  if (text === null || text === 'auto') {
    return NICE_BUCKETS.find((size) => spanMs / size <= AUTO_BUCKETS) ?? Math.ceil(spanMs / AUTO_BUCKETS);
  }
  const bucketMs = parseDuration(text);
  if (bucketMs === undefined) {
    throw badRequest(
      `"bucket" must be "auto" or a duration like 30s, 5m, 1h, 1d (or milliseconds), got "${clip(text)}"`,
    );
  }
  if (bucketMs < MIN_BUCKET_MS) throw badRequest(`"bucket" must be at least ${MIN_BUCKET_MS / 1000} s`);
  if (Math.ceil(spanMs / bucketMs) > MAX_BUCKETS) {
    throw badRequest(
      `"bucket" ${text} cuts the interval into ${Math.ceil(spanMs / bucketMs)} slots; at most ${MAX_BUCKETS} are allowed`,
    );
  }
  return bucketMs;
}

function badRequest(message: string): HttpError {
  return new HttpError(400, 'bad-request', message);
}

/** Input quoted back in errors is cut short, so a huge parameter does not make a huge answer. */
function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
