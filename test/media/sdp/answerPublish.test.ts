import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useAbsSendTime,
  useAudioLevelIndication,
  useH264,
  useOPUS,
  useSdesMid,
  useTransportWideCC,
  useVP8,
} from 'werift';
import { answerPublish } from '../../../src/media/sdp/answerPublish.ts';
import { parseSdp } from '../../../src/media/sdp/parseSdp.ts';
import { SdpError } from '../../../src/media/sdp/SdpError.ts';
import { assertSdpError, FIXTURES, fixture, LOCAL, mediaSectionLines, seededRandom } from './sdpTestKit.ts';

const TWCC = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
const ABS_SEND_TIME = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
const MID = 'urn:ietf:params:rtp-hdrext:sdes:mid';
const AUDIO_LEVEL = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const RID = 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id';
const REPAIRED_RID = 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id';

async function weriftOffer(
  configure: (pc: RTCPeerConnection) => void,
  config: ConstructorParameters<typeof RTCPeerConnection>[0] = {},
): Promise<{ pc: RTCPeerConnection; offer: string }> {
  // max-bundle: with the default max-compat, werift 0.25.2 never closes the UDP socket of the transport that
  // BUNDLE makes redundant, and the test process cannot exit.
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', ...config });
  configure(pc);
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, offer: pc.localDescription!.sdp };
}

/** Checks the structural promises every answer makes. */
function assertWellFormedAnswer(answer: string, offer: string): void {
  assert.ok(answer.endsWith('\r\n'));
  assert.ok(!/[^\r]\n/.test(answer), 'every line ends with CRLF');
  const parsed = parseSdp(answer);
  const offered = parseSdp(offer);
  assert.equal(parsed.iceLite, true);
  assert.deepEqual(
    parsed.media.map((media) => [media.kind, media.mid]),
    offered.media.map((media) => [media.kind, media.mid]),
  );
  const accepted = parsed.media.filter((media) => media.port !== 0);
  if (offered.bundle !== undefined)
    assert.deepEqual(
      parsed.bundle,
      accepted.map((media) => media.mid),
    );
  for (const media of accepted) {
    assert.equal(media.iceUfrag, LOCAL.iceUfrag);
    assert.equal(media.icePwd, LOCAL.icePwd);
    assert.deepEqual(media.fingerprints, [{ algorithm: 'sha-256', value: LOCAL.fingerprint.value }]);
    assert.equal(media.setup, 'passive');
    assert.equal(media.rtcpMux, true);
    assert.equal(media.formats.length, 1, 'exactly one codec per m-line');
    assert.equal(media.candidates.length, LOCAL.candidates.length);
    assert.equal(media.endOfCandidates, true);
  }
}

