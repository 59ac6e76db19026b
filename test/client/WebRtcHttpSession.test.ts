import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { DotmError } from '../../src/client/DotmError.ts';
import type { MediaSessionState } from '../../src/client/WebRtcHttpSession.ts';
import { WhepSession } from '../../src/client/WhepSession.ts';
import type { MediaGrant } from '../../src/protocol/roomSignalling.ts';
import { FakeMediaServer } from './fakes/FakeMediaServer.ts';
import { FakeMediaStream } from './fakes/FakeMediaStream.ts';
import { type FakePeerConnection, fakePeerConnectionClass } from './fakes/FakePeerConnection.ts';
import { flush } from './fakes/flush.ts';

function grant(n: number): MediaGrant {
  return {
    streamId: 'stream-1',
    url: `https://node${n}.test/whep/stream-1`,
    token: `token-${n}`,
    expiresAt: Date.now() + 60_000,
    iceServers: [{ urls: 'stun:stun.test:3478' }],
  };
}

function setUp(
  t: TestContext,
  options: { renew?: () => Promise<MediaGrant>; maxStartAttempts?: number } = {},
) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const server = new FakeMediaServer();
  const { RTCPeerConnection, connections } = fakePeerConnectionClass();
  const renewals: MediaGrant[] = [];
  let next = 2;
  const states: MediaSessionState[] = [];
  const errors: (DotmError | undefined)[] = [];
  const session = new WhepSession({
    grant: grant(1),
    audio: true,
    video: true,
    renewGrant:
      options.renew ??
      (async () => {
        const fresh = grant(next++);
        renewals.push(fresh);
        return fresh;
      }),
    fetch: server.fetch,
    RTCPeerConnection,
    MediaStream: FakeMediaStream as unknown as typeof MediaStream,
    random: () => 0.5,
    maxStartAttempts: options.maxStartAttempts,
    onStateChange: (state, error) => {
      states.push(state);
      errors.push(error);
    },
  });
  t.after(() => session.close());
  const pc = (index = connections.length - 1): FakePeerConnection => connections[index];
  return { session, server, connections, pc, renewals, states, errors };
}

async function rejection(promise: Promise<unknown>): Promise<DotmError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DotmError);
    return error;
  }
  assert.fail('expected a rejection');
}

test('POSTs the offer with the bearer token and applies the 201 answer', async (t) => {
  const { session, server, pc } = setUp(t);
  await session.start();
  const [post] = server.requests;
  assert.equal(post.method, 'POST');
  assert.equal(post.url, 'https://node1.test/whep/stream-1');
  assert.equal(post.headers['content-type'], 'application/sdp');
  assert.equal(post.headers.authorization, 'Bearer token-1');
  assert.equal(post.body, pc().localDescription?.sdp);
  assert.deepEqual(pc().configuration, {
    iceServers: [{ urls: 'stun:stun.test:3478' }],
    bundlePolicy: 'max-bundle',
  });
  assert.match(pc().remoteDescription?.sdp ?? '', /a=ice-lite/);
  assert.equal(pc().remoteDescription?.type, 'answer');
  // Location "resource/1" is relative to the endpoint URL.
  assert.equal(session.resourceUrl, 'https://node1.test/whep/resource/1');
  assert.equal(session.etag, '"r1-0"');
  assert.equal(session.state, 'connecting');
  pc().setIceState('connected');
  assert.equal(session.state, 'connected');
});

test('an absolute or root-relative Location is resolved as such', async (t) => {
  const { session, server } = setUp(t);
  server.override = (request) =>
    request.method === 'POST'
      ? { status: 201, headers: { Location: '/api/whep/abc' }, body: 'v=0\r\nm=video 9 UDP 96\r\n' }
      : undefined;
  await session.start();
  assert.equal(session.resourceUrl, 'https://node1.test/api/whep/abc');
  assert.equal(session.etag, undefined);
});

test('close() DELETEs the resource with the token, surviving page unload', async (t) => {
  const { session, server, pc } = setUp(t);
  await session.start();
  await session.close();
  const [deletion] = server.requestsBy('DELETE');
  assert.equal(deletion.url, 'https://node1.test/whep/resource/1');
  assert.equal(deletion.headers.authorization, 'Bearer token-1');
  assert.equal(deletion.keepalive, true);
  assert.equal(pc().closed, true);
  assert.equal(session.state, 'closed');
});

