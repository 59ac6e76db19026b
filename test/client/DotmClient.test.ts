import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { DotmClient, type DotmClientEvents, signallingUrl } from '../../src/client/DotmClient.ts';
import { DotmError } from '../../src/client/DotmError.ts';
import type { StorageLike } from '../../src/client/RejoinStore.ts';
import type { MediaStreamConstructor } from '../../src/client/WhepSession.ts';
import { FakeController } from './fakes/FakeController.ts';
import { FakeMediaDevices } from './fakes/FakeMediaDevices.ts';
import { FakeMediaServer } from './fakes/FakeMediaServer.ts';
import { FakeMediaStream } from './fakes/FakeMediaStream.ts';
import type { FakeMediaStreamTrack } from './fakes/FakeMediaStreamTrack.ts';
import { fakePeerConnectionClass } from './fakes/FakePeerConnection.ts';
import { flush } from './fakes/flush.ts';

class MemoryStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

type Recorded = { [K in keyof DotmClientEvents]: [K, ...DotmClientEvents[K]] }[keyof DotmClientEvents];

const EVENT_NAMES: (keyof DotmClientEvents)[] = [
  'connectionState',
  'joined',
  'participantJoined',
  'participantLeft',
  'streamAdded',
  'streamUpdated',
  'streamRemoved',
  'streamStateChanged',
  'chat',
  'localStreamPublished',
  'localStreamUpdated',
  'localStreamUnpublished',
  'localStreamStateChanged',
  'roomClosed',
  'muteRequested',
  'removed',
  'error',
];

function setUp(t: TestContext, storage = new MemoryStorage(), controller = new FakeController()) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const media = new FakeMediaServer();
  const { RTCPeerConnection, connections } = fakePeerConnectionClass();
  const devices = new FakeMediaDevices();
  const client = new DotmClient({
    url: 'https://ctrl.test',
    WebSocket: controller.WebSocket,
    fetch: media.fetch,
    RTCPeerConnection,
    MediaStream: FakeMediaStream as unknown as MediaStreamConstructor,
    mediaDevices: devices,
    storage,
    random: () => 0.5,
    logger: { debug: () => {}, warn: () => {} },
  });
  const events: Recorded[] = [];
  for (const name of EVENT_NAMES) {
    client.on(name, (...args: unknown[]) => events.push([name, ...args] as Recorded));
  }
  const named = <K extends keyof DotmClientEvents>(name: K) =>
    events.filter((event) => event[0] === name).map((event) => event.slice(1) as DotmClientEvents[K]);
  t.after(() => client.leave());
  return { client, controller, media, connections, devices, storage, events, named };
}

test('the socket URL is the controller URL plus /ws, http turned into ws', () => {
  assert.equal(signallingUrl('https://ctrl.test'), 'wss://ctrl.test/ws');
  assert.equal(signallingUrl('http://localhost:8080/'), 'ws://localhost:8080/ws');
  assert.equal(signallingUrl('https://example.org/dotm'), 'wss://example.org/dotm/ws');
});

