import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionDescription as WeriftSessionDescription } from 'werift';
import { parseSdp } from '../../../src/media/sdp/parseSdp.ts';
import { SdpError } from '../../../src/media/sdp/SdpError.ts';
import { assertSdpError, FIXTURES, fixture, seededRandom } from './sdpTestKit.ts';

const MINIMAL = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0'];

function sdp(...lines: string[]): string {
  return `${[...MINIMAL, ...lines].join('\r\n')}\r\n`;
}

describe('parseSdp on real offers', () => {
  it('reads a Chromium camera offer completely', () => {
    const session = parseSdp(fixture(FIXTURES.chromiumCamera));
    assert.equal(session.version, 0);
    assert.equal(session.origin.sessionId, '4215775240449105457');
    assert.deepEqual(session.bundle, ['0', '1']);
    assert.equal(session.extmapAllowMixed, true);
    assert.equal(session.iceLite, false);
    assert.equal(session.media.length, 2);

    const [audio, video] = session.media;
    assert.equal(audio.kind, 'audio');
    assert.equal(audio.port, 9);
    assert.equal(audio.protocol, 'UDP/TLS/RTP/SAVPF');
    assert.deepEqual(audio.formats, ['111', '63', '9', '0', '8', '13', '110', '126']);
    assert.equal(audio.mid, '0');
    assert.equal(audio.direction, 'sendonly');
    assert.equal(audio.iceUfrag, 'Xq3r');
    assert.equal(audio.icePwd, '8kTf5yW1n2LbR9sQ0vZpH3jc');
    assert.deepEqual(audio.iceOptions, ['trickle']);
    assert.equal(audio.setup, 'actpass');
    assert.equal(audio.fingerprints[0].algorithm, 'sha-256');
    assert.match(audio.fingerprints[0].value, /^3F:9A:21/);
    assert.equal(audio.rtcpMux, true);
    assert.equal(audio.rtcpRsize, true);
    assert.deepEqual(audio.codecs[0], {
      payloadType: 111,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'minptime=10;useinbandfec=1',
      rtcpFeedback: ['transport-cc'],
    });
    assert.deepEqual(
      audio.codecs.map((codec) => codec.name),
      ['opus', 'red', 'G722', 'PCMU', 'PCMA', 'CN', 'telephone-event', 'telephone-event'],
    );
    assert.deepEqual(audio.extmaps[0], { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' });
    assert.deepEqual(audio.msids, [
      { streamId: '9a8b2f4e-6a43-4a3b-9c51-2b6f3c0d1e7a', trackId: '5c1d0e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f' },
    ]);

    assert.equal(video.codecs.length, 25);
    const h264 = video.codecs.find((codec) => codec.payloadType === 106);
    assert.equal(h264?.fmtp, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
    assert.deepEqual(h264?.rtcpFeedback, ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli']);
    assert.equal(video.codecs.find((codec) => codec.payloadType === 97)?.fmtp, 'apt=96');
    assert.equal(video.extmaps.length, 11);
    assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [1740236583, 2780396240] }]);
    assert.equal(video.ssrcs.length, 4);
    assert.deepEqual(video.ssrcs[0], { ssrc: 1740236583, attribute: 'cname', value: 'nN3qS0wKxk3mVgS1' });
  });

  it('reads rids and simulcast', () => {
    const video = parseSdp(fixture(FIXTURES.chromiumSimulcast)).media[1];
    assert.deepEqual(video.rids, [
      { id: 'q', direction: 'send' },
      { id: 'h', direction: 'send' },
      { id: 'f', direction: 'send' },
    ]);
    assert.deepEqual(video.simulcast, {
      send: [[{ rid: 'q', paused: false }], [{ rid: 'h', paused: false }], [{ rid: 'f', paused: false }]],
    });
    const both = parseSdp(
      sdp(
        'm=video 9 UDP/TLS/RTP/SAVPF 96',
        'a=rid:a send max-width=1280;max-height=720',
        'a=simulcast:send a,b;~c recv d',
      ),
    ).media[0];
    assert.deepEqual(both.rids, [
      { id: 'a', direction: 'send', restrictions: 'max-width=1280;max-height=720' },
    ]);
    assert.deepEqual(both.simulcast, {
      send: [
        [
          { rid: 'a', paused: false },
          { rid: 'b', paused: false },
        ],
        [{ rid: 'c', paused: true }],
      ],
      recv: [[{ rid: 'd', paused: false }]],
    });
  });

  it('reads session-level ICE/DTLS, candidates and bundle-only (OBS, GStreamer)', () => {
    const obs = parseSdp(fixture(FIXTURES.obsWhip));
    assert.equal(obs.iceUfrag, 'Tq9+');
    assert.equal(obs.icePwd, 'mH3/kP8xVz2Lr5Nq7Wc1Ys');
    assert.deepEqual(obs.iceOptions, ['ice2', 'trickle']);
    assert.equal(obs.setup, 'actpass');
    assert.equal(obs.fingerprints.length, 1);
    assert.equal(obs.media[0].iceUfrag, undefined);
    assert.deepEqual(obs.groups, [
      { semantics: 'BUNDLE', mids: ['0', '1'] },
      { semantics: 'LS', mids: ['0', '1'] },
    ]);
    assert.deepEqual(obs.media[0].candidates[1], {
      foundation: '2',
      component: 1,
      transport: 'udp',
      priority: 1686052607,
      address: '203.0.113.77',
      port: 54609,
      type: 'srflx',
      relatedAddress: '0.0.0.0',
      relatedPort: 0,
      extensions: [],
    });
    assert.equal(obs.media[0].endOfCandidates, true);
    assert.equal(obs.media[0].connection?.address, '192.168.1.23');

    const gstreamer = parseSdp(fixture(FIXTURES.gstreamerWhip));
    assert.deepEqual(gstreamer.bundle, ['video0', 'audio1']);
    assert.equal(gstreamer.media[1].port, 0);
    assert.equal(gstreamer.media[1].bundleOnly, true);
    assert.equal(gstreamer.media[1].codecs[0].name, 'OPUS');
    assert.deepEqual(gstreamer.media[0].msids, [
      { streamId: 'user3627361025@host-4c5b4f93', trackId: 'webrtctransceiver0' },
    ]);
  });

  it('agrees with werift on every fixture', () => {
    for (const name of Object.values(FIXTURES)) {
      const text = fixture(name);
      const ours = parseSdp(text);
      const theirs = WeriftSessionDescription.parse(text);
      assert.equal(ours.media.length, theirs.media.length, name);
      ours.media.forEach((media, index) => {
        const other = theirs.media[index];
        assert.equal(media.kind, other.kind, name);
        assert.equal(media.port, other.port, name);
        assert.equal(media.mid, other.rtp.muxId, name);
        assert.deepEqual(
          media.codecs
            .filter((codec) => media.formats.includes(String(codec.payloadType)))
            .map((c) => c.payloadType),
          other.rtp.codecs.map((codec) => codec.payloadType),
          name,
        );
        assert.deepEqual(
          media.extmaps.map((extmap) => [extmap.id, extmap.uri]),
          other.rtp.headerExtensions.map((extension) => [extension.id, extension.uri]),
          name,
        );
        assert.equal(
          media.iceUfrag ?? ours.iceUfrag,
          other.iceParams?.usernameFragment ?? theirs.iceUsernameFragment,
        );
        assert.equal(media.rtcpMux, other.rtcpMux, name);
      });
    }
  });

  it('accepts LF-only text, trailing blanks and blank lines', () => {
    const crlf = fixture(FIXTURES.chromiumCamera);
    const lf = crlf.replaceAll('\r\n', '\n');
    assert.deepEqual(parseSdp(lf), parseSdp(crlf));
    const sloppy = `\n${crlf.replaceAll('\r\n', '  \r\n').replace('s=-  \r\n', 's=-\r\n\r\n')}\r\n\r\n`;
    assert.deepEqual(parseSdp(sloppy).media[1].codecs, parseSdp(crlf).media[1].codecs);
  });

  it('applies session-level direction, static payload types and rtcp-fb wildcards', () => {
    const session = parseSdp(
      sdp(
        'a=recvonly',
        'm=audio 9 RTP/SAVPF 0 8 111',
        'a=rtpmap:111 opus/48000/2',
        'a=rtcp-fb:* nack',
        'm=video 9 RTP/SAVPF 96',
        'a=sendonly',
        'a=rtpmap:96 VP8/90000',
        'a=rtcp-fb:96 nack pli',
        'a=rtcp-fb:* nack',
      ),
    );
    assert.equal(session.media[0].direction, 'recvonly');
    assert.equal(session.media[1].direction, 'sendonly');
    assert.deepEqual(session.media[0].codecs[0], {
      payloadType: 0,
      name: 'PCMU',
      clockRate: 8000,
      channels: 1,
      rtcpFeedback: ['nack'],
    });
    assert.deepEqual(session.media[1].codecs[0].rtcpFeedback, ['nack pli', 'nack']);
  });

  it('keeps unknown attributes and datachannel m-lines', () => {
    const session = parseSdp(
      sdp(
        'a=x-custom:hello world',
        'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
        'a=mid:2',
        'a=sctp-port:5000',
      ),
    );
    assert.deepEqual(session.attributes[0], { name: 'x-custom', value: 'hello world', line: 5 });
    assert.equal(session.media[0].kind, 'application');
    assert.deepEqual(session.media[0].formats, ['webrtc-datachannel']);
    assert.deepEqual(session.media[0].codecs, []);
    assert.equal(session.media[0].attributes[1].name, 'sctp-port');
  });
});

describe('parseSdp on hostile input', () => {
  it('rejects empty and non-string input', () => {
    assertSdpError(() => parseSdp(''), 'malformed', /empty/);
    assertSdpError(() => parseSdp('\r\n\n  \n'), 'malformed', /empty/);
    for (const value of [undefined, null, 42, {}, Buffer.from('v=0')]) {
      assertSdpError(() => parseSdp(value as unknown as string), 'malformed', /must be a string/);
    }
  });

  it('rejects binary junk', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 50; round++) {
      const bytes = Buffer.alloc(1 + Math.floor(random() * 2000));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      const error = assertSdpError(() => parseSdp(bytes.toString('latin1')), 'malformed');
      assert.match(error.message, /line 1/);
    }
    assertSdpError(() => parseSdp('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n\0\0\0'), 'malformed', /line 3.*control/);
  });

  it('enforces the size limits', () => {
    assertSdpError(() => parseSdp('v=0\r\n'.padEnd(1024 * 1024, 'x')), 'too-large', /65536/);
    const tenThousandMLines = sdp(
      ...Array.from({ length: 10000 }, (_, i) => `m=audio 9 RTP/AVP 0\r\na=mid:${i}`),
    );
    assertSdpError(() => parseSdp(tenThousandMLines), 'too-large');
    const sixtyFiveMLines = sdp(...Array.from({ length: 65 }, () => 'm=audio 9 RTP/AVP 0'));
    assertSdpError(() => parseSdp(sixtyFiveMLines), 'too-large', /line 69: more than 64 m= sections/);
    assert.equal(parseSdp(sdp(...Array.from({ length: 64 }, () => 'm=audio 9 RTP/AVP 0'))).media.length, 64);
    assertSdpError(
      () => parseSdp(sdp(...Array.from({ length: 2000 }, () => 'a=x'))),
      'too-large',
      /2004 lines/,
    );
    assertSdpError(
      () => parseSdp(sdp(`a=x-long:${'y'.repeat(5000)}`)),
      'too-large',
      /line 5 is 5009 characters/,
    );
    assertSdpError(() => parseSdp('é'.repeat(40000)), 'too-large', /80000 bytes/);
  });

  it('needs v=0 first, then o=, s= and t=', () => {
    assertSdpError(
      () => parseSdp('o=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n'),
      'malformed',
      /line 1: SDP must start with "v=0"/,
    );
    assertSdpError(() => parseSdp('v=1\r\n'), 'malformed', /line 1/);
    assertSdpError(() => parseSdp('v=0\r\ns=-\r\nt=0 0\r\n'), 'malformed', /no "o=" line/);
    assertSdpError(() => parseSdp('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n'), 'malformed', /no "s=" line/);
    assertSdpError(() => parseSdp('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n'), 'malformed', /no "t=" line/);
    assertSdpError(() => parseSdp(sdp('v=0')), 'malformed', /line 5: a second "v="/);
    assertSdpError(
      () => parseSdp(sdp('m=audio 9 RTP/AVP 0', 't=0 0')),
      'malformed',
      /line 6: "t=" is not allowed/,
    );
    assertSdpError(() => parseSdp(sdp('x=1')), 'malformed', /line 5/);
    assertSdpError(() => parseSdp(sdp('hello')), 'malformed', /line 5: expected "<letter>=<value>"/);
    assertSdpError(
      () => parseSdp('v=0\r\no=- 1\r\ns=-\r\nt=0 0\r\n'),
      'malformed',
      /line 2: "o=" needs 6 fields/,
    );
  });

  it('rejects non-numeric or absurd numbers with the line number', () => {
    const cases: Array<[string[], RegExp]> = [
      [['m=audio abc UDP/TLS/RTP/SAVPF 111'], /line 5: m= port "abc"/],
      [['m=audio 99999999999 UDP/TLS/RTP/SAVPF 111'], /line 5: m= port/],
      [['m=audio 70000 UDP/TLS/RTP/SAVPF 111'], /line 5: m= port "70000" is not a number 0-65535/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF opus'], /line 5: m= payload type "opus" is not a number 0-127/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 128'], /line 5: m= payload type "128"/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111 111'], /listed twice/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF'], /line 5: "m=" needs/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:x opus/48000'], /line 6: a=rtpmap payload type "x"/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/fast'], /line 6: a=rtpmap clock rate "fast"/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus'], /line 6: a=rtpmap encoding/],
      [
        ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 opus/48000/2'],
        /line 7/,
      ],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/99999999999'], /line 6/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ssrc:99999999999 cname:x'], /line 6: SSRC "99999999999"/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ssrc:12'], /line 6: a=ssrc must be/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ssrc-group:FID 1 x'], /line 6: SSRC "x"/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=extmap:300 urn:x'], /line 6: a=extmap id "300"/],
      [
        ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=extmap:1 urn:x', 'a=extmap:1 urn:y'],
        /line 7: a second a=extmap/,
      ],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=extmap:one urn:x'], /line 6: a=extmap must be/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=candidate:1 1 udp x 1.2.3.4 9 typ host'], /candidate priority/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=candidate:1 1 udp 1 1.2.3.4 99999 typ host'], /candidate port/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=candidate:garbage'], /line 6: a=candidate must be/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=fingerprint:sha-256 nothex'], /line 6: a=fingerprint/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=setup:sometimes'], /line 6: a=setup must be/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rid:q sideways'], /line 6: a=rid must be/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=simulcast:send'], /line 6: a=simulcast must be/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=simulcast:up a;b'], /line 6: bad a=simulcast direction/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=sendonly', 'a=recvonly'], /line 7: more than one direction/],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ice-ufrag:'], /line 6: a=ice-ufrag needs a value/],
      [
        ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=ice-ufrag:abcd', 'a=ice-ufrag:efgh'],
        /line 7: a second, different/,
      ],
      [['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=b@d:1'], /line 6: bad attribute name/],
      [['c=IN IP9 1.2.3.4'], /line 5: "c=" must be/],
      [
        ['a=group:BUNDLE 0 1', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0'],
        /lists mid "1" that no m= line has/,
      ],
    ];
    for (const [lines, message] of cases) assertSdpError(() => parseSdp(sdp(...lines)), 'malformed', message);
  });

  it('rejects duplicate mids', () => {
    assertSdpError(
      () =>
        parseSdp(
          sdp('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:0'),
        ),
      'malformed',
      /line 8: duplicate a=mid:0 \(already used on line 6\)/,
    );
    assertSdpError(
      () => parseSdp(sdp('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=mid:1')),
      'malformed',
      /line 7: a second a=mid/,
    );
  });

  it('quotes untrusted text briefly and on one line', () => {
    const error = assertSdpError(
      () => parseSdp(`v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n${'z'.repeat(500)}`),
      'malformed',
    );
    assert.ok(error.message.length < 200, error.message);
    assert.ok(!error.message.includes('\n'));
  });

  it('survives a fuzz loop of mutated offers with only SdpError or success', () => {
    const random = seededRandom(20240611);
    const seeds = Object.values(FIXTURES).map(fixture);
    const pieces = [
      '',
      ' ',
      ':',
      '/',
      '=',
      '-1',
      '999999999999',
      'NaN',
      'a=',
      'm=',
      '\u0000',
      '\u00ff',
      'é',
      '~',
      ';',
    ];
    let parsed = 0;
    for (let round = 0; round < 3000; round++) {
      const lines = seeds[round % seeds.length].split(/\r?\n/);
      const mutations = 1 + Math.floor(random() * 4);
      for (let m = 0; m < mutations && lines.length > 0; m++) {
        const at = Math.floor(random() * lines.length);
        const line = lines[at];
        const position = Math.floor(random() * (line.length + 1));
        const piece = pieces[Math.floor(random() * pieces.length)];
        switch (Math.floor(random() * 6)) {
          case 0:
            lines.splice(at, 1);
            break;
          case 1:
            lines.splice(at, 0, line);
            break;
          case 2:
            lines[at] = line.slice(0, position) + piece + line.slice(position);
            break;
          case 3:
            lines[at] = line.slice(0, position);
            break;
          case 4:
            lines[at] = line.slice(0, position) + line.slice(position + 1 + Math.floor(random() * 8));
            break;
          default:
            lines.splice(at, 0, lines[Math.floor(random() * lines.length)]);
        }
      }
      try {
        parseSdp(lines.join(random() < 0.5 ? '\r\n' : '\n'));
        parsed++;
      } catch (error) {
        assert.ok(error instanceof SdpError, `round ${round}: ${String(error)}`);
      }
    }
    assert.ok(
      parsed > 100,
      `only ${parsed} mutated offers parsed: the mutations are too destructive to test much`,
    );
  });
});
