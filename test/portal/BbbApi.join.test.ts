import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { names, parseXml, text } from './miniXml.ts';
import { PortalRig, PUBLIC_URL } from './portalRig.ts';

let rig: PortalRig;
let room: string;
let createTime: string;
before(async () => {
  rig = await PortalRig.start();
  const doc = await rig.xml('create', {
    name: 'Lecture',
    meetingID: 'lecture',
    attendeePW: 'ap',
    moderatorPW: 'mp',
    logoutURL: 'https://lms.example/back',
  });
  room = text(doc, 'internalMeetingID');
  createTime = text(doc, 'createTime');
});
after(() => rig.close());

function tokenOf(url: string): string {
  const parsed = new URL(url);
  assert.equal(`${parsed.protocol}//${parsed.host}`, PUBLIC_URL);
  assert.equal(parsed.pathname, `/r/${room}`);
  return parsed.searchParams.get('join')!;
}

test('join redirects the browser (302) into the meeting page with a signed join token', async () => {
  const reply = await rig.callParams('join', {
    meetingID: 'lecture',
    fullName: 'Ada Lovelace',
    password: 'mp',
    userID: 'lms-7',
  });
  assert.equal(reply.status, 302);
  assert.equal(reply.body, '');
  const grant = rig.joinTokens.verify(tokenOf(String(reply.headers.location)), rig.now);
  assert.equal(grant.room, room);
  assert.equal(grant.meetingId, room);
  assert.equal(grant.tenantId, rig.tenantA.id);
  assert.equal(grant.fullName, 'Ada Lovelace');
  assert.equal(grant.role, 'moderator');
  assert.equal(grant.userId, 'lms-7');
  assert.match(grant.internalUserId, /^w_[a-z0-9]{12}$/);
  assert.equal(grant.logoutUrl, 'https://lms.example/back');
});

test('redirect=false answers XML with the URL instead', async () => {
  const doc = await rig.xml('join', {
    meetingID: 'lecture',
    fullName: 'Bob',
    password: 'ap',
    redirect: 'false',
  });
  assert.deepEqual(names(doc), [
    'returncode',
    'messageKey',
    'message',
    'meeting_id',
    'user_id',
    'auth_token',
    'session_token',
    'guestStatus',
    'url',
  ]);
  assert.equal(text(doc, 'returncode'), 'SUCCESS');
  assert.equal(text(doc, 'messageKey'), 'successfullyJoined');
  assert.equal(text(doc, 'message'), 'You have joined successfully.');
  assert.equal(text(doc, 'meeting_id'), room);
  assert.equal(text(doc, 'guestStatus'), 'ALLOW');
  const grant = rig.joinTokens.verify(tokenOf(text(doc, 'url')), rig.now);
  assert.equal(grant.role, 'viewer');
  assert.equal(text(doc, 'user_id'), grant.internalUserId);
  assert.equal(grant.userId, grant.internalUserId, 'without userID the internal id stands in');
  assert.equal(text(doc, 'session_token'), grant.sessionId);
  // Like Boolean.parseBoolean: any value other than "true" means no redirect; "TRUE" redirects.
  assert.equal(
    (await rig.callParams('join', { meetingID: 'lecture', fullName: 'B', password: 'ap', redirect: 'no' }))
      .status,
    200,
  );
  assert.equal(
    (await rig.callParams('join', { meetingID: 'lecture', fullName: 'B', password: 'ap', redirect: 'TRUE' }))
      .status,
    302,
  );
});

test('role=MODERATOR|VIEWER wins over passwords; legacy passwords pick the role otherwise', async () => {
  const roleOf = async (params: Record<string, string>) => {
    const doc = await rig.xml('join', { meetingID: 'lecture', fullName: 'X', redirect: 'false', ...params });
    if (text(doc, 'returncode') !== 'SUCCESS') return text(doc, 'messageKey');
    return rig.joinTokens.verify(tokenOf(text(doc, 'url')), rig.now).role;
  };
  assert.equal(await roleOf({ role: 'MODERATOR' }), 'moderator');
  assert.equal(await roleOf({ role: 'viewer' }), 'viewer');
  assert.equal(await roleOf({ role: 'VIEWER', password: 'mp' }), 'viewer');
  assert.equal(await roleOf({ password: 'mp' }), 'moderator');
  assert.equal(await roleOf({ password: 'ap' }), 'viewer');
  assert.equal(await roleOf({ role: 'admin', password: 'ap' }), 'viewer');
  assert.equal(await roleOf({ password: 'wrong' }), 'invalidPassword');
  assert.equal(await roleOf({}), 'invalidPassword');
  assert.equal(await roleOf({ role: 'admin' }), 'invalidPassword');
});