test('the DELETE goes out before the peer connection closes', async (t) => {
  const { session, server, pc } = setUp(t);
  await session.start();
  let closedWhenDeleted: boolean | undefined;
  server.override = (request) => {
    if (request.method === 'DELETE') closedWhenDeleted = pc().closed;
    return undefined;
  };
  await session.close();
  assert.equal(closedWhenDeleted, false, 'a closed peer connection makes the node drop the resource first');
  assert.equal(pc().closed, true);
});

test('close({ deleteResource: false }) leaves a resource the server already dropped alone', async (t) => {
  const { session, server, pc } = setUp(t);
  await session.start();
  await session.close({ deleteResource: false });
  assert.equal(server.requestsBy('DELETE').length, 0);
  assert.equal(pc().closed, true);
});

test('an error body from the node becomes a DotmError with its code', async (t) => {
  const { session, server, states } = setUp(t, { maxStartAttempts: 1 });
  server.override = () => ({
    status: 403,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ error: { code: 'forbidden', message: 'token expired' } }),
  });
  const error = await rejection(session.start());
  assert.equal(error.code, 'forbidden');
  assert.equal(error.status, 403);
  assert.equal(states.at(-1), 'failed');
});

test('start() retries a refused POST with a fresh grant after a backoff', async (t) => {
  const { session, server, renewals, connections } = setUp(t);
  let posts = 0;
  server.override = (request) => (request.method === 'POST' && ++posts === 1 ? { status: 503 } : undefined);
  const starting = session.start();
  await flush();
  assert.equal(server.requestsBy('POST').length, 1);
  t.mock.timers.tick(500);
  await starting;
  assert.equal(renewals.length, 1);
  assert.equal(server.requestsBy('POST')[1].url, 'https://node2.test/whep/stream-1');
  assert.equal(connections[0].closed, true);
});

test("ICE failure restarts ICE with a PATCH and applies the server's fragment", async (t) => {
  const { session, server, pc, states } = setUp(t);
  await session.start();
  pc().setIceState('connected');
  pc().setIceState('failed');
  await flush();
  assert.deepEqual(pc().offerOptions.at(-1), { iceRestart: true });
  const [patch] = server.requestsBy('PATCH');
  assert.equal(patch.url, 'https://node1.test/whep/resource/1');
  assert.equal(patch.headers['content-type'], 'application/trickle-ice-sdpfrag');
  assert.equal(patch.headers['if-match'], '"r1-0"');
  assert.equal(patch.headers.authorization, 'Bearer token-1');
  const body = patch.body ?? '';
  assert.match(body, new RegExp(`a=ice-ufrag:${pc().ufrag}\r\n`));
  assert.match(body, /a=ice-pwd:\S+\r\n/);
  assert.match(body, /m=audio 9 [^\r]+\r\na=mid:0\r\n/);
  assert.match(body, /m=video 9 [^\r]+\r\na=mid:1\r\n/);

  const restarted = pc().remoteDescription?.sdp ?? '';
  assert.match(restarted, /a=ice-ufrag:srvR1/);
  assert.match(restarted, /a=ice-pwd:serverRestartPassword1xxxxxx/);
  assert.match(restarted, /a=candidate:1 1 udp 2130706431 198\.51\.100\.1 40000 typ host/);
  assert.doesNotMatch(restarted, /srv0/);
  assert.equal(pc().remoteDescriptions.length, 2);
  assert.equal(session.etag, '"restart-1"');
  assert.equal(server.requestsBy('POST').length, 1, 'same resource, no new POST');
  assert.equal(session.state, 'reconnecting');
  pc().setIceState('connected');
  assert.deepEqual(states, ['connecting', 'connected', 'reconnecting', 'connected']);
});

test("ICE 'disconnected' is given 2 s to recover before a restart", async (t) => {
  const { session, server, pc } = setUp(t);
  await session.start();
  pc().setIceState('connected');
  pc().setIceState('disconnected');
  t.mock.timers.tick(1_900);
  pc().setIceState('connected');
  t.mock.timers.tick(5_000);
  await flush();
  assert.equal(server.requestsBy('PATCH').length, 0, 'a blip needs no restart');

  pc().setIceState('disconnected');
  t.mock.timers.tick(1_999);
  await flush();
  assert.equal(server.requestsBy('PATCH').length, 0);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(server.requestsBy('PATCH').length, 1);
});

