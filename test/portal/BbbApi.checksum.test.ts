import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { computeChecksum } from '../../src/portal/checksum.ts';
import { child, parseXml, text } from './miniXml.ts';
import { PortalRig, SECRET_A, SECRET_B } from './portalRig.ts';

let rig: PortalRig;
before(async () => {
  rig = await PortalRig.start();
});
after(() => rig.close());

const FAILED_CHECKSUM =
  '<?xml version="1.0" encoding="UTF-8"?>\n<response><returncode>FAILED</returncode>' +
  '<messageKey>checksumError</messageKey><message>You did not pass the checksum security check</message></response>';

test('every checksum length is accepted: SHA-1, SHA-256, SHA-384, SHA-512', async () => {
  for (const algorithm of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
    const reply = await rig.call('getMeetings', '', { algorithm });
    assert.equal(reply.status, 200, algorithm);
    assert.equal(text(parseXml(reply.body), 'returncode'), 'SUCCESS', algorithm);
  }
});

test('a wrong, missing, empty or odd-length checksum is checksumError with HTTP 200', async () => {
  const good = computeChecksum('getMeetings', '', SECRET_A, 'sha1');
  const wrong = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
  for (const path of [
    `/bigbluebutton/api/getMeetings?checksum=${wrong}`,
    '/bigbluebutton/api/getMeetings',
    '/bigbluebutton/api/getMeetings?checksum=',
    `/bigbluebutton/api/getMeetings?checksum=${good.slice(0, 32)}`,
    '/bigbluebutton/api/getMeetings?checksum=zz',
  ]) {
    const reply = await rig.request('GET', path);
    assert.equal(reply.status, 200, path);
    assert.equal(reply.body, FAILED_CHECKSUM, path);
    assert.match(String(reply.headers['content-type']), /^text\/xml/);
  }
});

test('the checksum covers the call name: a create checksum does not sign a join', async () => {
  const query = 'meetingID=m-call&fullName=X&role=viewer';
  const checksum = computeChecksum('create', query, SECRET_A, 'sha256');
  const reply = await rig.request('GET', `/bigbluebutton/api/join?${query}&checksum=${checksum}`);
  assert.equal(reply.body, FAILED_CHECKSUM);
});

test('the checksum covers the raw query exactly: %20 and + are different bytes', async () => {
  const signed = 'meetingID=raw-1&name=Two+Words';
  const checksum = computeChecksum('create', signed, SECRET_A, 'sha1');
  const tampered = await rig.request(
    'GET',
    `/bigbluebutton/api/create?meetingID=raw-1&name=Two%20Words&checksum=${checksum}`,
  );
  assert.equal(tampered.body, FAILED_CHECKSUM);
  const exact = await rig.request('GET', `/bigbluebutton/api/create?${signed}&checksum=${checksum}`);
  const doc = parseXml(exact.body);
  assert.equal(text(doc, 'returncode'), 'SUCCESS');
});

test('raw query quirks as the portal signed them: %20, lower-case escapes, UTF-8, odd order, checksum in the middle', async () => {
  const signed = 'name=Caf%c3%a9%20Sala&meetingID=quirk-1&meta_note=a%2Bb%3Dc&record=true';
  const checksum = computeChecksum('create', signed, SECRET_A, 'sha512');
  const [first, ...rest] = signed.split('&');
  const reply = await rig.request(
    'GET',
    `/bigbluebutton/api/create?${first}&checksum=${checksum}&${rest.join('&')}`,
  );
  const doc = parseXml(reply.body);
  assert.equal(text(doc, 'returncode'), 'SUCCESS', reply.body);
  const info = await rig.xml('getMeetingInfo', { meetingID: 'quirk-1' });
  assert.equal(text(info, 'meetingName'), 'Café Sala');
  assert.equal(text(child(info, 'metadata'), 'note'), 'a+b=c');
  assert.equal(text(info, 'recording'), 'true');
});

test("another tenant's secret does not verify", async () => {
  const reply = await rig.call('getMeetings', '', { secret: 'not-a-tenant-secret' });
  assert.equal(reply.body, FAILED_CHECKSUM);
  assert.equal(
    text(parseXml((await rig.call('getMeetings', '', { secret: SECRET_B })).body), 'returncode'),
    'SUCCESS',
  );
});

test('POST with a form body and no query: BigBlueButton signs the sorted, re-encoded parameters', async () => {
  const params = { name: 'Posted Room', meetingID: 'post-1', attendeePW: 'ap', moderatorPW: 'mp' };
  const canonical = 'attendeePW=ap&meetingID=post-1&moderatorPW=mp&name=Posted+Room';
  const checksum = computeChecksum('create', canonical, SECRET_A, 'sha256');
  const reply = await rig.request('POST', '/bigbluebutton/api/create', {
    body: new URLSearchParams({ ...params, checksum }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(text(parseXml(reply.body), 'returncode'), 'SUCCESS', reply.body);
  const bad = await rig.request('POST', '/bigbluebutton/api/create', {
    body: new URLSearchParams({ ...params, name: 'Tampered', checksum }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(bad.body, FAILED_CHECKSUM);
});

test('POST with a query string: the checksum covers the query; an XML body is not parameters', async () => {
  const query = 'meetingID=post-2&name=Slides';
  const checksum = computeChecksum('create', query, SECRET_A, 'sha1');
  const reply = await rig.request('POST', `/bigbluebutton/api/create?${query}&checksum=${checksum}`, {
    body: '<modules><module name="presentation"><document url="https://x/y.pdf"/></module></modules>',
    headers: { 'content-type': 'application/xml' },
  });
  assert.equal(text(parseXml(reply.body), 'returncode'), 'SUCCESS', reply.body);
});

test('checksum algorithms can be restricted, as with supportedChecksumAlgorithms', async () => {
  const strict = await PortalRig.start({ checksumAlgorithms: ['sha256', 'sha512'] });
  try {
    assert.equal((await strict.call('getMeetings', '', { algorithm: 'sha1' })).body, FAILED_CHECKSUM);
    assert.equal(
      text(parseXml((await strict.call('getMeetings', '', { algorithm: 'sha512' })).body), 'returncode'),
      'SUCCESS',
    );
  } finally {
    await strict.close();
  }
});

test('the index call needs no checksum and reports the API version', async () => {
  for (const path of ['/bigbluebutton/api', '/bigbluebutton/api/']) {
    const reply = await rig.request('GET', path);
    assert.equal(
      reply.body,
      '<?xml version="1.0" encoding="UTF-8"?>\n<response><returncode>SUCCESS</returncode><version>2.0</version><apiVersion>2.0</apiVersion></response>',
    );
  }
});
