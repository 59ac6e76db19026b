import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { WhipSession, type WhipSessionOptions } from '../../src/client/WhipSession.ts';
import type { MediaGrant } from '../../src/protocol/roomSignalling.ts';
import { FakeMediaServer } from './fakes/FakeMediaServer.ts';
import { FakeMediaStreamTrack } from './fakes/FakeMediaStreamTrack.ts';
import { fakePeerConnectionClass } from './fakes/FakePeerConnection.ts';

function grant(n: number): MediaGrant {
  return {
    streamId: 'cam',
    url: `https://node${n}.test/whip/cam`,
    token: `t${n}`,
    expiresAt: 0,
    iceServers: [],
  };
}

function setUp(t: TestContext, options: Partial<WhipSessionOptions>) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const server = new FakeMediaServer();
  const { RTCPeerConnection, connections } = fakePeerConnectionClass();
  let next = 2;
  const session = new WhipSession({
    grant: grant(1),
    audio: true,
    video: true,
    renewGrant: async () => grant(next++),
    fetch: server.fetch,
    RTCPeerConnection,
    ...options,
  });
  t.after(() => session.close());
  return { session, server, connections };
}

const asTrack = (track: FakeMediaStreamTrack) => track as unknown as MediaStreamTrack;

test('publishes with sendonly transceivers, audio first, then video', async (t) => {
  const microphone = new FakeMediaStreamTrack('audio');
  const camera = new FakeMediaStreamTrack('video');
  const { session, server, connections } = setUp(t, {
    audioTrack: asTrack(microphone),
    videoTrack: asTrack(camera),
  });
  await session.start();
  const [pc] = connections;
  assert.deepEqual(
    pc.transceivers.map((transceiver) => [transceiver.kind, transceiver.direction, transceiver.sender.track]),
    [
      ['audio', 'sendonly', microphone],
      ['video', 'sendonly', camera],
    ],
  );
  const offer = server.requestsBy('POST')[0].body ?? '';
  assert.ok(offer.indexOf('m=audio') < offer.indexOf('m=video'));
});

test('a screen share offers video only', async (t) => {
  const screen = new FakeMediaStreamTrack('video');
  const { session, connections } = setUp(t, { audio: false, videoTrack: asTrack(screen) });
  await session.start();
  assert.deepEqual(
    connections[0].transceivers.map((transceiver) => transceiver.kind),
    ['video'],
  );
});

test('replaceTrack swaps the sender track and a new resource starts with the current tracks', async (t) => {
  const microphone = new FakeMediaStreamTrack('audio');
  const camera = new FakeMediaStreamTrack('video');
  const { session, connections } = setUp(t, { audioTrack: asTrack(microphone), videoTrack: asTrack(camera) });
  await session.start();
  await session.replaceTrack('video', null);
  assert.equal(connections[0].transceivers[1].sender.track, null, 'camera off: nothing sent');

  await session.reconnect();
  const [audio, video] = connections[1].transceivers;
  assert.equal(audio.sender.track, microphone);
  assert.equal(video.kind, 'video', 'the video m-line stays for switching the camera back on');
  assert.equal(video.sender.track, null);

  const again = new FakeMediaStreamTrack('video');
  await session.replaceTrack('video', asTrack(again));
  assert.equal(connections[1].transceivers[1].sender.track, again);
});

test('starting over on a new resource does not DELETE the old one: that would end the stream', async (t) => {
  const { session, server, connections } = setUp(t, {
    audioTrack: asTrack(new FakeMediaStreamTrack('audio')),
    videoTrack: asTrack(new FakeMediaStreamTrack('video')),
  });
  await session.start();
  await session.reconnect();
  assert.deepEqual(
    server.requests.map((request) => request.method),
    ['POST', 'POST'],
  );
  assert.equal(connections[0].closed, true);
  await session.close();
  assert.deepEqual(
    server.requestsBy('DELETE').map((request) => request.url),
    ['https://node2.test/whip/resource/2'],
  );
});