test('join subscribes to the streams already in the room and announces them with their MediaStream', async (t) => {
  const { client, controller, media, storage, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  const result = await client.join('standup', 'Bob');

  assert.equal(controller.sockets[0].url, 'wss://ctrl.test/ws');
  const [join] = controller.requestsOf('join');
  assert.deepEqual(join, { id: join.id, type: 'join', room: 'standup', name: 'Bob' });
  assert.equal(result.resumed, false);
  assert.deepEqual(
    client.participants.map((participant) => participant.name),
    ['Alice', 'Bob'],
  );
  assert.deepEqual(JSON.parse(storage.getItem('dotm:rejoin:standup') ?? ''), result.rejoin);
  assert.deepEqual(named('connectionState'), [['connecting'], ['connected']]);

  await flush();
  assert.deepEqual(
    controller.requestsOf('subscribe').map((request) => request.streamId),
    [aliceCamera.streamId],
  );
  assert.equal(media.requestsBy('POST')[0].url, `https://node-a.test/whep/${aliceCamera.streamId}`);
  const [[added]] = named('streamAdded');
  assert.equal(added.streamId, aliceCamera.streamId);
  assert.ok(added.mediaStream instanceof FakeMediaStream);
  assert.equal(added.mediaStream.getTracks().length, 2);
  assert.deepEqual(client.streams, [added]);
});

test('never subscribes to its own streams, whatever announces them', async (t) => {
  const storage = new MemoryStorage();
  const controller = new FakeController();
  // A reload: the controller still has this tab's participant and its camera stream.
  const me = controller.addParticipant('Bob');
  const myOldCamera = controller.addStream(me.participantId);
  controller.tickets.set(me.participantId, { participantId: me.participantId, secret: 'secret' });
  storage.setItem(
    'dotm:rejoin:standup',
    JSON.stringify({ participantId: me.participantId, secret: 'secret' }),
  );
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  const { client } = setUp(t, storage, controller);

  const result = await client.join('standup', 'Bob');
  assert.equal(result.resumed, true);
  assert.equal(client.self?.participantId, me.participantId);
  await flush();

  const camera = await client.publishCamera();
  controller.send({ type: 'streamAdded', stream: controller.streams.get(camera.streamId) ?? assert.fail() });
  controller.send({ type: 'streamUpdated', stream: { ...myOldCamera, audioMuted: true } });
  const carol = controller.addParticipant('Carol');
  const carolCamera = controller.addStream(carol.participantId);
  controller.send({ type: 'streamAdded', stream: carolCamera });
  await flush();

  assert.deepEqual(
    controller.requestsOf('subscribe').map((request) => request.streamId),
    [aliceCamera.streamId, carolCamera.streamId],
  );
  assert.deepEqual(client.streams.map((stream) => stream.participantId).sort(), [
    alice.participantId,
    carol.participantId,
  ]);
});

test('after a reload publishCamera takes over the stream the controller kept (same streamId)', async (t) => {
  const storage = new MemoryStorage();
  const controller = new FakeController();
  const me = controller.addParticipant('Bob');
  const myOldCamera = controller.addStream(me.participantId);
  const myOldScreen = controller.addStream(me.participantId, 'screen');
  controller.tickets.set(me.participantId, { participantId: me.participantId, secret: 'secret' });
  storage.setItem(
    'dotm:rejoin:standup',
    JSON.stringify({ participantId: me.participantId, secret: 'secret' }),
  );
  const { client, media } = setUp(t, storage, controller);

  await client.join('standup', 'Bob');
  await flush();
  assert.deepEqual(
    controller.requestsOf('unpublish').map((request) => request.streamId),
    [myOldScreen.streamId],
    'a screen share cannot come back by itself',
  );
  const camera = await client.publishCamera();
  assert.equal(camera.streamId, myOldCamera.streamId);
  assert.deepEqual(
    controller.requestsOf('republish').map((request) => request.streamId),
    [myOldCamera.streamId],
  );
  assert.equal(controller.requestsOf('publish').length, 0);
  assert.equal(media.requestsBy('POST')[0].url, `https://node-a.test/whip/${myOldCamera.streamId}`);
});

test('an own stream nobody takes over after a reload is unpublished after 10 s', async (t) => {
  const storage = new MemoryStorage();
  const controller = new FakeController();
  const me = controller.addParticipant('Bob');
  const myOldCamera = controller.addStream(me.participantId);
  controller.tickets.set(me.participantId, { participantId: me.participantId, secret: 'secret' });
  storage.setItem(
    'dotm:rejoin:standup',
    JSON.stringify({ participantId: me.participantId, secret: 'secret' }),
  );
  const { client } = setUp(t, storage, controller);
  await client.join('standup', 'Bob');
  t.mock.timers.tick(9_999);
  await flush();
  assert.equal(controller.requestsOf('unpublish').length, 0);
  t.mock.timers.tick(1);
  await flush();
  assert.deepEqual(
    controller.requestsOf('unpublish').map((request) => request.streamId),
    [myOldCamera.streamId],
  );
});

test('a dropped socket reconnects, rejoins with the ticket and reconciles streams', async (t) => {
  const { client, controller, media, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  controller.addStream(alice.participantId);
  const aliceScreen = controller.addStream(alice.participantId, 'screen');
  const first = await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  await flush();
  const publishedAs = camera.streamId;

  // While the socket is down: Alice stops sharing, Carol arrives and publishes, and our camera
  // stream got lost on the controller side.
  controller.streams.delete(aliceScreen.streamId);
  const carol = controller.addParticipant('Carol');
  const carolCamera = controller.addStream(carol.participantId);
  controller.streams.delete(publishedAs);
  controller.socket.drop();
  assert.equal(client.connectionState, 'reconnecting');

  t.mock.timers.tick(499);
  assert.equal(controller.sockets.length, 1);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(controller.sockets.length, 2);
  const rejoin = controller.requestsOf('join')[1];
  assert.deepEqual(rejoin.rejoin, first.rejoin);
  assert.equal(client.connectionState, 'connected');

  assert.deepEqual(
    named('streamRemoved').map(([stream]) => stream.streamId),
    [aliceScreen.streamId],
  );
  // The controller closed that OTM with the stream: the subscription ends without a DELETE.
  assert.equal(named('streamRemoved')[0][0].state, 'closed');
  assert.equal(media.requestsBy('DELETE').filter((request) => request.url.includes('/whep/')).length, 0);
  assert.deepEqual(
    named('participantJoined').map(([participant]) => participant.name),
    ['Carol'],
  );
  assert.ok(named('streamAdded').some(([stream]) => stream.streamId === carolCamera.streamId));

  assert.equal(controller.requestsOf('publish').length, 2, 'the lost camera is published anew');
  assert.notEqual(camera.streamId, publishedAs);
  assert.equal(client.camera, camera);
  assert.equal(named('localStreamPublished').length, 2);
  assert.ok(
    media.requestsBy('POST').some((request) => request.url === `https://node-a.test/whip/${camera.streamId}`),
  );
  assert.deepEqual(named('connectionState').slice(-2), [['reconnecting'], ['connected']]);
});

test('an own stream missing from the rejoin list but still known is kept, not published twice', async (t) => {
  const { client, controller, media } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  const streamId = camera.streamId;
  const info = controller.streams.get(streamId) ?? assert.fail();
  // Between two publisher connections (e.g. just moved) a stream is not live, so not listed.
  controller.streams.delete(streamId);
  controller.handlers.republish = (request) => {
    controller.streams.set(streamId, info);
    return controller.grant(String(request.streamId), 'whip');
  };
  controller.socket.drop();
  t.mock.timers.tick(500);
  await flush();
  assert.deepEqual(
    controller.requestsOf('republish').map((request) => request.streamId),
    [streamId],
  );
  assert.equal(controller.requestsOf('publish').length, 1, 'no second camera stream');
  assert.equal(camera.streamId, streamId);
  assert.equal(media.requestsBy('POST').length, 2, 'the session was not connected yet: it started over');
});

test('an own stream that moved while the socket was down is republished on its new node', async (t) => {
  const { client, controller, media, connections, named } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  connections[0].setIceState('connected');
  const streamId = camera.streamId;
  const info = controller.streams.get(streamId) ?? assert.fail();
  // The node died while our socket was down: the stream was placed again and is not live yet, so
  // the rejoin does not list it, and the streamMoved was missed. ICE to the old node looks fine still.
  controller.streams.delete(streamId);
  controller.handlers.republish = (request) => {
    controller.streams.set(streamId, { ...info, nodeId: 'node-b' });
    return controller.grant(String(request.streamId), 'whip');
  };
  controller.socket.drop();
  t.mock.timers.tick(500);
  await flush();
  assert.deepEqual(
    controller.requestsOf('republish').map((request) => request.streamId),
    [streamId],
  );
  assert.equal(media.requestsBy('POST').at(-1)?.url, `https://node-b.test/whip/${streamId}`);
  assert.equal(camera.streamId, streamId);
  assert.equal(controller.requestsOf('publish').length, 1, 'no second camera stream');
  assert.deepEqual(named('error'), []);
});

test('back after the grace period: a new participant, own streams published anew, never subscribed to', async (t) => {
  const { client, controller, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  const oldSelf = client.self?.participantId ?? assert.fail();
  const oldStreamId = camera.streamId;

  // The controller let the old participant go, but its stream lingers a moment longer.
  controller.participants.delete(oldSelf);
  controller.socket.drop();
  t.mock.timers.tick(500);
  await flush();

  const newSelf = client.self?.participantId;
  assert.ok(newSelf && newSelf !== oldSelf);
  assert.equal(named('joined').at(-1)?.[0].resumed, false);
  assert.deepEqual(
    client.participants.map((p) => p.participantId).sort(),
    [alice.participantId, newSelf].sort(),
  );
  assert.deepEqual(named('participantLeft'), [], 'our former self is not someone who left');
  assert.equal(controller.requestsOf('subscribe').length, 0, 'the lingering old stream is ours, not news');
  assert.notEqual(camera.streamId, oldStreamId);
  assert.equal(controller.streams.get(camera.streamId)?.participantId, newSelf);

  const lingering = controller.streams.get(oldStreamId) ?? assert.fail();
  controller.send({ type: 'streamAdded', stream: lingering });
  await flush();
  assert.equal(controller.requestsOf('subscribe').length, 0);
});

test('a moved stream is subscribed again and its new MediaStream announced', async (t) => {
  const { client, controller, media, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await flush();
  const [[remote]] = named('streamAdded');
  const before = remote.mediaStream;

  aliceCamera.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: aliceCamera });
  await flush();
  assert.equal(controller.requestsOf('subscribe').length, 2);
  assert.equal(media.requestsBy('POST').at(-1)?.url, `https://node-b.test/whep/${aliceCamera.streamId}`);
  const updates = named('streamUpdated');
  assert.equal(updates.length, 1);
  assert.equal(updates[0][0], remote);
  assert.equal(updates[0][1], true);
  assert.notEqual(remote.mediaStream, before);
  assert.equal(named('streamAdded').length, 1);
});

test('when its own stream moves, the owner republishes the same tracks', async (t) => {
  const { client, controller, media, connections } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  const info = controller.streams.get(camera.streamId) ?? assert.fail();
  info.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: info });
  await flush();
  assert.deepEqual(
    controller.requestsOf('republish').map((request) => request.streamId),
    [camera.streamId],
  );
  assert.equal(media.requestsBy('POST').at(-1)?.url, `https://node-b.test/whip/${camera.streamId}`);
  const latest = connections.at(-1) ?? assert.fail();
  assert.deepEqual(
    latest.transceivers.map((transceiver) => transceiver.sender.track),
    [camera.audioTrack, camera.videoTrack],
  );
});

