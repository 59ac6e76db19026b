import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DotmError } from '../../src/client/DotmError.ts';
import { applyIceFragment, buildIceRestartFragment, parseSdpFragment } from '../../src/client/sdpFragment.ts';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:NEWu',
  'a=ice-pwd:newpasswordnewpasswordnew',
  'a=ice-options:trickle',
  'a=mid:0',
  'a=sendonly',
  'a=rtpmap:111 opus/48000/2',
  'a=candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:NEWu',
  'a=ice-pwd:newpasswordnewpasswordnew',
  'a=mid:1',
  'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

const ANSWER = [
  'v=0',
  'o=- 1 1 IN IP4 198.51.100.1',
  's=-',
  't=0 0',
  'a=ice-lite',
  'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 198.51.100.1',
  'a=mid:0',
  'a=ice-ufrag:old0',
  'a=ice-pwd:oldpasswordoldpasswordold',
  'a=recvonly',
  'a=candidate:1 1 udp 2130706431 198.51.100.1 40000 typ host',
  'a=end-of-candidates',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 198.51.100.1',
  'a=mid:1',
  'a=ice-ufrag:old0',
  'a=ice-pwd:oldpasswordoldpasswordold',
  'a=recvonly',
  '',
].join('\r\n');

test('the restart fragment carries the new credentials and every m-line with its mid', () => {
  assert.equal(
    buildIceRestartFragment(OFFER),
    [
      'a=ice-options:trickle',
      'a=group:BUNDLE 0 1',
      'a=ice-ufrag:NEWu',
      'a=ice-pwd:newpasswordnewpasswordnew',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111 63',
      'a=mid:0',
      'a=candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:1',
      '',
    ].join('\r\n'),
  );
});

test('an offer without credentials cannot make a fragment', () => {
  assert.throws(
    () => buildIceRestartFragment('v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n'),
    (error: unknown) => error instanceof DotmError && error.code === 'protocol-error',
  );
});

test('parses session- and media-level credentials and candidates', () => {
  const fragment = parseSdpFragment(
    [
      'a=ice-lite',
      'a=ice-ufrag:S1',
      'a=ice-pwd:sessionpwd',
      'm=audio 9 RTP/AVP 0',
      'a=mid:0',
      'a=candidate:1 1 udp 2130706431 198.51.100.7 41000 typ host',
      'a=end-of-candidates',
      'm=video 9 RTP/AVP 0',
      'a=mid:1',
      'a=ice-ufrag:M1',
      'a=ice-pwd:mediapwd',
    ].join('\n'),
  );
  assert.equal(fragment.iceLite, true);
  assert.equal(fragment.iceUfrag, 'S1');
  assert.equal(fragment.icePwd, 'sessionpwd');
  assert.deepEqual(fragment.media, [
    {
      mid: '0',
      candidates: ['candidate:1 1 udp 2130706431 198.51.100.7 41000 typ host'],
      endOfCandidates: true,
    },
    { mid: '1', iceUfrag: 'M1', icePwd: 'mediapwd', candidates: [], endOfCandidates: false },
  ]);
});

test("applying the server's fragment swaps credentials and candidates in a copy of the answer", () => {
  const fragment = parseSdpFragment(
    [
      'a=ice-ufrag:srv1',
      'a=ice-pwd:serverpasswordserverpassword',
      'm=audio 9 UDP/TLS/RTP/SAVPF 0',
      'a=mid:0',
      'a=candidate:2 1 udp 2130706431 203.0.113.9 42000 typ host',
      'a=end-of-candidates',
      '',
    ].join('\r\n'),
  );
  const updated = applyIceFragment(ANSWER, fragment);
  assert.equal(
    updated,
    [
      'v=0',
      'o=- 1 1 IN IP4 198.51.100.1',
      's=-',
      't=0 0',
      'a=ice-lite',
      'a=group:BUNDLE 0 1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'c=IN IP4 198.51.100.1',
      'a=mid:0',
      'a=ice-ufrag:srv1',
      'a=ice-pwd:serverpasswordserverpassword',
      'a=recvonly',
      'a=candidate:2 1 udp 2130706431 203.0.113.9 42000 typ host',
      'a=end-of-candidates',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'c=IN IP4 198.51.100.1',
      'a=mid:1',
      'a=ice-ufrag:srv1',
      'a=ice-pwd:serverpasswordserverpassword',
      'a=recvonly',
      '',
    ].join('\r\n'),
  );
});

test('a fragment without candidates keeps the old ones', () => {
  const fragment = parseSdpFragment('a=ice-ufrag:srv2\r\na=ice-pwd:pw2pw2pw2pw2pw2pw2pw2pw2\r\n');
  const updated = applyIceFragment(ANSWER, fragment);
  assert.match(updated, /a=candidate:1 1 udp 2130706431 198\.51\.100\.1 40000 typ host/);
  assert.doesNotMatch(updated, /old0/);
  assert.equal(updated.match(/a=ice-ufrag:srv2/g)?.length, 2);
});

test('session-level credentials in the answer are replaced where they are', () => {
  const sessionLevel = 'v=0\na=ice-ufrag:old\na=ice-pwd:oldpwd\nm=video 9 RTP/AVP 96\na=mid:0\n';
  const updated = applyIceFragment(sessionLevel, parseSdpFragment('a=ice-ufrag:new\na=ice-pwd:newpwd\n'));
  assert.equal(updated, 'v=0\na=ice-ufrag:new\na=ice-pwd:newpwd\nm=video 9 RTP/AVP 96\na=mid:0\n');
});

test('a fragment without credentials is a protocol error', () => {
  assert.throws(
    () => applyIceFragment(ANSWER, parseSdpFragment('m=audio 9 RTP/AVP 0\r\na=mid:0\r\n')),
    (error: unknown) => error instanceof DotmError && error.code === 'protocol-error',
  );
});
