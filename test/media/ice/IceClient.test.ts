import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { IceClient } from '../../../src/media/ice/IceClient.ts';
import { UdpMux } from '../../../src/media/ice/UdpMux.ts';
import { StunClass, StunMethod } from '../../../src/media/stun/constants.ts';
import { StunMessage } from '../../../src/media/stun/StunMessage.ts';
import {
  boundSocket,
  closeSocket,
  connectClient,
  RecordingHandler,
  rawCheck,
  waitFor,
} from './iceTestKit.ts';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('IceClient', () => {
  it('retransmits the same transaction until the server answers', async () => {
    const server = await boundSocket();
    cleanups.push(() => closeSocket(server));
    const serverPwd = 'server-password-of-24ch';
    const seen: { transactionId: string; atMs: number; username?: string; useCandidate: boolean }[] = [];
    server.on('message', (buf, rinfo) => {
      const request = StunMessage.parse(buf);
      if (request === undefined || !request.verifyIntegrity(serverPwd) || !request.verifyFingerprint())
        return;
      seen.push({
        transactionId: request.transactionId.toString('hex'),
        atMs: performance.now(),
        username: request.username,
        useCandidate: request.useCandidate,
      });
      if (seen.length < 3) return; // lose the first two
      const response = new StunMessage({
        method: StunMethod.Binding,
        messageClass: StunClass.SuccessResponse,
        transactionId: request.transactionId,
      }).setXorMappedAddress(rinfo.address, rinfo.port);
      server.send(
        response.serialize({ integrityKey: serverPwd, fingerprint: true }),
        rinfo.port,
        rinfo.address,
      );
    });
    const client = await IceClient.connect({
      localUfrag: 'me00',
      localPwd: 'client-password-22chars',
      remoteUfrag: 'srv0',
      remotePwd: serverPwd,
      remote: { address: '127.0.0.1', port: server.address().port },
      timeoutMs: 2000,
    });
    cleanups.push(() => client.close());
    assert.equal(seen.length, 3);
    assert.equal(new Set(seen.map((check) => check.transactionId)).size, 1);
    assert.equal(seen[0].username, 'srv0:me00');
    assert.ok(seen[0].useCandidate);
    // Backoff spacing is not asserted here: receive times on a loaded machine bunch together.
  });

  it('times out when nobody answers', async () => {
    const silent = await boundSocket();
    cleanups.push(() => closeSocket(silent));
    const started = performance.now();
    await assert.rejects(
      IceClient.connect({
        localUfrag: 'me00',
        localPwd: 'client-password-22chars',
        remoteUfrag: 'srv0',
        remotePwd: 'server-password-of-24ch',
        remote: { address: '127.0.0.1', port: silent.address().port },
        timeoutMs: 300,
      }),
      /timed out/,
    );
    assert.ok(performance.now() - started >= 290);
  });

  it('keeps sending consent checks and gives up when the server disappears', async () => {
    const mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
    const endpoint = mux.createEndpoint(new RecordingHandler());
    const reasons: string[] = [];
    const client = await connectClient(mux, endpoint, {
      consentIntervalMs: [20, 40],
      consentTimeoutMs: 300,
      onDisconnected: (reason) => reasons.push(reason),
    });
    cleanups.push(() => client.close());
    await waitFor(() => mux.stats().stunRequests >= 6, 'periodic consent checks');
    await mux.close();
    await waitFor(() => reasons.length === 1, 'client consent timeout');
    assert.deepEqual(reasons, ['consent-timeout']);
    client.close();
    assert.deepEqual(reasons, ['consent-timeout']);
  });

  it('uses a socket it is given and leaves it open', async () => {
    const mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
    cleanups.push(() => mux.close());
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    const socket = await boundSocket();
    cleanups.push(() => closeSocket(socket));
    const client = await connectClient(mux, endpoint, { socket });
    assert.equal(handler.connected[0].port, socket.address().port);
    client.close();
    assert.equal(socket.listenerCount('message'), 0);
    // Still open: it can still talk to the server.
    const response = await rawCheck(socket, mux.localPort, {
      username: `${endpoint.localUfrag}:x`,
      pwd: endpoint.localPwd,
    });
    assert.ok(response);
  });
});