test('join failures: missing name, missing or unknown meeting, createTime mismatch', async () => {
  const failure = async (params: Record<string, string>) => {
    const reply = await rig.callParams('join', { redirect: 'false', ...params });
    assert.equal(reply.status, 200, 'errors are XML, not redirects');
    const doc = parseXml(reply.body);
    assert.deepEqual(names(doc), ['returncode', 'messageKey', 'message']);
    assert.equal(text(doc, 'returncode'), 'FAILED');
    return text(doc, 'messageKey');
  };
  assert.equal(await failure({ meetingID: 'lecture', password: 'ap' }), 'missingParamFullName');
  assert.equal(
    await failure({ meetingID: 'lecture', fullName: '  ', password: 'ap' }),
    'missingParamFullName',
  );
  assert.equal(await failure({ fullName: 'X', password: 'ap' }), 'missingParamMeetingID');
  assert.equal(
    await failure({ meetingID: 'nope', fullName: 'X', password: 'ap' }),
    'invalidMeetingIdentifier',
  );
  assert.equal(
    await failure({ meetingID: 'lecture', fullName: 'X', role: 'viewer', createTime: '123' }),
    'mismatchCreateTimeParam',
  );
  const ok = await rig.xml('join', {
    meetingID: 'lecture',
    fullName: 'X',
    role: 'viewer',
    createTime,
    redirect: 'false',
  });
  assert.equal(text(ok, 'returncode'), 'SUCCESS');
  // Without redirect=false the failure is still an XML document, not a redirect.
  const redirected = await rig.callParams('join', { meetingID: 'nope', fullName: 'X', password: 'ap' });
  assert.equal(redirected.status, 200);
  assert.equal(text(parseXml(redirected.body), 'messageKey'), 'invalidMeetingIdentifier');
});

test('joining a meeting ended by the end call is meetingForciblyEnded', async () => {
  await rig.xml('create', { meetingID: 'ended-1' });
  await rig.xml('end', { meetingID: 'ended-1' });
  const doc = await rig.xml('join', { meetingID: 'ended-1', fullName: 'Late', role: 'viewer' });
  assert.equal(text(doc, 'messageKey'), 'meetingForciblyEnded');
});

test('maxParticipants: a full meeting refuses newcomers but lets a returning userID back in', async () => {
  const doc = await rig.xml('create', { meetingID: 'small', maxParticipants: '2' });
  const smallRoom = text(doc, 'internalMeetingID');
  rig.runtime.addParticipant(smallRoom, { participantId: 'p1', userId: 'u1' });
  const second = await rig.xml('join', {
    meetingID: 'small',
    fullName: 'Two',
    role: 'viewer',
    redirect: 'false',
  });
  assert.equal(text(second, 'returncode'), 'SUCCESS');
  rig.runtime.addParticipant(smallRoom, { participantId: 'p2', userId: 'u2' });
  const third = await rig.xml('join', {
    meetingID: 'small',
    fullName: 'Three',
    role: 'viewer',
    redirect: 'false',
  });
  assert.equal(text(third, 'returncode'), 'FAILED');
  assert.equal(text(third, 'messageKey'), 'maxParticipantsReached');
  assert.equal(
    text(third, 'message'),
    'The number of participants allowed for this meeting has been reached.',
  );
  const back = await rig.xml('join', {
    meetingID: 'small',
    fullName: 'One',
    userID: 'u1',
    role: 'viewer',
    redirect: 'false',
  });
  assert.equal(text(back, 'returncode'), 'SUCCESS');
});

