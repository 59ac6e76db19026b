import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCPeerConnection, useH264, useOPUS, useVP8 } from 'werift';
import { answerPublish } from '../../../src/media/sdp/answerPublish.ts';
import { answerSubscribe } from '../../../src/media/sdp/answerSubscribe.ts';
import { parseSdp } from '../../../src/media/sdp/parseSdp.ts';
import { SdpError } from '../../../src/media/sdp/SdpError.ts';
import type { SourceTrack } from '../../../src/media/sdp/types.ts';
import {
  assertSdpError,
  CAMERA_SOURCES,
  FIXTURES,
  fixture,
  LOCAL,
  mediaSectionLines,
  seededRandom,
} from './sdpTestKit.ts';

const H264_CONSTRAINED_BASELINE = 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f';

const whep = fixture(FIXTURES.chromiumWhep);

function source(
  kind: 'audio' | 'video',
  codec: SourceTrack['codec'],
  ssrc: number,
  trackId: string,
): SourceTrack {
  return { kind, codec, ssrc, cname: 'otm', streamId: 'stream', trackId };
}

describe('answerSubscribe with a Chromium WHEP offer', () => {
  it('sends the camera sources sendonly in the subscriber PTs and ext ids', () => {
    const { answer, tracks, remote } = answerSubscribe(whep, LOCAL, CAMERA_SOURCES);
    assert.equal(remote.iceUfrag, 'Vb2n');
    assert.equal(remote.setup, 'actpass');
    const parsed = parseSdp(answer);
    assert.equal(parsed.iceLite, true);
    assert.deepEqual(parsed.bundle, ['0', '1']);

    assert.deepEqual(tracks, [
      {
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
          { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
          { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
          { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
          { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
        ],
        ssrcs: [0x11111111],
        rids: [],
        msid: { streamId: 'camera-stream', trackId: 'camera-audio' },
      },
      {
        mid: '1',
        kind: 'video',
        codec: {
          payloadType: 96,
          name: 'VP8',
          clockRate: 90000,
          rtcpFeedback: ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli'],
        },
        extensions: [
          { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
          { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
          { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
        ],
        ssrcs: [0x22222222],
        rids: [],
        msid: { streamId: 'camera-stream', trackId: 'camera-video' },
      },
    ]);

    const video = mediaSectionLines(answer, 1);
    assert.equal(video[0], 'm=video 40000 UDP/TLS/RTP/SAVPF 96');
    for (const line of [
      'a=sendonly',
      'a=setup:passive',
      'a=rtcp-mux',
      'a=rtcp-rsize',
      'a=msid:camera-stream camera-video',
      `a=ssrc:${0x22222222} cname:otm-camera`,
      `a=ssrc:${0x22222222} msid:camera-stream camera-video`,
      'a=candidate:1 1 udp 2130706431 192.0.2.10 40000 typ host',
      'a=end-of-candidates',
    ]) {
      assert.ok(video.includes(line), `missing ${line}`);
    }
    assert.deepEqual(parsed.media[1].ssrcs[0], { ssrc: 0x22222222, attribute: 'cname', value: 'otm-camera' });
  });

  it('matches an H264 source to the same profile and packetization mode', () => {
    const sources = [
      source(
        'video',
        { name: 'H264', clockRate: 90000, fmtp: 'packetization-mode=1;profile-level-id=42e01f' },
        7,
        'v',
      ),
    ];
    const { tracks, answer } = answerSubscribe(whep, LOCAL, sources);
    assert.equal(tracks.length, 1);
    assert.equal(tracks[0].codec.payloadType, 106, '102 is baseline 42001f, not constrained baseline');
    assert.equal(tracks[0].codec.fmtp, H264_CONSTRAINED_BASELINE);
    assert.match(mediaSectionLines(answer, 0)[0], /^m=audio 0 /, 'no audio source: audio rejected');

    const high = answerSubscribe(whep, LOCAL, [
      source(
        'video',
        { name: 'h264', clockRate: 90000, fmtp: 'profile-level-id=640034;packetization-mode=1' },
        7,
        'v',
      ),
    ]);
    assert.equal(high.tracks[0].codec.payloadType, 112, 'High at any level matches the offered High 64001f');
    assertSdpError(
      () =>
        answerSubscribe(whep, LOCAL, [
          source(
            'video',
            { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=640c1f;packetization-mode=1' },
            7,
            'v',
          ),
        ]),
      'no-common-codec',
      /the source is H264\/90000 \(profile-level-id=640c1f/,
    );
  });

  it('throws no-common-codec for a source the viewer cannot decode', () => {
    const error = assertSdpError(
      () =>
        answerSubscribe(whep, LOCAL, [
          source(
            'video',
            { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=f4001f;packetization-mode=1' },
            7,
            'v',
          ),
        ]),
      'no-common-codec',
    );
    assert.match(error.message, /mid 0 \(audio\): no audio source to send/);
    assert.match(error.message, /mid 1 \(video\): no codec in common \(the source is H264\/90000/);
    assertSdpError(() => answerSubscribe(whep, LOCAL, []), 'no-common-codec');
    assertSdpError(
      () =>
        answerSubscribe(whep, LOCAL, [
          source('video', { name: 'VP9', clockRate: 90000, fmtp: 'profile-id=1' }, 7, 'v'),
        ]),
      'no-common-codec',
    );
  });

  it('answers a screen stream with video only and rejects the audio m-line', () => {
    const screen = [source('video', { name: 'VP9', clockRate: 90000, fmtp: 'profile-id=2' }, 9, 'screen')];
    const { answer, tracks } = answerSubscribe(whep, LOCAL, screen);
    assert.deepEqual(
      tracks.map((track) => [track.mid, track.codec.payloadType]),
      [['1', 100]],
    );
    assert.ok(answer.includes('a=group:BUNDLE 1\r\n'));
    const audio = mediaSectionLines(answer, 0);
    assert.match(audio[0], /^m=audio 0 UDP\/TLS\/RTP\/SAVPF 111 63 9 0 8 13 110 126$/);
    assert.ok(audio.includes('a=mid:0'));
    assert.ok(!audio.some((line) => line.startsWith('a=candidate')));
  });

  it('gives each m-line of a kind the next unused source', () => {
    const offer = (() => {
      const video = whep.slice(whep.indexOf('m=video'));
      return whep.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0 1 2') + video.replace('a=mid:1', 'a=mid:2');
    })();
    const sources = [
      ...CAMERA_SOURCES,
      source('video', { name: 'VP8', clockRate: 90000 }, 0x33333333, 'screen-video'),
      source('video', { name: 'VP8', clockRate: 90000 }, 0x44444444, 'unused'),
    ];
    const { tracks } = answerSubscribe(offer, LOCAL, sources);
    assert.deepEqual(
      tracks.map((track) => [track.mid, track.ssrcs[0], track.msid?.trackId]),
      [
        ['0', 0x11111111, 'camera-audio'],
        ['1', 0x22222222, 'camera-video'],
        ['2', 0x33333333, 'screen-video'],
      ],
    );
  });

  it('accepts sendrecv m-lines and rejects sendonly ones', () => {
    const sendrecv = whep.replaceAll('a=recvonly', 'a=sendrecv');
    assert.equal(answerSubscribe(sendrecv, LOCAL, CAMERA_SOURCES).tracks.length, 2);
    assertSdpError(
      () => answerSubscribe(whep.replaceAll('a=recvonly', 'a=sendonly'), LOCAL, CAMERA_SOURCES),
      'no-common-codec',
      /it is sendonly; a WHEP viewer must receive/,
    );
  });

  it('narrows extensions to the options', () => {
    const { tracks } = answerSubscribe(whep, LOCAL, CAMERA_SOURCES, {
      extensions: ['urn:ietf:params:rtp-hdrext:sdes:mid'],
      rtcpFeedback: ['nack'],
    });
    assert.deepEqual(tracks[1].extensions, [{ id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' }]);
    assert.deepEqual(tracks[1].codec.rtcpFeedback, ['nack']);
  });

  it('refuses a=setup:passive and missing credentials', () => {
    assertSdpError(
      () => answerSubscribe(whep.replaceAll('a=setup:actpass', 'a=setup:passive'), LOCAL, CAMERA_SOURCES),
      'unsupported',
    );
    assertSdpError(
      () => answerSubscribe(whep.replace(/a=ice-pwd:.*\r\n/g, ''), LOCAL, CAMERA_SOURCES),
      'malformed',
      /^offer has no a=ice-pwd$/,
    );
  });

  it('throws RangeError for sources that would inject SDP', () => {
    for (const bad of [
      { cname: 'a b' },
      { streamId: 'x\r\na=evil' },
      { trackId: '' },
      { ssrc: -1 },
      { ssrc: 2 ** 32 },
      { kind: 'text' },
    ]) {
      const sources = [{ ...CAMERA_SOURCES[0], ...bad } as SourceTrack];
      assert.throws(() => answerSubscribe(whep, LOCAL, sources), RangeError, JSON.stringify(bad));
    }
  });

  it('survives a fuzz loop with only SdpError or a parseable answer', () => {
    const random = seededRandom(4242);
    let answered = 0;
    for (let round = 0; round < 800; round++) {
      const lines = whep.split('\r\n');
      for (let m = 0; m < 1 + Math.floor(random() * 3) && lines.length > 0; m++) {
        const at = Math.floor(random() * lines.length);
        const choice = random();
        if (choice < 0.4) lines.splice(at, 1);
        else if (choice < 0.6) lines.splice(at, 0, lines[Math.floor(random() * lines.length)]);
        else if (choice < 0.8) lines[at] = lines[at].replace(/\d+/, String(Math.floor(random() * 70000)));
        else lines[at] = lines[at].slice(0, Math.floor(random() * lines[at].length));
      }
      try {
        parseSdp(answerSubscribe(lines.join('\r\n'), LOCAL, CAMERA_SOURCES).answer);
        answered++;
      } catch (error) {
        assert.ok(error instanceof SdpError, `round ${round}: ${String(error)}`);
      }
    }
    assert.ok(answered > 100, `only ${answered} answers`);
  });
});

describe('answerSubscribe with werift', () => {
  it('is accepted by a werift viewer, which then expects our SSRCs and stream', async () => {
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
    try {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
      const remoteTracks: string[] = [];
      pc.onTrack.subscribe((track) => remoteTracks.push(track.kind));
      await pc.setLocalDescription(await pc.createOffer());
      const { answer, tracks } = answerSubscribe(pc.localDescription!.sdp, LOCAL, CAMERA_SOURCES);
      assert.deepEqual(
        tracks.map((track) => [track.kind, track.codec.name, track.codec.payloadType]),
        [
          ['audio', 'OPUS', 96],
          ['video', 'VP8', 98],
        ],
      );
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      assert.equal(pc.signalingState, 'stable');
      assert.deepEqual(remoteTracks.sort(), ['audio', 'video']);
      const [audio, video] = pc.getTransceivers();
      assert.equal(audio.currentDirection, 'recvonly');
      assert.equal(video.currentDirection, 'recvonly');
      assert.equal(video.receiver.remoteStreamId, 'camera-stream');
      assert.deepEqual(
        video.receiver.tracks.map((track) => track.ssrc),
        [0x22222222],
      );
    } finally {
      await pc.close();
    }
  });

  it('carries a werift-published H264 stream to a werift viewer end to end (publish then subscribe)', async () => {
    const codecs = { audio: [useOPUS()], video: [useH264(), useVP8()] };
    const publisher = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs });
    const viewer = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs });
    try {
      publisher.addTransceiver('audio', { direction: 'sendonly' });
      publisher.addTransceiver('video', { direction: 'sendonly' });
      await publisher.setLocalDescription(await publisher.createOffer());
      const published = answerPublish(publisher.localDescription!.sdp, LOCAL, { videoCodecs: ['H264'] });
      await publisher.setRemoteDescription({ type: 'answer', sdp: published.answer });

      const sources: SourceTrack[] = published.tracks.map((track, index) => ({
        kind: track.kind,
        codec: {
          name: track.codec.name,
          clockRate: track.codec.clockRate,
          channels: track.codec.channels,
          fmtp: track.codec.fmtp,
        },
        ssrc: 1000 + index,
        cname: 'otm',
        streamId: track.msid?.streamId ?? 'stream',
        trackId: track.msid?.trackId ?? `track${index}`,
      }));
      viewer.addTransceiver('audio', { direction: 'recvonly' });
      viewer.addTransceiver('video', { direction: 'recvonly' });
      await viewer.setLocalDescription(await viewer.createOffer());
      const subscribed = answerSubscribe(viewer.localDescription!.sdp, LOCAL, sources);
      assert.equal(subscribed.tracks[1].codec.name, 'H264');
      assert.equal(subscribed.tracks[1].codec.fmtp, published.tracks[1].codec.fmtp);
      await viewer.setRemoteDescription({ type: 'answer', sdp: subscribed.answer });
      assert.equal(viewer.signalingState, 'stable');
    } finally {
      await publisher.close();
      await viewer.close();
    }
  });
});
