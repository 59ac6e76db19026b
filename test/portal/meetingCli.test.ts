import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runMeetingCli } from '../../src/portal/meetingCli.ts';

const MEETING = {
  tenant: { id: 't1', name: 'uni-a' },
  meetingID: 'maths 101',
  internalMeetingID: 'abc-1',
  room: 'abc-1',
  name: 'Maths',
  createdAt: 1,
  startedAt: Date.UTC(2025, 0, 1, 9),
  participantCount: 2,
  participants: [],
};

function run(args: string[], answer: { status: number; body: unknown }) {
  const calls: Array<{ method: string; url: string; auth: string | null }> = [];
  const out: string[] = [];
  const err: string[] = [];
  const fakeFetch = (async (url: URL, init: RequestInit) => {
    calls.push({
      method: String(init.method),
      url: String(url),
      auth: new Headers(init.headers).get('authorization'),
    });
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as typeof fetch;
  const code = runMeetingCli(args, {
    env: { DOTM_CONTROLLER_URL: 'http://ctl:8080', DOTM_CONTROLLER_API_KEYS: 'k1,k2' },
    fetch: fakeFetch,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { code, calls, out, err };
}

test('list asks the admin API with the first API key and prints a table', async () => {
  const r = run(['list', '--tenant', 'uni-a'], { status: 200, body: { meetings: [MEETING] } });
  assert.equal(await r.code, 0);
  assert.deepEqual(r.calls, [
    { method: 'GET', url: 'http://ctl:8080/api/v1/meetings?tenant=uni-a', auth: 'Bearer k1' },
  ]);
  assert.match(
    r.out.join(''),
    /^TENANT\s+MEETING ID\s+NAME\s+PARTICIPANTS\s+STARTED\nuni-a\s+maths 101\s+Maths\s+2\s+2025-01-01T09:00:00.000Z\n$/,
  );
});

test('end sends DELETE for the tenant’s meeting, names encoded', async () => {
  const r = run(['end', 'uni-a', 'maths 101', '--api-key', 'other'], {
    status: 200,
    body: { ended: true, meeting: MEETING },
  });
  assert.equal(await r.code, 0);
  assert.deepEqual(r.calls, [
    { method: 'DELETE', url: 'http://ctl:8080/api/v1/meetings/uni-a/maths%20101', auth: 'Bearer other' },
  ]);
  assert.equal(r.out.join(''), 'uni-a/maths 101: ended (2 participant(s) sent out)\n');
});

test('a refusal is reported with the server’s message; bad usage exits 2', async () => {
  const missing = run(['end', 'uni-a', 'nope'], {
    status: 404,
    body: { error: { code: 'not-found', message: 'tenant "uni-a" has no running meeting "nope"' } },
  });
  assert.equal(await missing.code, 1);
  assert.match(missing.err.join(''), /404: tenant "uni-a" has no running meeting "nope"/);
  assert.equal(await run(['end', 'uni-a'], { status: 200, body: {} }).code, 2);
  assert.equal(await run(['stop'], { status: 200, body: {} }).code, 2);
});