describe('answerPublish with Chromium offers', () => {
  it('answers a camera offer with opus and VP8, no RTX/RED/FEC, keeping PTs, fmtp and ext ids', () => {
    const offer = fixture(FIXTURES.chromiumCamera);
    const { answer, tracks, remote } = answerPublish(offer, LOCAL);
    assertWellFormedAnswer(answer, offer);

    assert.deepEqual(remote, {
      iceUfrag: 'Xq3r',
      icePwd: '8kTf5yW1n2LbR9sQ0vZpH3jc',
      fingerprints: [
        {
          algorithm: 'sha-256',
          value:
            '3F:9A:21:C4:7E:5B:0D:88:A1:6C:F2:4E:93:17:BB:D0:65:2A:E8:7C:41:0F:D9:36:8B:52:A7:1E:C3:94:F6:0B',
        },
      ],
      setup: 'actpass',
    });

    assert.equal(tracks.length, 2);
    const [audio, video] = tracks;
    assert.deepEqual(audio, {
      mid: '0',
      kind: 'audio',
      codec: {
        payloadType: 111,
        name: 'opus',
        clockRate: 48000,
        channels: 2,
        fmtp: 'minptime=10;useinbandfec=1',
        rtcpFeedback: ['transport-cc'],
      },
      extensions: [
        { id: 1, uri: AUDIO_LEVEL },
        { id: 2, uri: ABS_SEND_TIME },
        { id: 3, uri: TWCC },
        { id: 4, uri: MID },
      ],
      ssrcs: [2365467744],
      rids: [],
      msid: {
        streamId: '9a8b2f4e-6a43-4a3b-9c51-2b6f3c0d1e7a',
        trackId: '5c1d0e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
      },
    });
    assert.equal(video.codec.payloadType, 96);
    assert.equal(video.codec.name, 'VP8');
    assert.deepEqual(video.codec.rtcpFeedback, ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli']);
    assert.deepEqual(video.ssrcs, [1740236583], 'the RTX SSRC of the FID group is not a media SSRC');
    assert.deepEqual(
      video.extensions.map((extension) => extension.id),
      [2, 3, 4, 10, 11],
      'toffset, video-orientation, playout-delay... are not accepted',
    );

    const videoLines = mediaSectionLines(answer, 1);
    assert.equal(videoLines[0], 'm=video 40000 UDP/TLS/RTP/SAVPF 96');
    assert.ok(videoLines.includes('c=IN IP4 192.0.2.10'));
    assert.ok(videoLines.includes('a=recvonly'));
    assert.ok(videoLines.includes('a=rtcp-rsize'));
    assert.ok(videoLines.includes('a=rtpmap:96 VP8/90000'));
    assert.ok(videoLines.includes('a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host'));
    assert.ok(videoLines.includes('a=candidate:2 1 udp 2130706430 2001:db8::10 40000 typ host'));
    assert.ok(!videoLines.some((line) => /rtx\/|red\/|ulpfec|apt=/.test(line)));
    assert.ok(answer.includes('\r\na=ice-lite\r\n'));
    assert.ok(answer.includes('\r\na=group:BUNDLE 0 1\r\n'));
  });

  it('prefers H264 constrained baseline 42e01f with packetization-mode=1 when H264 comes first', () => {
    const { tracks, answer } = answerPublish(fixture(FIXTURES.chromiumCamera), LOCAL, {
      videoCodecs: ['H264'],
    });
    assert.equal(tracks[1].codec.payloadType, 106);
    assert.equal(
      tracks[1].codec.fmtp,
      'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    );
    assert.ok(
      mediaSectionLines(answer, 1).includes(
        'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      ),
    );
  });

  it('honours the codec preference order and names case-insensitively', () => {
    const offer = fixture(FIXTURES.chromiumCamera);
    assert.equal(
      answerPublish(offer, LOCAL, { videoCodecs: ['vp9', 'VP8'] }).tracks[1].codec.payloadType,
      98,
    );
    assert.equal(answerPublish(offer, LOCAL, { videoCodecs: ['AV1'] }).tracks[1].codec.payloadType, 45);
    const pcmu = answerPublish(offer, LOCAL, { audioCodecs: ['pcmu'] }).tracks[0].codec;
    assert.deepEqual([pcmu.payloadType, pcmu.name], [0, 'PCMU']);
  });

  it('narrows extensions and RTCP feedback to the options', () => {
    const { tracks } = answerPublish(fixture(FIXTURES.chromiumCamera), LOCAL, {
      extensions: [MID, RID],
      rtcpFeedback: ['nack', 'nack pli'],
    });
    assert.deepEqual(tracks[1].extensions, [
      { id: 4, uri: MID },
      { id: 10, uri: RID },
    ]);
    assert.deepEqual(tracks[1].codec.rtcpFeedback, ['nack', 'nack pli']);
    assert.deepEqual(tracks[0].codec.rtcpFeedback, []);
  });

  it('answers simulcast with rid recv and simulcast:recv in the offer order', () => {
    const { answer, tracks } = answerPublish(fixture(FIXTURES.chromiumSimulcast), LOCAL);
    assert.deepEqual(tracks[1].rids, ['q', 'h', 'f']);
    assert.deepEqual(tracks[1].ssrcs, []);
    assert.deepEqual(
      tracks[1].extensions.map((extension) => extension.uri),
      [ABS_SEND_TIME, TWCC, MID, RID, REPAIRED_RID],
    );
    const lines = mediaSectionLines(answer, 1);
    const simulcastLines = lines.filter(
      (line) => line.startsWith('a=rid:') || line.startsWith('a=simulcast:'),
    );
    assert.deepEqual(simulcastLines, [
      'a=rid:q recv',
      'a=rid:h recv',
      'a=rid:f recv',
      'a=simulcast:recv q;h;f',
    ]);
    const reparsed = parseSdp(answer).media[1];
    assert.deepEqual(
      reparsed.simulcast?.recv?.flat().map((layer) => layer.rid),
      ['q', 'h', 'f'],
    );
    assert.deepEqual(tracks[0].rids, []);
  });

  it('answers paused layers unpaused and ignores rids without a=rid send', () => {
    const offer = fixture(FIXTURES.chromiumSimulcast).replace(
      'a=simulcast:send q;h;f',
      'a=simulcast:send q;h,x;~f;zz',
    );
    const { tracks, answer } = answerPublish(offer, LOCAL);
    assert.deepEqual(tracks[1].rids, ['q', 'h', 'f']);
    assert.ok(answer.includes('a=simulcast:recv q;h;f\r\n'));
  });

  it('answers an OBS offer with session-level ICE/DTLS and only H264 + opus', () => {
    const offer = fixture(FIXTURES.obsWhip);
    const { answer, tracks, remote } = answerPublish(offer, LOCAL);
    assertWellFormedAnswer(answer, offer);
    assert.deepEqual(remote.iceUfrag, 'Tq9+');
    assert.equal(remote.icePwd, 'mH3/kP8xVz2Lr5Nq7Wc1Ys');
    assert.equal(remote.setup, 'actpass');
    assert.deepEqual(
      tracks.map((track) => [track.kind, track.codec.name, track.codec.payloadType, track.ssrcs]),
      [
        ['audio', 'opus', 111, [2839405719]],
        ['video', 'H264', 96, [2839405720]],
      ],
    );
    assert.equal(
      tracks[1].codec.fmtp,
      'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
    );
    assert.deepEqual(tracks[1].codec.rtcpFeedback, ['nack', 'nack pli', 'goog-remb']);
    assert.deepEqual(tracks[1].msid, { streamId: 'obs-stream', trackId: 'obs-video' });
    assert.ok(!mediaSectionLines(answer, 0).includes('a=rtcp-rsize'), 'rtcp-rsize only when offered');
    assert.ok(answer.includes('a=group:BUNDLE 0 1\r\n'));
    assert.ok(!answer.includes('a=group:LS'));
  });

  it('answers a GStreamer offer with bundle-only audio and an uppercase OPUS', () => {
    const offer = fixture(FIXTURES.gstreamerWhip);
    const { answer, tracks } = answerPublish(offer, LOCAL);
    assertWellFormedAnswer(answer, offer);
    assert.deepEqual(
      tracks.map((track) => [track.mid, track.codec.name, track.codec.payloadType]),
      [
        ['video0', 'H264', 96],
        ['audio1', 'OPUS', 97],
      ],
    );
    assert.deepEqual(tracks[1].extensions, [{ id: 1, uri: TWCC }]);
    assert.ok(answer.includes('a=group:BUNDLE video0 audio1\r\n'));
    assert.ok(mediaSectionLines(answer, 1)[0].startsWith('m=audio 40000 '));
  });
});

describe('answerPublish with werift offers', () => {
  it('is accepted by werift (default codecs)', async () => {
    const { pc, offer } = await weriftOffer((pc) => {
      pc.addTransceiver('audio', { direction: 'sendonly' });
      pc.addTransceiver('video', { direction: 'sendonly' });
    });
    try {
      const { answer, tracks } = answerPublish(offer, LOCAL);
      assertWellFormedAnswer(answer, offer);
      assert.deepEqual(
        tracks.map((track) => [track.kind, track.codec.name, track.codec.payloadType]),
        [
          ['audio', 'OPUS', 96],
          ['video', 'VP8', 98],
        ],
      );
      assert.equal(tracks[0].ssrcs.length, 1);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      assert.equal(pc.signalingState, 'stable');
      assert.deepEqual(
        pc.getTransceivers().map((transceiver) => [transceiver.currentDirection, transceiver.codecs.length]),
        [
          ['sendonly', 1],
          ['sendonly', 1],
        ],
      );
    } finally {
      await pc.close();
    }
  });

  it('is accepted by werift offering H264 + VP8 + RTX and header extensions', async () => {
    const { pc, offer } = await weriftOffer(
      (pc) => {
        pc.addTransceiver('audio', { direction: 'sendrecv' });
        pc.addTransceiver('video', { direction: 'sendonly' });
      },
      {
        codecs: {
          audio: [useOPUS()],
          video: [
            useH264(),
            useVP8(),
            new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000 }),
          ],
        },
        headerExtensions: {
          audio: [useSdesMid(), useAudioLevelIndication()],
          video: [useSdesMid(), useAbsSendTime(), useTransportWideCC()],
        },
      },
    );
    try {
      const { answer, tracks } = answerPublish(offer, LOCAL, { videoCodecs: ['H264', 'VP8'] });
      assertWellFormedAnswer(answer, offer);
      const offeredVideo = parseSdp(offer).media[1];
      const offeredH264 = offeredVideo.codecs.find((codec) => codec.name === 'H264')!;
      assert.equal(tracks[1].codec.payloadType, offeredH264.payloadType);
      assert.equal(tracks[1].codec.fmtp, offeredH264.fmtp);
      assert.deepEqual(
        tracks[1].extensions,
        offeredVideo.extmaps.map((extmap) => ({ id: extmap.id, uri: extmap.uri })),
      );
      assert.ok(!answer.includes('rtx'));
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      assert.equal(pc.signalingState, 'stable');
      const [audio, video] = pc.getTransceivers();
      assert.equal(audio.currentDirection, 'sendonly', 'a sendrecv offer is answered recvonly');
      assert.deepEqual(
        video.codecs.map((codec) => codec.mimeType),
        ['video/H264'],
      );
    } finally {
      await pc.close();
    }
  });

  it('rejects a datachannel m-line with port 0', async () => {
    const { pc, offer } = await weriftOffer((pc) => {
      pc.addTransceiver('audio', { direction: 'sendonly' });
      pc.createDataChannel('chat');
    });
    try {
      const { answer, tracks } = answerPublish(offer, LOCAL);
      assertWellFormedAnswer(answer, offer);
      assert.equal(tracks.length, 1);
      assert.deepEqual(mediaSectionLines(answer, 1).slice(0, 3), [
        'm=application 0 UDP/DTLS/SCTP webrtc-datachannel',
        'c=IN IP4 0.0.0.0',
        'a=mid:1',
      ]);
      // werift itself cannot take a rejected datachannel ("sctpRemotePort not exist"); browsers can.
    } finally {
      await pc.close();
    }
  });

  it('is accepted by werift when one m-line is rejected', async () => {
    const { pc, offer } = await weriftOffer((pc) => {
      pc.addTransceiver('audio', { direction: 'sendonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    });
    try {
      const { answer, tracks } = answerPublish(offer, LOCAL);
      assertWellFormedAnswer(answer, offer);
      assert.deepEqual(
        tracks.map((track) => track.kind),
        ['audio'],
      );
      const parsed = parseSdp(answer);
      assert.deepEqual(
        parsed.media.map((media) => [media.kind, media.port]),
        [
          ['audio', 40000],
          ['video', 0],
        ],
      );
      assert.deepEqual(parsed.bundle, ['0']);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      assert.equal(pc.signalingState, 'stable');
    } finally {
      await pc.close();
    }
  });
});

// Lines that are valid on their own but may contradict the rest of an offer.
const VOCABULARY = [
  'a=setup:passive',
  'a=setup:active',
  'a=ice-lite',
  'a=inactive',
  'a=bundle-only',
  'a=rtcp-mux',
  'a=rid:q send',
  'a=rid:zz recv',
  'a=simulcast:send q;~h;f',
  'a=simulcast:recv a,b',
  'a=ssrc-group:FID 1 2',
  'a=ssrc-group:SIM 5 6 7',
  'a=ssrc:5 msid:a b',
  'a=msid:- x',
  'a=extmap:14/sendonly urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=rtcp-fb:* nack',
  'a=fmtp:96 packetization-mode=1',
  'a=rtpmap:96 H264/90000',
  'a=group:BUNDLE 0',
  'a=mid:2',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'm=video 0 UDP/TLS/RTP/SAVPF 96',
  'm=audio 9 RTP/AVP 0',
  'c=IN IP6 ::1',
];

describe('answerPublish refusals', () => {
  const camera = fixture(FIXTURES.chromiumCamera);

  it('rejects m-lines it cannot use with port 0, same order and mid', () => {
    const offer = camera.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 VP7/90000');
    const { answer, tracks } = answerPublish(offer, LOCAL, { videoCodecs: ['VP8'] });
    assert.deepEqual(
      tracks.map((track) => track.mid),
      ['0'],
    );
    const lines = mediaSectionLines(answer, 1);
    assert.match(lines[0], /^m=video 0 UDP\/TLS\/RTP\/SAVPF 96 97 102 /);
    assert.ok(lines.includes('a=mid:1'));
    assert.ok(answer.includes('a=group:BUNDLE 0\r\n'));
  });

  it('throws no-common-codec when nothing can be accepted, saying why per m-line', () => {
    const error = assertSdpError(
      () => answerPublish(camera, LOCAL, { audioCodecs: ['AMR'], videoCodecs: ['H265'] }),
      'no-common-codec',
    );
    assert.match(error.message, /mid 0 \(audio\): no codec in common \(offer has opus\/48000/);
    assert.match(error.message, /we accept AMR/);
    assert.match(error.message, /mid 1 \(video\): no codec in common/);
  });

  it('rejects recvonly and inactive m-lines and throws if that leaves nothing', () => {
    assertSdpError(
      () => answerPublish(fixture(FIXTURES.chromiumWhep), LOCAL),
      'no-common-codec',
      /mid 0 \(audio\): it is recvonly; a WHIP publisher must send/,
    );
    const oneInactive = camera.replace(/a=sendonly\r\n(?![\s\S]*a=sendonly)/, 'a=inactive\r\n');
    const { answer, tracks } = answerPublish(oneInactive, LOCAL);
    assert.deepEqual(
      tracks.map((track) => track.kind),
      ['audio'],
    );
    assert.match(mediaSectionLines(answer, 1)[0], /^m=video 0 /);
  });

  it('refuses H264 without packetization-mode=1', () => {
    const obs = fixture(FIXTURES.obsWhip).replace('packetization-mode=1', 'packetization-mode=0');
    const { tracks } = answerPublish(obs, LOCAL);
    assert.deepEqual(
      tracks.map((track) => track.kind),
      ['audio'],
    );
  });

  it('refuses a=setup:passive (and holdconn) as unsupported', () => {
    assertSdpError(
      () => answerPublish(camera.replaceAll('a=setup:actpass', 'a=setup:passive'), LOCAL),
      'unsupported',
      /a=setup:passive.*always the DTLS server/,
    );
    assertSdpError(
      () => answerPublish(camera.replaceAll('a=setup:actpass', 'a=setup:holdconn'), LOCAL),
      'unsupported',
    );
    const active = answerPublish(camera.replaceAll('a=setup:actpass', 'a=setup:active'), LOCAL);
    assert.equal(active.remote.setup, 'active');
    assert.ok(active.answer.includes('a=setup:passive'));
  });

  it('requires the remote ICE credentials and fingerprint', () => {
    assertSdpError(
      () => answerPublish(camera.replace(/a=ice-ufrag:.*\r\n/g, ''), LOCAL),
      'malformed',
      /^offer has no a=ice-ufrag$/,
    );
    assertSdpError(
      () => answerPublish(camera.replace(/a=ice-pwd:.*\r\n/g, ''), LOCAL),
      'malformed',
      /^offer has no a=ice-pwd$/,
    );
    assertSdpError(
      () => answerPublish(camera.replace(/a=fingerprint:.*\r\n/g, ''), LOCAL),
      'malformed',
      /^offer has no a=fingerprint$/,
    );
    assertSdpError(
      () => answerPublish(camera.replaceAll('a=ice-ufrag:Xq3r', 'a=ice-ufrag:ab'), LOCAL),
      'malformed',
      /ice-ufrag "ab" is not 4-256/,
    );
  });

  it('requires mids, rtcp-mux and BUNDLE for more than one m-line', () => {
    assertSdpError(
      () => answerPublish(camera.replace('a=group:BUNDLE 0 1\r\n', '').replace('a=mid:1\r\n', ''), LOCAL),
      'unsupported',
      /the m=video line on line \d+ has no a=mid/,
    );
    assertSdpError(
      () => answerPublish(camera.replace('a=group:BUNDLE 0 1\r\n', ''), LOCAL),
      'unsupported',
      /no a=group:BUNDLE/,
    );
    const noMux = camera.replace('a=rtcp-mux\r\n', '');
    const { tracks } = answerPublish(noMux, LOCAL);
    assert.deepEqual(
      tracks.map((track) => track.kind),
      ['video'],
    );
    assertSdpError(
      () => answerPublish(camera.replaceAll('a=rtcp-mux\r\n', ''), LOCAL),
      'no-common-codec',
      /no a=rtcp-mux/,
    );
  });

  it("keeps the offer's BUNDLE order and refuses an ICE-lite offerer", () => {
    const reordered = answerPublish(camera.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 1 0'), LOCAL);
    assert.ok(reordered.answer.includes('a=group:BUNDLE 1 0\r\n'));
    assert.deepEqual(
      reordered.tracks.map((track) => track.mid),
      ['0', '1'],
    );
    assertSdpError(
      () => answerPublish(camera.replace('t=0 0\r\n', 't=0 0\r\na=ice-lite\r\n'), LOCAL),
      'unsupported',
      /ICE-lite/,
    );
  });

  it('answers a single m-line without BUNDLE and without a group line', () => {
    const audioOnly = camera.slice(0, camera.indexOf('m=video')).replace('a=group:BUNDLE 0 1\r\n', '');
    const { answer, tracks } = answerPublish(audioOnly, LOCAL);
    assert.equal(tracks.length, 1);
    assert.ok(!answer.includes('a=group:'));
  });

  it('throws RangeError for bad local parameters, never writing them', () => {
    assert.throws(() => answerPublish(camera, { ...LOCAL, iceUfrag: 'ab\r\na=evil' }), RangeError);
    assert.throws(() => answerPublish(camera, { ...LOCAL, icePwd: 'short' }), RangeError);
    assert.throws(
      () => answerPublish(camera, { ...LOCAL, fingerprint: { algorithm: 'sha-256', value: 'AB:CD' } }),
      RangeError,
    );
    assert.throws(
      () =>
        answerPublish(camera, { ...LOCAL, candidates: [{ ip: 'example.com', port: 1, protocol: 'udp' }] }),
      RangeError,
    );
    assert.throws(
      () => answerPublish(camera, { ...LOCAL, candidates: [{ ip: '192.0.2.1', port: 0, protocol: 'udp' }] }),
      RangeError,
    );
  });

  it('passes parse errors through as SdpError', () => {
    assertSdpError(() => answerPublish('', LOCAL), 'malformed');
    assertSdpError(() => answerPublish('x'.repeat(100000), LOCAL), 'too-large');
  });

  it('survives a fuzz loop with only SdpError or a parseable answer', () => {
    const random = seededRandom(99);
    const seeds = [
      FIXTURES.chromiumCamera,
      FIXTURES.chromiumSimulcast,
      FIXTURES.obsWhip,
      FIXTURES.gstreamerWhip,
    ].map(fixture);
    let answered = 0;
    for (let round = 0; round < 1500; round++) {
      const lines = seeds[round % seeds.length].split(/\r?\n/);
      for (let m = 0; m < 1 + Math.floor(random() * 3) && lines.length > 0; m++) {
        const at = Math.floor(random() * lines.length);
        const choice = random();
        if (choice < 0.4) lines.splice(at, 1);
        else if (choice < 0.6) lines.splice(at, 0, lines[Math.floor(random() * lines.length)]);
        else if (choice < 0.7) lines[at] = lines[at].replace(/\d+/, String(Math.floor(random() * 70000)));
        else if (choice < 0.85) lines.splice(at, 0, VOCABULARY[Math.floor(random() * VOCABULARY.length)]);
        else lines[at] = lines[at].slice(0, Math.floor(random() * lines[at].length));
      }
      try {
        const { answer } = answerPublish(lines.join('\r\n'), LOCAL);
        parseSdp(answer);
        answered++;
      } catch (error) {
        assert.ok(error instanceof SdpError, `round ${round}: ${String(error)}`);
      }
    }
    assert.ok(answered > 100, `only ${answered} answers`);
  });
});
