import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { DotmError } from '../../src/client/DotmError.ts';
import {
  type SendRequest,
  SignallingChannel,
  type SignallingChannelOptions,
  type SignallingState,
} from '../../src/client/SignallingChannel.ts';
import { type FakeWebSocket, fakeWebSocketClass } from './fakes/FakeWebSocket.ts';
import { flush } from './fakes/flush.ts';

const URL = 'ws://controller.test/ws';

async function connected(
  t: TestContext,
  options: Partial<SignallingChannelOptions> = {},
): Promise<{ channel: SignallingChannel; sockets: FakeWebSocket[]; states: SignallingState[] }> {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { WebSocket, sockets } = fakeWebSocketClass();
  // random() = 0.5 makes the jitter factor exactly 1: delays are the plain doubling sequence.
  const channel = new SignallingChannel({ url: URL, WebSocket, random: () => 0.5, ...options });
  const states: SignallingState[] = [];
  channel.on('state', (state) => states.push(state));
  const connecting = channel.connect();
  sockets[0].open();
  await connecting;
  t.after(() => channel.close());
  return { channel, sockets, states };
}

async function rejection(promise: Promise<unknown>): Promise<DotmError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DotmError, `expected a DotmError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

test('answers are matched to requests by id, whatever their order', async (t) => {
  const { channel, sockets } = await connected(t);
  const socket = sockets[0];
  assert.equal(socket.url, URL);
  const chat = channel.request('chat', { text: 'hello' });
  const ping = channel.request('ping', {});
  const [chatRequest, pingRequest] = socket.sent;
  assert.deepEqual(chatRequest, { id: chatRequest.id, type: 'chat', text: 'hello' });
  assert.equal(pingRequest.type, 'ping');
  assert.notEqual(chatRequest.id, pingRequest.id);

  socket.respond(pingRequest.id, { now: 42 });
  socket.respond(chatRequest.id, {
    messageId: 'm1',
    participantId: 'p1',
    name: 'Ann',
    text: 'hello',
    sentAt: 1,
  });
  assert.deepEqual(await ping, { now: 42 });
  assert.equal((await chat).messageId, 'm1');
});

test('an error response rejects with a DotmError carrying the controller code', async (t) => {
  const { channel, sockets } = await connected(t);
  const publishing = channel.request('publish', { kind: 'camera', audio: true, video: true });
  sockets[0].respondError(sockets[0].lastSent('publish')?.id, 'cluster-full', 'no node has room');
  const error = await rejection(publishing);
  assert.equal(error.code, 'cluster-full');
  assert.equal(error.message, 'no node has room');
});

test('room events are emitted, responses without a pending request and garbage are ignored', async (t) => {
  const { channel, sockets } = await connected(t);
  const events: unknown[] = [];
  channel.on('event', (event) => events.push(event));
  sockets[0].respond(999, {});
  sockets[0].onmessage?.({ data: 'not json' } as MessageEvent);
  sockets[0].receive({ type: 'streamRemoved', streamId: 's1' });
  assert.deepEqual(events, [{ type: 'streamRemoved', streamId: 's1' }]);
});

test('a request unanswered for 10 s rejects with timeout; a late answer is ignored', async (t) => {
  const { channel, sockets } = await connected(t);
  const subscribing = channel.request('subscribe', { streamId: 's1' });
  let settled = false;
  subscribing.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  t.mock.timers.tick(9_999);
  await flush();
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  const error = await rejection(subscribing);
  assert.equal(error.code, 'timeout');
  sockets[0].respond(sockets[0].lastSent('subscribe')?.id, {});
});

test('pings every 10 s while connected', async (t) => {
  const { sockets } = await connected(t);
  const socket = sockets[0];
  assert.equal(socket.sent.length, 0);
  t.mock.timers.tick(10_000);
  assert.equal(socket.lastSent()?.type, 'ping');
  socket.respond(socket.lastSent()?.id, { now: 1 });
  await flush();
  t.mock.timers.tick(10_000);
  assert.equal(socket.sent.filter((message) => message.type === 'ping').length, 2);
});

test('an unanswered ping drops the socket and reconnects', async (t) => {
  const { sockets, states } = await connected(t);
  t.mock.timers.tick(10_000);
  t.mock.timers.tick(10_000);
  await flush();
  assert.equal(sockets[0].closed, true);
  assert.equal(states.at(-1), 'reconnecting');
  t.mock.timers.tick(500);
  assert.equal(sockets.length, 2);
});

test('after a drop: in-flight requests fail, reconnects back off 0.5 s doubling to 8 s', async (t) => {
  const { channel, sockets, states } = await connected(t);
  const inFlight = channel.request('chat', { text: 'lost' });
  sockets[0].drop();
  assert.equal((await rejection(inFlight)).code, 'disconnected');
  assert.equal(states.at(-1), 'reconnecting');

  const expectedDelays = [500, 1_000, 2_000, 4_000, 8_000, 8_000];
  for (const [attempt, delay] of expectedDelays.entries()) {
    const before = sockets.length;
    t.mock.timers.tick(delay - 1);
    assert.equal(sockets.length, before, `attempt ${attempt} came early`);
    t.mock.timers.tick(1);
    assert.equal(sockets.length, before + 1, `attempt ${attempt} did not come after ${delay} ms`);
    sockets[sockets.length - 1].drop(); // refused before opening
  }
  assert.equal(channel.state, 'reconnecting');
});

test('a controller handing the room over (close 1012) is followed at once, not after the backoff', async (t) => {
  const { sockets } = await connected(t, { random: () => 0.5 });
  sockets[0].drop(1012);
  t.mock.timers.tick(49);
  assert.equal(sockets.length, 1, 'a little jitter first (up to 100 ms), so a room does not stampede');
  t.mock.timers.tick(1);
  assert.equal(sockets.length, 2, 'reconnected after 50 ms instead of 500');
  // Should that attempt fail, the ordinary backoff takes over.
  sockets[1].drop();
  t.mock.timers.tick(499);
  assert.equal(sockets.length, 2);
  t.mock.timers.tick(1);
  assert.equal(sockets.length, 3);
});

test('jitter spreads the reconnect delay within ±20 %', async (t) => {
  const { sockets } = await connected(t, { random: () => 0 });
  sockets[0].drop();
  t.mock.timers.tick(499);
  assert.equal(sockets.length, 1, 'never earlier than the initial 0.5 s');
  t.mock.timers.tick(1);
  assert.equal(sockets.length, 2);
  sockets[1].drop();
  t.mock.timers.tick(799);
  assert.equal(sockets.length, 2);
  t.mock.timers.tick(1);
  assert.equal(sockets.length, 3, '1 s × 0.8');
});

test('the reconnect hook rejoins with the ticket before queued requests go out', async (t) => {
  const ticket = { participantId: 'p1', secret: 'shh' };
  const hookCalls: number[] = [];
  const { channel, sockets, states } = await connected(t, {
    onReconnect: async (send: SendRequest) => {
      hookCalls.push(sockets.length);
      await send('join', { room: 'r', name: 'Ann', rejoin: ticket });
    },
  });
  sockets[0].drop();
  const queued = channel.request('chat', { text: 'while away' });
  t.mock.timers.tick(500);
  const second = sockets[1];
  second.open();
  await flush();
  assert.deepEqual(hookCalls, [2]);
  assert.deepEqual(
    second.sent.map((message) => message.type),
    ['join'],
    'nothing but the rejoin before it is answered',
  );
  assert.deepEqual(second.sent[0].rejoin, ticket);
  second.respond(second.sent[0].id, { resumed: true });
  await flush();
  assert.equal(channel.state, 'open');
  assert.deepEqual(states, ['connecting', 'open', 'reconnecting', 'open']);
  const chat = second.lastSent('chat');
  assert.equal(chat?.text, 'while away');
  second.respond(chat?.id, { messageId: 'm2' });
  assert.equal(((await queued) as { messageId: string }).messageId, 'm2');
});

test('a failed rejoin drops the socket and tries again with backoff', async (t) => {
  let attempts = 0;
  const { channel, sockets } = await connected(t, {
    onReconnect: async (send: SendRequest) => {
      attempts++;
      await send('join', { room: 'r', name: 'Ann' });
    },
  });
  sockets[0].drop();
  t.mock.timers.tick(500);
  sockets[1].open();
  await flush();
  sockets[1].respondError(sockets[1].lastSent('join')?.id, 'internal', 'try later');
  await flush();
  assert.equal(sockets[1].closed, true);
  assert.equal(channel.state, 'reconnecting');
  t.mock.timers.tick(1_000);
  sockets[2].open();
  await flush();
  assert.equal(attempts, 2);
  sockets[2].respond(sockets[2].lastSent('join')?.id, {});
  await flush();
  assert.equal(channel.state, 'open');
});

test('a hook that closes the channel stops the reconnecting', async (t) => {
  const { channel, sockets } = await connected(t, {
    onReconnect: async () => {
      channel.close();
      throw new DotmError('not-found', 'room is gone');
    },
  });
  sockets[0].drop();
  t.mock.timers.tick(500);
  sockets[1].open();
  await flush();
  assert.equal(channel.state, 'closed');
  t.mock.timers.tick(60_000);
  assert.equal(sockets.length, 2);
});

test('a request still queued when its 10 s run out rejects with timeout', async (t) => {
  const { channel, sockets } = await connected(t);
  sockets[0].drop();
  const queued = channel.request('mediaState', { streamId: 's', audioMuted: true, videoMuted: false });
  t.mock.timers.tick(10_000);
  assert.equal((await rejection(queued)).code, 'timeout');
});

test('close() rejects pending requests and never reconnects', async (t) => {
  const { channel, sockets, states } = await connected(t);
  const pending = channel.request('ping', {});
  channel.close();
  assert.equal((await rejection(pending)).code, 'closed');
  assert.equal(sockets[0].closed, true);
  assert.equal(sockets[0].closeCode, 1000);
  assert.equal(states.at(-1), 'closed');
  t.mock.timers.tick(60_000);
  assert.equal(sockets.length, 1);
  assert.equal((await rejection(channel.request('ping', {}))).code, 'closed');
});

test('a first connection that fails rejects connect() and closes the channel', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { WebSocket, sockets } = fakeWebSocketClass();
  const channel = new SignallingChannel({ url: URL, WebSocket });
  const connecting = channel.connect();
  sockets[0].drop(1006);
  assert.equal((await rejection(connecting)).code, 'network');
  assert.equal(channel.state, 'closed');
  t.mock.timers.tick(60_000);
  assert.equal(sockets.length, 1);
});

test('a first connection that never opens times out', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { WebSocket, sockets } = fakeWebSocketClass();
  const channel = new SignallingChannel({ url: URL, WebSocket });
  const connecting = channel.connect();
  t.mock.timers.tick(10_000);
  assert.equal((await rejection(connecting)).code, 'timeout');
  assert.equal(sockets[0].closed, true);
});