test('a 405 to the PATCH falls back to a new resource with a fresh grant', async (t) => {
  const { session, server, connections, renewals } = setUp(t);
  await session.start();
  server.override = (request) => (request.method === 'PATCH' ? { status: 405 } : undefined);
  connections[0].setIceState('connected');
  connections[0].setIceState('failed');
  await flush();
  assert.equal(renewals.length, 1);
  const methods = server.requests.map((request) => `${request.method} ${request.url}`);
  assert.deepEqual(methods, [
    'POST https://node1.test/whep/stream-1',
    'PATCH https://node1.test/whep/resource/1',
    'DELETE https://node1.test/whep/resource/1',
    'POST https://node2.test/whep/stream-1',
  ]);
  assert.equal(server.requests[3].headers.authorization, 'Bearer token-2');
  assert.equal(connections.length, 2);
  assert.equal(connections[0].closed, true);
  assert.equal(session.resourceUrl, 'https://node2.test/whep/resource/2');
  connections[1].setIceState('connected');
  assert.equal(session.state, 'connected');
});

test('a PATCH that cannot reach the node falls back to a new resource too', async (t) => {
  const { session, server, connections } = setUp(t);
  await session.start();
  server.override = (request) => {
    if (request.method === 'PATCH' || request.url.startsWith('https://node1'))
      throw new TypeError('fetch failed');
    return undefined;
  };
  connections[0].setIceState('failed');
  await flush();
  assert.equal(server.requestsBy('POST').at(-1)?.url, 'https://node2.test/whep/stream-1');
  assert.equal(connections.length, 2);
});

test('ICE failing again after an answered PATCH starts over on a new resource', async (t) => {
  const { session, server, connections } = setUp(t);
  await session.start();
  connections[0].setIceState('failed');
  await flush();
  assert.equal(server.requestsBy('PATCH').length, 1);
  connections[0].setIceState('failed');
  await flush();
  assert.equal(server.requestsBy('PATCH').length, 1);
  assert.equal(server.requestsBy('POST').length, 2);
});

test('reconnect() (stream moved) skips the PATCH and negotiates a new resource', async (t) => {
  const { session, server, connections, renewals } = setUp(t);
  await session.start();
  connections[0].setIceState('connected');
  await session.reconnect();
  assert.equal(renewals.length, 1);
  assert.equal(server.requestsBy('PATCH').length, 0);
  assert.equal(server.requestsBy('POST')[1].url, 'https://node2.test/whep/stream-1');
  assert.equal(session.state, 'reconnecting');
  connections[1].setIceState('completed');
  assert.equal(session.state, 'connected');
});

test('a moved stream cuts short a PATCH hanging on the lost node', async (t) => {
  const { session, server, connections, renewals } = setUp(t);
  await session.start();
  server.override = (request) => (request.method === 'PATCH' ? new Promise(() => {}) : undefined);
  connections[0].setIceState('failed');
  await flush();
  assert.equal(server.requestsBy('PATCH').length, 1);
  await session.reconnect();
  assert.equal(renewals.length, 1);
  assert.equal(server.requestsBy('POST').at(-1)?.url, 'https://node2.test/whep/stream-1');
  assert.equal(connections.length, 2);
});

test('a recovery keeps retrying with backoff until the node answers', async (t) => {
  const { session, server, renewals } = setUp(t);
  await session.start();
  let refusals = 2;
  server.override = (request) => (request.method === 'POST' && refusals-- > 0 ? { status: 503 } : undefined);
  const recovering = session.reconnect();
  await flush();
  assert.equal(renewals.length, 1);
  t.mock.timers.tick(500);
  await flush();
  assert.equal(renewals.length, 2);
  t.mock.timers.tick(999);
  await flush();
  assert.equal(renewals.length, 2);
  t.mock.timers.tick(1);
  await recovering;
  assert.equal(renewals.length, 3);
  assert.equal(session.resourceUrl?.startsWith('https://node4.test/'), true);
});

test('the controller refusing a new grant for good fails the session', async (t) => {
  const { session, states, errors, connections } = setUp(t, {
    renew: async () => {
      throw new DotmError('not-found', 'no such stream');
    },
  });
  await session.start();
  await session.reconnect();
  assert.equal(session.state, 'failed');
  assert.equal(states.at(-1), 'failed');
  assert.equal(errors.at(-1)?.code, 'not-found');
  await flush();
  assert.equal(connections[0].closed, true);
});