test("the tenant's join presets apply: defaults under the portal's parameters, overrides over them", async () => {
  await rig.tenants.update(rig.tenantB.id, {
    settings: { defaultJoinParams: { role: 'viewer' }, overrideJoinParams: { fullName: 'Anonymous' } },
  });
  const secret = rig.tenantB.secrets[0]!;
  await rig.xml('create', { meetingID: 'presets' }, { secret });
  const doc = await rig.xml(
    'join',
    { meetingID: 'presets', fullName: 'Real Name', redirect: 'false' },
    { secret },
  );
  const grant = rig.joinTokens.verify(new URL(text(doc, 'url')).searchParams.get('join')!, rig.now);
  assert.equal(grant.role, 'viewer');
  assert.equal(grant.fullName, 'Anonymous');
});

test('the join link carries the user’s region: `region`, else `userdata-region`, else the tenant’s', async () => {
  const regionOf = async (extra: Record<string, string>, secret?: string) => {
    const reply = await rig.callParams(
      'join',
      { meetingID: 'lecture', fullName: 'Ada', password: 'ap', ...extra },
      secret ? { secret } : {},
    );
    assert.equal(reply.status, 302, reply.body);
    return rig.joinTokens.verify(tokenOf(String(reply.headers.location)), rig.now).region;
  };
  assert.equal(await regionOf({ region: 'us-east' }), 'us-east');
  assert.equal(await regionOf({ 'userdata-region': 'ap-south' }), 'ap-south');
  assert.equal(await regionOf({ region: 'us-east', 'userdata-region': 'ap-south' }), 'us-east');
  assert.equal(await regionOf({}), 'eu', 'tenant a is in eu');
});

test('a region that is not a region name is refused as a validation error', async () => {
  for (const region of ['eu west', '-eu', 'x'.repeat(65), 'eu"><script>']) {
    const doc = await rig.xml('join', { meetingID: 'lecture', fullName: 'Ada', password: 'ap', region });
    assert.equal(text(doc, 'returncode'), 'FAILED', region);
    assert.equal(text(doc, 'messageKey'), 'validationError');
  }
});

test('the logout URL in the join link: the meeting’s, else the tenant’s; never one that is not http(s)', async () => {
  const secret = rig.tenantH.secrets[0]!;
  const logoutOf = async (meetingID: string) => {
    const reply = await rig.callParams('join', { meetingID, fullName: 'Ada', role: 'VIEWER' }, { secret });
    assert.equal(reply.status, 302, reply.body);
    const token = new URL(String(reply.headers.location)).searchParams.get('join')!;
    return rig.joinTokens.verify(token, rig.now).logoutUrl;
  };
  await rig.xml('create', { meetingID: 'no-logout' }, { secret });
  await rig.xml('create', { meetingID: 'bad-logout', logoutURL: 'javascript:alert(1)' }, { secret });
  await rig.xml('create', { meetingID: 'own-logout', logoutURL: 'https://lms.example/own' }, { secret });
  assert.equal(await logoutOf('no-logout'), undefined, 'no URL anywhere: the page stays');
  assert.equal(await logoutOf('bad-logout'), undefined, 'a javascript: URL was dropped at create');

  await rig.tenants.update(rig.tenantH.id, { settings: { logoutUrl: 'https://portal-h.example/bye' } });
  assert.equal(await logoutOf('no-logout'), 'https://portal-h.example/bye');
  assert.equal(await logoutOf('bad-logout'), 'https://portal-h.example/bye');
  assert.equal(await logoutOf('own-logout'), 'https://lms.example/own', 'the meeting’s wins');

  // A meeting stored before create checked (or a tenant edited in the database): checked again at join.
  const stored = (await rig.meetings.findActive(rig.tenantH.id, 'bad-logout'))!;
  await rig.db.execute('UPDATE meetings SET create_params = ? WHERE id = ?', [
    JSON.stringify({ ...stored.createParams, logoutURL: 'data:text/html,<script>alert(1)</script>' }),
    stored.id,
  ]);
  assert.equal(await logoutOf('bad-logout'), 'https://portal-h.example/bye');
});
