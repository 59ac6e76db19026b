import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UdpMux } from '../../../src/media/ice/UdpMux.ts';
import { StunClass } from '../../../src/media/stun/constants.ts';
import {
  boundSocket,
  CLIENT_PWD,
  CLIENT_UFRAG,
  closeSocket,
  connectClient,
  RecordingHandler,
  rawCheck,
  rtpLike,
  waitFor,
} from './iceTestKit.ts';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function fastMux(): Promise<UdpMux> {
  const mux = await UdpMux.bind({ listenIp: '127.0.0.1', consentCheckIntervalMs: 50 });
  cleanups.push(() => mux.close());
  return mux;
}

describe('IceEndpoint', () => {
  it('keeps working across an ICE restart', async () => {
    const mux = await fastMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    endpoint.remoteUfrag = CLIENT_UFRAG;
    const received: Buffer[] = [];
    const client = await connectClient(mux, endpoint, {
      onPacket: (buf, len) => received.push(Buffer.from(buf.subarray(0, len))),
    });
    cleanups.push(() => client.close());
    const old = { ufrag: endpoint.localUfrag, pwd: endpoint.localPwd };

    const fresh = endpoint.restart('cl2E');
    assert.notEqual(fresh.ufrag, old.ufrag);
    assert.notEqual(fresh.pwd, old.pwd);
    assert.equal(endpoint.localUfrag, fresh.ufrag);
    assert.equal(endpoint.remoteUfrag, 'cl2E');

    // Until the peer uses the new credentials, the old ones and the old tuple still work.
    client.send(rtpLike(1), 0, 100);
    endpoint.send(rtpLike(2), 0, 100);
    await waitFor(() => handler.packets.length === 1 && received.length === 1, 'traffic right after restart');
    const probe = await boundSocket();
    cleanups.push(() => closeSocket(probe));
    const oldCheck = await rawCheck(probe, mux.localPort, {
      username: `${old.ufrag}:${CLIENT_UFRAG}`,
      pwd: old.pwd,
    });
    assert.equal(oldCheck?.messageClass, StunClass.SuccessResponse);

    await client.restart({
      localUfrag: 'cl2E',
      localPwd: CLIENT_PWD,
      remoteUfrag: fresh.ufrag,
      remotePwd: fresh.pwd,
    });
    assert.equal(endpoint.selectedTuple?.port, client.socket.address().port);
    client.send(rtpLike(3), 0, 100);
    endpoint.send(rtpLike(4), 0, 100);
    await waitFor(() => handler.packets.length === 2 && received.length === 2, 'traffic after restart');
    assert.deepEqual(handler.packets[1], rtpLike(3));
    assert.deepEqual(received[1], rtpLike(4));

    // A check with the new credentials retires the old ones.
    const retired = await rawCheck(
      probe,
      mux.localPort,
      { username: `${old.ufrag}:${CLIENT_UFRAG}`, pwd: old.pwd },
      200,
    );
    assert.equal(retired, undefined);
    assert.equal(handler.disconnected.length, 0);
  });

  it('reports consent-timeout when the client goes quiet, and reconnects on a new check', async () => {
    const mux = await fastMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler, { consentTimeoutMs: 300 });
    const client = await connectClient(mux, endpoint, { consentIntervalMs: [40, 80] });
    cleanups.push(() => client.close());

    await sleep(700); // consent checks keep it alive well past the timeout
    assert.deepEqual(handler.disconnected, []);
    assert.equal(endpoint.state, 'connected');
    const requestsWhileAlive = mux.stats().stunRequests;
    assert.ok(requestsWhileAlive >= 5, `consent checks seen: ${requestsWhileAlive}`);

    client.close();
    const stoppedAt = performance.now();
    await waitFor(() => handler.disconnected.length === 1, 'consent timeout', 2000);
    const elapsed = performance.now() - stoppedAt;
    assert.ok(elapsed >= 250 && elapsed < 1500, `timed out after ${Math.round(elapsed)} ms`);
    assert.deepEqual(handler.disconnected, ['consent-timeout']);
    assert.equal(endpoint.state, 'disconnected');
    assert.equal(endpoint.selectedTuple, undefined);
    assert.equal(mux.stats().tuples, 0);
    endpoint.send(rtpLike(1), 0, 100); // dropped: consent is gone

    await sleep(200);
    assert.equal(handler.disconnected.length, 1, 'reported once');

    const again = await connectClient(mux, endpoint, { consentIntervalMs: [40, 80] });
    cleanups.push(() => again.close());
    assert.equal(endpoint.state, 'connected');
    assert.equal(handler.connected.length, 2);
    again.close();
    endpoint.close();
    assert.deepEqual(handler.disconnected, ['consent-timeout', 'closed']);
  });

  it('counts plain media as liveness too', async () => {
    const mux = await fastMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler, { consentTimeoutMs: 300 });
    const client = await connectClient(mux, endpoint, { consentIntervalMs: [60_000, 60_000] });
    cleanups.push(() => client.close());
    const sender = setInterval(() => client.send(rtpLike(0), 0, 100), 30);
    await sleep(700);
    clearInterval(sender);
    assert.deepEqual(handler.disconnected, []);
    await waitFor(() => handler.disconnected.length === 1, 'consent timeout once media stops');
  });

  it('reports consent-timeout when no peer ever shows up', async () => {
    const mux = await fastMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler, { consentTimeoutMs: 100, connectTimeoutMs: 200 });
    await waitFor(() => handler.disconnected.length === 1, 'connect timeout');
    assert.deepEqual(handler.disconnected, ['consent-timeout']);
    assert.equal(endpoint.state, 'disconnected');
    endpoint.close();
    endpoint.close();
    assert.deepEqual(handler.disconnected, ['consent-timeout', 'closed']);
    assert.throws(() => endpoint.restart(), /closed/);
  });

  it('generates distinct credentials of the required length', async () => {
    const mux = await fastMux();
    const endpoints = Array.from({ length: 500 }, () => mux.createEndpoint(new RecordingHandler()));
    const ufrags = new Set(endpoints.map((endpoint) => endpoint.localUfrag));
    assert.equal(ufrags.size, 500);
    for (const endpoint of endpoints) {
      assert.match(endpoint.localUfrag, /^[A-Za-z0-9]{4,}$/);
      assert.match(endpoint.localPwd, /^[A-Za-z0-9]{22,}$/);
    }
    for (const endpoint of endpoints) endpoint.close();
    assert.equal(mux.stats().endpoints, 0);
  });
});