test("a moved stream's subscription reports reconnecting, then connected once the new node delivers", async (t) => {
  const { client, controller, connections, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await flush();
  connections[0].setIceState('connected');
  const [[remote]] = named('streamAdded');
  assert.deepEqual(
    named('streamStateChanged').map(([stream, state]) => [stream.streamId, state]),
    [
      [aliceCamera.streamId, 'connecting'],
      [aliceCamera.streamId, 'connected'],
    ],
  );

  aliceCamera.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: { ...aliceCamera, live: false } });
  await flush();
  assert.equal(remote.state, 'reconnecting');
  assert.equal(named('streamStateChanged').at(-1)?.[1], 'reconnecting');
  const moved = connections.at(-1) ?? assert.fail();
  assert.notEqual(moved, connections[0]);
  moved.setIceState('connected');
  await flush();
  // What the page needs to take the "Reconnecting…" badge off the tile again.
  assert.equal(remote.state, 'connected');
  assert.deepEqual(
    named('streamStateChanged').map(([, state]) => state),
    ['connecting', 'connected', 'reconnecting', 'connected'],
  );
  assert.deepEqual(named('streamRemoved'), []);
  assert.deepEqual(named('error'), []);
});

test('a moved subscription refused until the publisher is back retries as soon as streamAdded says so', async (t) => {
  const { client, controller, media, connections, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await flush();
  connections[0].setIceState('connected');
  let publisherBack = false;
  media.override = (request) =>
    request.method === 'POST' && request.url.startsWith('https://node-b.test/') && !publisherBack
      ? {
          status: 409,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: { code: 'conflict', message: 'the stream has no publisher yet' } }),
        }
      : undefined;
  aliceCamera.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: { ...aliceCamera, live: false } });
  await flush();
  const refused = media
    .requestsBy('POST')
    .filter((request) => request.url.startsWith('https://node-b.test/'));
  assert.equal(refused.length, 1);
  // The publisher reached the new OTM: no timer has to fire for the next POST.
  publisherBack = true;
  controller.send({ type: 'streamAdded', stream: { ...aliceCamera, live: true } });
  await flush();
  const posts = media.requestsBy('POST').filter((request) => request.url.startsWith('https://node-b.test/'));
  assert.equal(posts.length, 2);
  connections.at(-1)?.setIceState('connected');
  assert.equal(client.streams[0].state, 'connected');
  assert.equal(named('streamAdded').length, 1, 'the same stream, not a new one');
});

