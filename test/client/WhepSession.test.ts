import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { WhepSession } from '../../src/client/WhepSession.ts';
import type { MediaGrant } from '../../src/protocol/roomSignalling.ts';
import { FakeMediaServer } from './fakes/FakeMediaServer.ts';
import { FakeMediaStream } from './fakes/FakeMediaStream.ts';
import { fakePeerConnectionClass } from './fakes/FakePeerConnection.ts';

function setUp(t: TestContext, kinds: { audio: boolean; video: boolean }) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const server = new FakeMediaServer();
  const { RTCPeerConnection, connections } = fakePeerConnectionClass();
  const streams: FakeMediaStream[] = [];
  let n = 0;
  const grants: MediaGrant[] = [];
  const session = new WhepSession({
    ...kinds,
    // No initial grant: start() asks for one, as DotmClient's subscriptions do.
    renewGrant: async () => {
      n++;
      const grant = {
        streamId: 'cam',
        url: `https://node${n}.test/whep/cam`,
        token: `t${n}`,
        expiresAt: 0,
        iceServers: [],
      };
      grants.push(grant);
      return grant;
    },
    fetch: server.fetch,
    RTCPeerConnection,
    MediaStream: FakeMediaStream as unknown as typeof MediaStream,
    onMediaStream: (stream) => streams.push(stream as unknown as FakeMediaStream),
  });
  t.after(() => session.close());
  return { session, server, connections, streams, grants };
}

test('subscribes with recvonly audio and video and hands out the received tracks', async (t) => {
  const { session, server, connections, streams, grants } = setUp(t, { audio: true, video: true });
  await session.start();
  assert.equal(grants.length, 1);
  assert.equal(server.requestsBy('POST')[0].url, 'https://node1.test/whep/cam');
  const [pc] = connections;
  assert.deepEqual(
    pc.transceivers.map((transceiver) => [transceiver.kind, transceiver.direction]),
    [
      ['audio', 'recvonly'],
      ['video', 'recvonly'],
    ],
  );
  assert.equal(streams.length, 1);
  assert.deepEqual(
    streams[0].getTracks(),
    pc.transceivers.map((transceiver) => transceiver.receiver.track),
  );
  assert.equal(session.mediaStream as unknown, streams[0]);
});

test('a stream without audio (screen share) is received as video only', async (t) => {
  const { session, connections } = setUp(t, { audio: false, video: true });
  await session.start();
  assert.deepEqual(
    connections[0].transceivers.map((transceiver) => transceiver.kind),
    ['video'],
  );
});

test('a new resource (moved stream) hands out a new MediaStream', async (t) => {
  const { session, streams, connections } = setUp(t, { audio: true, video: true });
  await session.start();
  await session.reconnect();
  assert.equal(streams.length, 2);
  assert.notEqual(streams[0], streams[1]);
  assert.equal(streams[1].getVideoTracks()[0], connections[1].transceivers[1].receiver.track);
});
