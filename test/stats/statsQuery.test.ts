import assert from 'node:assert/strict';
import { it } from 'node:test';
import { HttpError } from '../../src/http/HttpError.ts';
import { parseStatsQuery, type StatsParam } from '../../src/stats/statsQuery.ts';

const NOW = Date.UTC(2025, 2, 1, 12);
const ALL: StatsParam[] = ['from', 'to', 'tenants', 'bucket'];
const parse = (query: string, allowed: StatsParam[] = ALL) =>
  parseStatsQuery(new URLSearchParams(query), allowed, NOW);

function refused(query: string, message: RegExp, allowed: StatsParam[] = ALL): void {
  assert.throws(
    () => parse(query, allowed),
    (error: unknown) => error instanceof HttpError && error.status === 400 && message.test(error.message),
    query,
  );
}

it('defaults to the last 24 hours of the whole network with an automatic bucket', () => {
  assert.deepEqual(parse(''), { from: NOW - 86_400_000, to: NOW, tenantIds: [], bucketMs: 15 * 60_000 });
});

it('takes milliseconds, ISO dates and durations back from "to"', () => {
  const q = parse('from=2025-03-01T08:00:00Z&to=1740830400000&tenants=a,b,a&bucket=30m');
  assert.deepEqual(q, {
    from: Date.UTC(2025, 2, 1, 8),
    to: Date.UTC(2025, 2, 1, 12),
    tenantIds: ['a', 'b'],
    bucketMs: 1_800_000,
  });
  assert.equal(parse('from=2025-02-28').from, Date.UTC(2025, 1, 28));
  assert.equal(parse('from=-4h').from, NOW - 4 * 3600_000);
  assert.equal(
    parse('from=-7d&to=2025-03-01T00:00:00%2B01:00').from,
    Date.UTC(2025, 1, 28, 23) - 7 * 86_400_000,
  );
  assert.equal(parse('from=-4h&bucket=auto').bucketMs, 2 * 60_000);
  assert.equal(parse('from=-30d').bucketMs, 6 * 3600_000);
  assert.equal(parse('from=-1h&bucket=60000').bucketMs, 60_000);
});

it('refuses what it does not understand, naming the parameter', () => {
  refused('tenant=a', /unknown parameter "tenant"; this report takes "from", "to", "tenants", "bucket"/);
  refused('bucket=5m', /unknown parameter "bucket"/, ['from', 'to', 'tenants']);
  refused('x=1', /takes no parameters/, []);
  refused('from=1&from=2', /"from" is given more than once/);
  refused('from=yesterday', /"from" must be milliseconds since 1970 or an ISO 8601 date/);
  refused('to=2025-13-45', /"to" must be/);
  refused('from=-4 hours', /"from" is not a time or a duration/);
  refused(`from=${'9'.repeat(100)}`, /"from" must be .*…"$/);
  refused('from=2025-03-02', /"from" \(2025-03-02T00:00:00.000Z\) must be before "to"/);
  refused('from=0', /longer than 400 days/);
  refused('tenants=a,,b', /no empty entries/);
  refused('tenants=', /no empty entries/);
  refused('bucket=fortnight', /"bucket" must be "auto" or a duration/);
  refused('bucket=10ms', /at least 1 s/);
  refused('from=-30d&bucket=1m', /43200 slots; at most 1000/);
});