test("the publisher's own moved stream reports reconnecting, then connected", async (t) => {
  const { client, controller, connections, named } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  connections[0].setIceState('connected');
  const info = controller.streams.get(camera.streamId) ?? assert.fail();
  info.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: { ...info, live: false } });
  await flush();
  assert.equal(camera.state, 'reconnecting');
  connections.at(-1)?.setIceState('connected');
  await flush();
  assert.equal(camera.state, 'connected');
  assert.deepEqual(
    named('localStreamStateChanged').map(([stream, state]) => [stream, state]),
    [
      [camera, 'connected'],
      [camera, 'reconnecting'],
      [camera, 'connected'],
    ],
  );
  assert.equal(camera.streamId, info.streamId);
  assert.deepEqual(named('localStreamUnpublished'), []);
  assert.deepEqual(named('error'), []);
});

test('muting toggles the track and tells the others through mediaState', async (t) => {
  const { client, controller } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  await client.setMicrophoneMuted(true);
  assert.equal(camera.audioTrack?.enabled, false);
  assert.equal(camera.videoTrack?.enabled, true);
  await client.setCameraMuted(true);
  assert.equal(camera.videoTrack?.enabled, false);
  assert.deepEqual(
    controller.requestsOf('mediaState').map(({ streamId, audioMuted, videoMuted }) => ({
      streamId,
      audioMuted,
      videoMuted,
    })),
    [
      { streamId: camera.streamId, audioMuted: true, videoMuted: false },
      { streamId: camera.streamId, audioMuted: true, videoMuted: true },
    ],
  );
});

test('a microphone muted before publishing starts muted', async (t) => {
  const { client, controller } = setUp(t);
  await client.join('standup', 'Bob');
  await client.setMicrophoneMuted(true);
  const camera = await client.publishCamera();
  assert.equal(camera.audioTrack?.enabled, false);
  await flush();
  assert.equal(controller.requestsOf('mediaState')[0]?.audioMuted, true);
});

test('switching the camera off releases it; on again captures anew and replaces the track', async (t) => {
  const { client, controller, devices, connections } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  const firstTrack = camera.videoTrack as unknown as FakeMediaStreamTrack;
  const pc = connections[0];

  await client.setCameraEnabled(false);
  assert.equal(firstTrack.stopped, true);
  assert.equal(pc.transceivers[1].sender.track, null);
  assert.equal(camera.videoTrack, null);
  assert.equal(camera.videoMuted, true);
  assert.equal(controller.requestsOf('mediaState').at(-1)?.videoMuted, true);

  await client.setCameraEnabled(true);
  assert.deepEqual(devices.userMediaCalls.at(-1)?.audio, undefined);
  assert.ok(devices.userMediaCalls.at(-1)?.video);
  const secondTrack = camera.videoTrack as unknown as FakeMediaStreamTrack;
  assert.notEqual(secondTrack, firstTrack);
  assert.equal(pc.transceivers[1].sender.track, secondTrack);
  assert.equal(camera.videoMuted, false);
  assert.equal(controller.requestsOf('mediaState').at(-1)?.videoMuted, false);
  assert.equal(controller.requestsOf('publish').length, 1, 'no new publication');
});