test('ICE that never connects starts over after 15 s', async (t) => {
  const { session, server } = setUp(t);
  await session.start();
  t.mock.timers.tick(14_999);
  await flush();
  assert.equal(server.requestsBy('POST').length, 1);
  t.mock.timers.tick(1);
  await flush();
  assert.equal(server.requestsBy('POST').length, 2);
});

test('a POST that hangs times out after 10 s', async (t) => {
  const { session, server } = setUp(t, { maxStartAttempts: 1 });
  server.override = () => new Promise(() => {});
  const starting = session.start();
  await flush();
  t.mock.timers.tick(10_000);
  assert.equal((await rejection(starting)).code, 'timeout');
});

test('close() during a hanging POST ends start() with closed', async (t) => {
  const { session, server } = setUp(t);
  server.override = () => new Promise(() => {});
  const starting = session.start();
  await flush();
  await session.close();
  assert.equal((await rejection(starting)).code, 'closed');
  assert.equal(session.state, 'closed');
});

test('a moved stream ends a retry wait at once instead of sleeping out the backoff', async (t) => {
  const { session, server, connections } = setUp(t);
  await session.start();
  connections[0].setIceState('connected');
  // The node died: the PATCH and the POSTs of the recovery cannot reach anything yet.
  server.override = (request) => {
    if (!request.url.startsWith('https://node9.test/')) throw new TypeError('fetch failed');
    return undefined;
  };
  connections[0].setIceState('failed');
  await flush();
  const posts = () => server.requestsBy('POST').map((request) => request.url);
  assert.deepEqual(posts().slice(1), ['https://node2.test/whep/stream-1'], 'one failed POST, then a wait');
  // The controller placed the stream again and says where: no timer has to fire for the POST.
  await session.reconnect(grant(9));
  assert.equal(posts().at(-1), 'https://node9.test/whep/stream-1');
  assert.equal(session.resourceUrl?.startsWith('https://node9.test/'), true);
});

test('retryNow() while an attempt is under way lets the next attempt go without a wait', async (t) => {
  const { session, server } = setUp(t);
  await session.start();
  let answer: ((reply: { status: number; body?: string }) => void) | undefined;
  server.override = (request) =>
    request.method === 'POST' && answer === undefined
      ? new Promise((resolve) => {
          answer = resolve;
        })
      : undefined;
  const recovering = session.reconnect();
  await flush();
  assert.equal(server.requestsBy('POST').length, 2);
  // The publisher arrived (streamAdded) while the POST was out; the node answers as of before.
  session.retryNow();
  answer?.({
    status: 409,
    body: JSON.stringify({ error: { code: 'conflict', message: 'the stream has no publisher yet' } }),
  });
  await recovering;
  assert.equal(server.requestsBy('POST').length, 3, 'retried without waiting for a timer');
});

test('a new resource on another node does not wait for the DELETE on the old one', async (t) => {
  const { session, server, connections } = setUp(t);
  await session.start();
  connections[0].setIceState('connected');
  // A crashed host answers nothing: the DELETE would hang until its 2 s timeout.
  server.override = (request) => (request.method === 'DELETE' ? new Promise(() => {}) : undefined);
  await session.reconnect();
  assert.deepEqual(
    server.requests.map((request) => `${request.method} ${request.url}`),
    [
      'POST https://node1.test/whep/stream-1',
      'DELETE https://node1.test/whep/resource/1',
      'POST https://node2.test/whep/stream-1',
    ],
  );
  connections[1].setIceState('connected');
  assert.equal(session.state, 'connected');
  assert.equal(
    connections[0].closed,
    false,
    'closed only after the DELETE, so the node sees a deliberate end',
  );
  t.mock.timers.tick(2_000);
  await flush();
  assert.equal(connections[0].closed, true);
  server.override = undefined;
});

test('a new resource on the same node still waits for the DELETE of the old one', async (t) => {
  const { session, server } = setUp(t, { renew: async () => grant(1) });
  await session.start();
  let answerDelete: ((reply: { status: number }) => void) | undefined;
  server.override = (request) =>
    request.method === 'DELETE' && answerDelete === undefined
      ? new Promise((resolve) => {
          answerDelete = resolve;
        })
      : undefined;
  const recovering = session.reconnect();
  await flush();
  assert.equal(server.requestsBy('POST').length, 1, 'no POST while the DELETE is unanswered');
  answerDelete?.({ status: 200 });
  await recovering;
  assert.equal(server.requestsBy('POST').length, 2);
});
