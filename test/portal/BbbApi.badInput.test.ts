import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { computeChecksum } from '../../src/portal/checksum.ts';
import { names, parseXml, text } from './miniXml.ts';
import { PortalRig, SECRET_A } from './portalRig.ts';

let rig: PortalRig;
before(async () => {
  rig = await PortalRig.start({ maxBodyBytes: 4096 });
});
after(() => rig.close());

function failedWith(body: string): string {
  const doc = parseXml(body);
  assert.deepEqual(names(doc), ['returncode', 'messageKey', 'message']);
  assert.equal(text(doc, 'returncode'), 'FAILED');
  return text(doc, 'messageKey');
}

test('hostile and malformed input always gets a FAILED document, never a 500', async () => {
  const cases: [string, string][] = [
    ['create', 'meetingID=%E0%A4%A&name=%ZZ'],
    ['create', `meetingID=${'%00'.repeat(10)}`],
    ['create', 'meetingID=%FF%FE&name=x'],
    ['join', 'meetingID=x&meetingID=y&fullName=&fullName=z'],
    ['getMeetingInfo', `meetingID=${'a'.repeat(5000)}`],
    ['create', `meetingID=ok-1&welcome=${'w'.repeat(6000)}`],
    ['getRecordings', 'recordID=&state=bogus&offset=-1&limit=abc'],
  ];
  for (const [call, query] of cases) {
    const reply = await rig.call(call, query);
    assert.equal(reply.status, 200, `${call}?${query}`);
    assert.match(String(reply.headers['content-type']), /^text\/xml/);
    parseXml(reply.body);
  }
});

test('unknown calls, odd paths and other methods are BBB-shaped too', async () => {
  assert.equal(
    failedWith((await rig.request('GET', '/bigbluebutton/api/insertDocument?checksum=x')).body),
    'unsupportedRequest',
  );
  assert.equal(
    failedWith((await rig.request('GET', '/bigbluebutton/api/constructor')).body),
    'unsupportedRequest',
  );
  assert.equal(
    failedWith((await rig.request('GET', '/bigbluebutton/api/hooks/ping')).body),
    'unsupportedRequest',
  );
  // The hooks calls exist (bbb-webhooks' API): unsigned, they fail the checksum like any call.
  assert.equal(
    failedWith((await rig.request('GET', '/bigbluebutton/api/hooks/create')).body),
    'checksumError',
  );
  const put = await rig.request('PUT', '/bigbluebutton/api/create');
  assert.equal(put.status, 405);
  assert.equal(failedWith(put.body), 'unsupportedRequest');
  const head = await rig.request('HEAD', '/bigbluebutton/api');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const signed = computeChecksum('create', 'meetingID=head-1', SECRET_A, 'sha1');
  const headCreate = await rig.request(
    'HEAD',
    `/bigbluebutton/api/create?meetingID=head-1&checksum=${signed}`,
  );
  assert.equal(headCreate.status, 405);
  assert.equal(await rig.meetings.findActive(rig.tenantA.id, 'head-1'), undefined);
});

test('paths outside the API are left to the rest of the server', async () => {
  const reply = await rig.request('GET', '/bigbluebuttonx/api/create');
  assert.equal(reply.status, 404);
  assert.equal(reply.body, 'not the api');
  assert.equal((await rig.request('GET', '/')).body, 'not the api');
});

test('a body over the limit is refused with a FAILED document', async () => {
  const reply = await rig.request('POST', '/bigbluebutton/api/create', {
    body: `meetingID=big&name=${'x'.repeat(10_000)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(reply.status, 200);
  assert.equal(failedWith(reply.body), 'validationError');
});

test('names with markup and control characters come back escaped and cleaned', async () => {
  await rig.xml('create', { meetingID: 'markup', name: '</meetingName><evil>&\u0007"' });
  const info = await rig.xml('getMeetingInfo', { meetingID: 'markup' });
  assert.equal(text(info, 'meetingName'), '</meetingName><evil>&"');
});

test('a live system that fails to answer does not fail monitoring calls', async () => {
  await rig.xml('create', { meetingID: 'flaky' });
  rig.runtime.failLive = true;
  try {
    assert.equal(text(await rig.xml('getMeetingInfo', { meetingID: 'flaky' }), 'returncode'), 'SUCCESS');
    assert.equal(text(await rig.xml('isMeetingRunning', { meetingID: 'flaky' }), 'running'), 'false');
    assert.equal(text(await rig.xml('getMeetings', {}), 'returncode'), 'SUCCESS');
  } finally {
    rig.runtime.failLive = false;
  }
});

test('a failing database is an internalError document, logged, not a 500', async () => {
  const broken = await PortalRig.start();
  await broken.db.close();
  const reply = await broken.call('getMeetings', '', { secret: SECRET_A });
  assert.equal(reply.status, 200);
  assert.equal(failedWith(reply.body), 'internalError');
  assert.ok(broken.logLines.some((line) => line.includes('unexpected error in the BigBlueButton API')));
  assert.ok(
    !broken.logLines.some((line) => line.includes(computeChecksum('getMeetings', '', SECRET_A, 'sha1'))),
  );
  await broken.close().catch(() => undefined);
});