test('a shared screen is a second, video-only stream that ends with the browser', async (t) => {
  const { client, controller, connections, named } = setUp(t);
  await client.join('standup', 'Bob');
  const screen = await client.publishScreen();
  assert.equal(screen.kind, 'screen');
  assert.deepEqual(controller.requestsOf('publish')[0], {
    id: controller.requestsOf('publish')[0].id,
    type: 'publish',
    kind: 'screen',
    audio: false,
    video: true,
  });
  assert.deepEqual(
    connections[0].transceivers.map((transceiver) => transceiver.kind),
    ['video'],
  );
  (screen.videoTrack as unknown as FakeMediaStreamTrack).endByBrowser();
  await flush();
  assert.deepEqual(
    controller.requestsOf('unpublish').map((request) => request.streamId),
    [screen.streamId],
  );
  assert.equal(client.screen, undefined);
  assert.deepEqual(named('localStreamUnpublished'), [[screen]]);
});

test('a refused publication rejects with the controller code and releases the devices', async (t) => {
  const { client, controller, devices } = setUp(t);
  controller.handlers.publish = () => {
    throw new DotmError('cluster-full', 'no media node can take another stream');
  };
  await client.join('standup', 'Bob');
  await assert.rejects(client.publishCamera(), (error: unknown) => {
    return error instanceof DotmError && error.code === 'cluster-full';
  });
  assert.ok(devices.tracks.length > 0);
  assert.ok(devices.tracks.every((track) => track.stopped));
  assert.equal(client.camera, undefined);
});

test('chat messages are announced once even when the controller echoes them', async (t) => {
  const { client, controller, named } = setUp(t);
  await client.join('standup', 'Bob');
  const sent = await client.sendChat('  hello  ');
  assert.equal(controller.requestsOf('chat')[0].text, 'hello');
  controller.send({ type: 'chat', message: sent });
  controller.send({
    type: 'chat',
    message: { messageId: 'other', participantId: 'p9', name: 'Alice', text: 'hi', sentAt: 2 },
  });
  assert.deepEqual(
    named('chat').map(([message]) => message.text),
    ['hello', 'hi'],
  );
  assert.deepEqual(
    client.chatHistory.map((message) => message.messageId),
    [sent.messageId, 'other'],
  );
});

test('a participant leaving takes their streams along', async (t) => {
  const { client, controller, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await flush();
  controller.send({ type: 'participantLeft', participantId: alice.participantId, reason: 'timeout' });
  assert.deepEqual(
    named('streamRemoved').map(([stream]) => stream.streamId),
    [aliceCamera.streamId],
  );
  assert.equal(named('participantLeft')[0][0], alice.participantId);
  assert.equal(named('participantLeft')[0][1], 'timeout');
  assert.deepEqual(client.streams, []);
});

test('roomClosed leaves and is announced', async (t) => {
  const { client, controller, media, storage, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await client.publishCamera();
  await flush();
  controller.send({ type: 'roomClosed', reason: 'moderator ended the meeting' });
  await flush();
  assert.deepEqual(named('roomClosed'), [['moderator ended the meeting']]);
  assert.equal(client.connectionState, 'disconnected');
  assert.equal(media.requestsBy('DELETE').length, 2);
  assert.equal(storage.getItem('dotm:rejoin:standup'), null);
  assert.equal(controller.socket.closed, true);
});

test('leave DELETEs every resource, tells the controller and releases the devices', async (t) => {
  const { client, controller, media, devices, storage } = setUp(t);
  const alice = controller.addParticipant('Alice');
  controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await client.publishCamera();
  await flush();
  let deletesBeforeLeave = -1;
  controller.handlers.leave = () => {
    deletesBeforeLeave = media.requestsBy('DELETE').length;
    return {};
  };
  await client.leave();
  assert.equal(controller.requestsOf('leave').length, 1);
  assert.equal(deletesBeforeLeave, 2, 'resources go before the membership');
  assert.equal(media.requestsBy('DELETE').length, 2);
  assert.ok(devices.tracks.every((track) => track.stopped));
  assert.equal(storage.getItem('dotm:rejoin:standup'), null);
  assert.equal(client.connectionState, 'disconnected');
  assert.deepEqual(client.participants, []);
});

test("the room's reaction to leaving (our streams removed) is not reported as news", async (t) => {
  const { client, controller, media, named } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  media.override = (request) => {
    // The node tells the controller, which removes the stream while we are still leaving.
    if (request.method === 'DELETE') controller.send({ type: 'streamRemoved', streamId: camera.streamId });
    return undefined;
  };
  await client.leave();
  assert.deepEqual(named('error'), []);
  assert.deepEqual(named('localStreamUnpublished'), []);
});

// ── moderation (issue 5) ──────────────────────────────────────────────────────────────

test('a moderator mutes, removes and ends through the controller', async (t) => {
  const { client, controller } = setUp(t);
  const alice = controller.addParticipant('Alice');
  await client.join('standup', 'Bob');
  assert.equal(client.isModerator, true);
  await client.muteParticipant(alice.participantId);
  await client.muteParticipant(alice.participantId, { video: true });
  await client.removeParticipant(alice.participantId);
  await client.endMeeting();
  assert.deepEqual(
    controller.requests
      .filter((r) => ['muteParticipant', 'removeParticipant', 'endMeeting'].includes(r.type))
      .map(({ id: _id, ...rest }) => rest),
    [
      { type: 'muteParticipant', participantId: alice.participantId, audio: true },
      { type: 'muteParticipant', participantId: alice.participantId, video: true },
      { type: 'removeParticipant', participantId: alice.participantId },
      { type: 'endMeeting' },
    ],
  );
});

test("a viewer's moderation request rejects with the controller's forbidden", async (t) => {
  const { client, controller } = setUp(t);
  controller.handlers.join = (request) => {
    return {
      room: String(request.room),
      self: { participantId: 'v1', name: 'Vic', role: 'viewer', joinedAt: 1 },
      rejoin: { participantId: 'v1', secret: 's' },
      participants: [],
      streams: [],
      chat: [],
      resumed: false,
    };
  };
  controller.handlers.endMeeting = () => {
    throw new DotmError('forbidden', 'only a moderator can end the meeting');
  };
  await client.join('standup', 'Vic');
  assert.equal(client.isModerator, false);
  await assert.rejects(client.endMeeting(), (error: unknown) => {
    assert.ok(error instanceof DotmError);
    assert.equal(error.code, 'forbidden');
    return true;
  });
});

test('muteRequested mutes the microphone and camera as asked, tells the room, and the user may unmute', async (t) => {
  const { client, controller, named } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  controller.send({ type: 'muteRequested', by: 'p-mod', audio: true, video: false });
  await flush();
  assert.deepEqual(named('muteRequested'), [['p-mod', { audio: true, video: false }]]);
  assert.equal(client.microphoneMuted, true);
  assert.equal(client.cameraMuted, false);
  assert.equal(camera.audioTrack?.enabled, false);
  assert.equal(camera.videoTrack?.enabled, true);
  controller.send({ type: 'muteRequested', by: 'p-mod', audio: false, video: true });
  await flush();
  assert.equal(camera.videoTrack?.enabled, false);
  await client.setMicrophoneMuted(false);
  assert.equal(camera.audioTrack?.enabled, true);
  assert.deepEqual(
    controller.requestsOf('mediaState').map(({ audioMuted, videoMuted }) => [audioMuted, videoMuted]),
    [
      [true, false],
      [true, true],
      [false, true],
    ],
  );
});

test('removed is announced, then the client leaves for good and forgets its ticket', async (t) => {
  const { client, controller, media, storage, named } = setUp(t);
  await client.join('standup', 'Bob');
  await client.publishCamera();
  await flush();
  controller.send({ type: 'removed', by: 'p-mod' });
  await flush();
  assert.deepEqual(named('removed'), [['p-mod']]);
  assert.deepEqual(
    named('error').map(([error]) => error.code),
    ['removed'],
  );
  assert.equal(client.connectionState, 'disconnected');
  assert.equal(media.requestsBy('DELETE').length, 1);
  assert.equal(storage.getItem('dotm:rejoin:standup'), null);
  assert.equal(controller.socket.closed, true);
  t.mock.timers.tick(60_000);
  await flush();
  assert.equal(controller.sockets.length, 1, 'no reconnect');
});

// ── drain: make-before-break migration ─────────────────────────────────────────────

test('a migrated stream is subscribed on its new node first; the old subscription closes once the new one has media', async (t) => {
  const { client, controller, media, connections, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await flush();
  const old = connections[0] ?? assert.fail();
  old.setIceState('connected');
  const [[remote]] = named('streamAdded');
  const playing = remote.mediaStream ?? assert.fail();
  const oldTracks = playing.getTracks();

  aliceCamera.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: { ...aliceCamera, live: true } });
  await flush();
  const fresh = connections.at(-1) ?? assert.fail();
  assert.notEqual(fresh, old);
  assert.equal(media.requestsBy('POST').at(-1)?.url, `https://node-b.test/whep/${aliceCamera.streamId}`);
  // Make before break: the old subscription still plays, nothing is announced yet.
  assert.equal(old.closed, false);
  assert.deepEqual(media.requestsBy('DELETE'), []);
  assert.equal(remote.state, 'connected');
  const video = fresh.transceivers.find((x) => x.kind === 'video')!.receiver.track;
  Object.assign(video, { muted: true });

  fresh.setIceState('connected');
  await flush();
  assert.equal(old.closed, false, 'connected, but no media yet: the old one keeps playing');
  Object.assign(video, { muted: false });
  video.dispatchEvent(new Event('unmute'));
  await flush();
  assert.equal(old.closed, true);
  assert.ok(media.requestsBy('DELETE').some((r) => r.url.startsWith('https://node-a.test/')));
  // One continuous stream for the app: the same MediaStream, now with the new node's tracks.
  assert.equal(remote.mediaStream, playing);
  assert.deepEqual(
    playing.getTracks(),
    fresh.transceivers.map((x) => x.receiver.track),
  );
  assert.ok(oldTracks.every((track) => !playing.getTracks().includes(track)));
  assert.equal(remote.session?.peerConnection, fresh as unknown as RTCPeerConnection);
  assert.deepEqual(named('streamUpdated'), []);
  assert.deepEqual(
    named('streamStateChanged').map(([, state]) => state),
    ['connecting', 'connected'],
  );
  assert.equal(named('streamAdded').length, 1);
});

test('a migrating publisher publishes to the new node beside the old one, switches on streamMoved, closes the old on streamMigrated', async (t) => {
  const { client, controller, media, connections, named } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  const old = connections[0] ?? assert.fail();
  old.setIceState('connected');
  const oldSession = camera.session;
  const info = controller.streams.get(camera.streamId) ?? assert.fail();
  controller.send({
    type: 'streamMigrating',
    streamId: camera.streamId,
    grant: {
      streamId: camera.streamId,
      url: `https://node-b.test/whip/${camera.streamId}`,
      token: 'whip-migrating',
      expiresAt: Date.now() + 60_000,
      iceServers: [],
    },
  });
  await flush();
  const fresh = connections.at(-1) ?? assert.fail();
  assert.notEqual(fresh, old);
  assert.equal(media.requestsBy('POST').at(-1)?.url, `https://node-b.test/whip/${camera.streamId}`);
  assert.deepEqual(
    fresh.transceivers.map((x) => x.sender.track),
    [camera.audioTrack, camera.videoTrack],
    'the same tracks feed both connections',
  );
  assert.equal(camera.session, oldSession);
  fresh.setIceState('connected');

  controller.send({ type: 'streamMoved', stream: { ...info, nodeId: 'node-b', live: true } });
  await flush();
  assert.notEqual(camera.session, oldSession);
  assert.equal(camera.session?.peerConnection, fresh as unknown as RTCPeerConnection);
  assert.equal(old.closed, false, 'the old node still forwards to subscribers that have not switched');
  assert.deepEqual(controller.requestsOf('republish'), []);

  controller.send({ type: 'streamMigrated', streamId: camera.streamId });
  await flush();
  assert.equal(old.closed, true);
  assert.ok(media.requestsBy('DELETE').some((r) => r.url.startsWith('https://node-a.test/')));
  assert.equal(camera.state, 'connected');
  assert.deepEqual(named('localStreamUnpublished'), []);
  assert.deepEqual(named('error'), []);
});

test('a publisher whose migration did not connect republishes when the stream moves without it', async (t) => {
  const { client, controller, media, connections } = setUp(t);
  await client.join('standup', 'Bob');
  const camera = await client.publishCamera();
  connections[0]?.setIceState('connected');
  const info = controller.streams.get(camera.streamId) ?? assert.fail();
  controller.send({
    type: 'streamMigrating',
    streamId: camera.streamId,
    grant: {
      ...controller.grant(camera.streamId, 'whip'),
      url: `https://node-b.test/whip/${camera.streamId}`,
    },
  });
  await flush();
  const migration = connections.at(-1) ?? assert.fail();
  info.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: { ...info, live: false } });
  await flush();
  assert.equal(migration.closed, true);
  assert.deepEqual(
    controller.requestsOf('republish').map((r) => r.streamId),
    [camera.streamId],
  );
  assert.equal(media.requestsBy('POST').at(-1)?.url, `https://node-b.test/whip/${camera.streamId}`);
});

test('a migrated subscription whose connection is up before its answer is applied still swaps tracks in place', async (t) => {
  const { client, controller, media, connections, named } = setUp(t);
  const alice = controller.addParticipant('Alice');
  const aliceCamera = controller.addStream(alice.participantId);
  await client.join('standup', 'Bob');
  await flush();
  connections[0]?.setIceState('connected');
  const [[remote]] = named('streamAdded');
  const playing = remote.mediaStream ?? assert.fail();
  // As Chromium may, under load: the connection reports up before the answer's promise resolves.
  media.override = (request) => {
    if (request.method === 'POST' && request.url.startsWith('https://node-b.test/'))
      connections.at(-1)?.setIceState('connected');
    return undefined;
  };
  aliceCamera.nodeId = 'node-b';
  controller.send({ type: 'streamMoved', stream: { ...aliceCamera, live: true } });
  await flush();
  const fresh = connections.at(-1) ?? assert.fail();
  assert.equal(connections[0]?.closed, true);
  assert.equal(remote.mediaStream, playing);
  assert.deepEqual(
    playing.getTracks(),
    fresh.transceivers.map((x) => x.receiver.track),
  );
  assert.deepEqual(named('streamUpdated'), []);
});

// ── a portal meeting's welcome and logout URL ──────────────────────────────────────

test("a portal meeting's welcome and logout URL are client.meeting, kept over a resumed rejoin and after the meeting ends", async (t) => {
  const { client, controller, storage, named } = setUp(t);
  const welcome = 'Welcome! <img src=x onerror="alert(1)"> is text here';
  controller.admitted = { welcome, logoutUrl: 'https://lms.example/course/7' };
  assert.equal(client.meeting?.welcome, undefined, 'nothing before joining');
  const result = await client.join('standup', 'Bob', { joinToken: 'invitation' });
  assert.equal(result.welcome, welcome);
  assert.deepEqual(client.meeting, { welcome, logoutUrl: 'https://lms.example/course/7' });
  assert.deepEqual(named('joined').length, 1);
  assert.deepEqual(JSON.parse(storage.getItem('dotm:rejoin:standup') ?? '').meeting, client.meeting);

  // The socket drops; the resumed join is not admitted again and says nothing of the meeting.
  controller.socket.drop();
  t.mock.timers.tick(500);
  await flush();
  const [, rejoin] = controller.requestsOf('join');
  assert.ok(rejoin?.rejoin, 'rejoined with the ticket');
  assert.equal(client.connectionState, 'connected');
  assert.equal(named('joined').length, 2);
  assert.equal(named('joined')[1]![0].resumed, true);
  assert.equal(named('joined')[1]![0].logoutUrl, undefined);
  assert.deepEqual(client.meeting, { welcome, logoutUrl: 'https://lms.example/course/7' }, 'kept');

  // Ended: the page still needs to know where to send the person.
  controller.send({ type: 'roomClosed', reason: 'ended by a moderator' });
  await flush();
  assert.equal(client.connectionState, 'disconnected');
  assert.equal(client.meeting?.logoutUrl, 'https://lms.example/course/7');
  assert.equal(storage.getItem('dotm:rejoin:standup'), null, 'forgotten with the ticket');

  // The next join starts clean: a room no portal runs has no details.
  controller.admitted = {};
  await client.join('open-room', 'Bob');
  assert.equal(client.meeting, undefined);
});

test('after a reload the resumed join takes the details from the rejoin store, checked again', async (t) => {
  const storage = new MemoryStorage();
  const controller = new FakeController();
  const me = controller.addParticipant('Bob');
  controller.tickets.set(me.participantId, { participantId: me.participantId, secret: 'secret' });
  storage.setItem(
    'dotm:rejoin:standup',
    JSON.stringify({
      participantId: me.participantId,
      secret: 'secret',
      meeting: { welcome: 'Hello again', logoutUrl: 'https://lms.example/back' },
    }),
  );
  const { client } = setUp(t, storage, controller);
  const result = await client.join('standup', 'Bob');
  assert.equal(result.resumed, true);
  assert.deepEqual(client.meeting, { welcome: 'Hello again', logoutUrl: 'https://lms.example/back' });
  await client.leave();
  assert.equal(client.meeting?.welcome, 'Hello again', 'still readable after leave()');

  // Storage is this tab's, but nothing that is not http(s) is ever taken from it for location.
  storage.setItem(
    'dotm:rejoin:standup',
    JSON.stringify({
      participantId: me.participantId,
      secret: 'secret-p1',
      meeting: { welcome: 'Hi', logoutUrl: 'javascript:alert(1)' },
    }),
  );
  controller.tickets.set(me.participantId, { participantId: me.participantId, secret: 'secret-p1' });
  controller.participants.set(me.participantId, me);
  assert.equal((await client.join('standup', 'Bob')).resumed, true);
  assert.deepEqual(client.meeting, { welcome: 'Hi' });
});

test('a logout URL that is not an absolute http(s) URL never reaches client.meeting', async (t) => {
  const { client, controller } = setUp(t);
  controller.admitted = { welcome: 'Hi', logoutUrl: 'javascript:alert(document.cookie)' };
  await client.join('standup', 'Bob');
  assert.deepEqual(client.meeting, { welcome: 'Hi' });
  await client.leave();
  for (const logoutUrl of ['data:text/html,<b>x</b>', '/relative', 'ftp://files.example/']) {
    controller.admitted = { logoutUrl };
    await client.join('standup', 'Bob');
    assert.equal(client.meeting, undefined, logoutUrl);
    await client.leave();
  }
});

// ── a portal meeting's lock settings ───────────────────────────────────────────────

test('a viewer whose camera is locked publishes the microphone alone, without opening the camera', async (t) => {
  const { client, controller, devices } = setUp(t);
  controller.locks = { camera: true, microphone: false };
  await client.join('class', 'Vic');
  assert.deepEqual(client.self?.locks, { camera: true, microphone: false });
  const camera = await client.publishCamera();
  assert.equal(camera.hasVideo, false);
  assert.equal(camera.hasAudio, true);
  const [request] = controller.requestsOf('publish');
  assert.equal(request?.video, false, 'the controller is not asked for a locked camera');
  assert.equal(devices.userMediaCalls.at(-1)?.video, false, 'the camera is not even opened');
});

test('with camera and microphone locked, publishCamera says why and asks nothing of the controller', async (t) => {
  const { client, controller } = setUp(t);
  controller.locks = { camera: true, microphone: true };
  await client.join('class', 'Mo');
  await assert.rejects(client.publishCamera(), { code: 'forbidden', message: /locked for viewers/ });
  assert.equal(controller.requestsOf('publish').length, 0);
});
