import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IceClient } from '../../../src/media/ice/IceClient.ts';
import { UdpMux } from '../../../src/media/ice/UdpMux.ts';
import { StunClass, StunMethod } from '../../../src/media/stun/constants.ts';
import { StunMessage } from '../../../src/media/stun/StunMessage.ts';
import {
  boundSocket,
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

async function newMux(): Promise<UdpMux> {
  const mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
  cleanups.push(() => mux.close());
  return mux;
}

function track(client: IceClient): IceClient {
  cleanups.push(() => client.close());
  return client;
}

describe('UdpMux', () => {
  it('binds with large socket buffers and announces its address', async () => {
    const mux = await UdpMux.bind({ listenIp: '127.0.0.1', announcedIp: '198.51.100.7' });
    assert.ok(mux.localPort > 0);
    assert.equal(mux.announcedIp, '198.51.100.7');
    assert.equal(mux.candidate(), `candidate:1 1 udp 2130706431 198.51.100.7 ${mux.localPort} typ host`);
    // Linux grants min(requested, net.core.rmem_max) and reports twice that.
    const cap = (file: string): number => {
      try {
        return Number(readFileSync(file, 'utf8'));
      } catch {
        return 0;
      }
    };
    const wanted = 4 * 1024 * 1024;
    assert.ok(
      mux.recvBufferBytes >= Math.min(wanted, cap('/proc/sys/net/core/rmem_max')),
      `recv ${mux.recvBufferBytes}`,
    );
    assert.ok(
      mux.sendBufferBytes >= Math.min(wanted, cap('/proc/sys/net/core/wmem_max')),
      `send ${mux.sendBufferBytes}`,
    );
    await mux.close();
    await assert.rejects(UdpMux.bind({ listenIp: 'localhost' }), TypeError);
  });

  it('connects an IceClient end to end and carries datagrams both ways', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    assert.ok(endpoint.localUfrag.length >= 4);
    assert.ok(endpoint.localPwd.length >= 22);
    endpoint.remoteUfrag = CLIENT_UFRAG;
    const received: Buffer[] = [];
    const client = track(await connectClient(mux, endpoint));
    client.onPacket = (buf, len) => received.push(Buffer.from(buf.subarray(0, len)));

    const clientPort = client.socket.address().port;
    assert.equal(handler.connected.length, 1);
    assert.deepEqual(handler.connected[0], {
      address: '127.0.0.1',
      port: clientPort,
      family: 'IPv4',
      key: `127.0.0.1:${clientPort}`,
    });
    assert.equal(endpoint.selectedTuple, handler.connected[0]);
    assert.equal(endpoint.nominated, true);
    assert.equal(endpoint.state, 'connected');
    assert.deepEqual(client.mappedAddress, { address: '127.0.0.1', port: clientPort, family: 'IPv4' });

    for (let i = 0; i < 10; i++) client.send(rtpLike(i), 0, 100);
    await waitFor(() => handler.packets.length === 10, 'packets at the server');
    assert.deepEqual(handler.packets[3], rtpLike(3));
    assert.equal(handler.packetTuples[9], endpoint.selectedTuple);

    const outgoing = Buffer.alloc(300, 7);
    outgoing[0] = 22; // a DTLS-looking record, sent from the middle of a larger buffer
    outgoing[50] = 0x80;
    for (let i = 0; i < 5; i++) endpoint.send(outgoing, 50, 120);
    await waitFor(() => received.length === 5, 'packets at the client');
    assert.deepEqual(received[0], outgoing.subarray(50, 170));

    const stats = mux.stats();
    assert.equal(stats.endpoints, 1);
    assert.equal(stats.tuples, 1);
    assert.ok(stats.stunRequests >= 1);
    assert.equal(stats.packetsOut, stats.stunRequests + 5);
    assert.ok(stats.packetsIn >= 11);
    assert.equal(stats.droppedDatagrams, 0);
    assert.ok(stats.bytesIn >= 1000 && stats.bytesOut >= 600);
  });

  it('answers a wrong password with 401 and binds nothing', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    await assert.rejects(connectClient(mux, endpoint, { remotePwd: 'not-the-right-password!!' }), /401/);
    assert.equal(handler.connected.length, 0);
    assert.equal(endpoint.selectedTuple, undefined);
    assert.equal(mux.stats().tuples, 0);
  });

  it('answers an unexpected remote ufrag with 401 and binds nothing', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    endpoint.remoteUfrag = 'someone-else';
    await assert.rejects(connectClient(mux, endpoint), /401/);
    assert.equal(handler.connected.length, 0);
    assert.equal(mux.stats().tuples, 0);
  });

  it('drops checks for an unknown ufrag without answering', async () => {
    const mux = await newMux();
    const endpoint = mux.createEndpoint(new RecordingHandler());
    const socket = await boundSocket();
    cleanups.push(() => closeSocket(socket));
    const response = await rawCheck(socket, mux.localPort, {
      username: `nobody:${CLIENT_UFRAG}`,
      pwd: endpoint.localPwd,
    });
    assert.equal(response, undefined);
    const noColon = await rawCheck(socket, mux.localPort, {
      username: endpoint.localUfrag,
      pwd: endpoint.localPwd,
    });
    assert.equal(noColon, undefined);
    assert.equal(mux.stats().droppedDatagrams, 2);
    assert.equal(mux.stats().tuples, 0);
  });

  it('answers a peer that also claims the controlled role with 487', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    const socket = await boundSocket();
    cleanups.push(() => closeSocket(socket));
    const response = await rawCheck(socket, mux.localPort, {
      username: `${endpoint.localUfrag}:x`,
      pwd: endpoint.localPwd,
      iceControlled: true,
    });
    assert.equal(response?.messageClass, StunClass.ErrorResponse);
    assert.equal(response?.errorCode?.code, 487);
    assert.ok(response?.verifyIntegrity(endpoint.localPwd));
    assert.equal(handler.connected.length, 0);
  });

  it('drops and counts garbage while a connected endpoint keeps working', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    const received: Buffer[] = [];
    const client = track(
      await connectClient(mux, endpoint, {
        onPacket: (buf, len) => received.push(Buffer.from(buf.subarray(0, len))),
      }),
    );
    const attacker = await boundSocket();
    cleanups.push(() => closeSocket(attacker));

    const before = mux.stats().droppedDatagrams;
    const stunHeader = Buffer.alloc(20);
    stunHeader.writeUInt32BE(0x2112a442, 4);
    const lyingStun = Buffer.from(stunHeader);
    lyingStun.writeUInt16BE(400, 2);
    const successFromNowhere = new StunMessage({
      method: StunMethod.Binding,
      messageClass: StunClass.SuccessResponse,
    }).serialize();
    const indicationFromNowhere = new StunMessage({
      method: StunMethod.Binding,
      messageClass: StunClass.Indication,
    }).serialize();
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([0]),
      randomBytes(1),
      stunHeader,
      lyingStun,
      successFromNowhere,
      indicationFromNowhere,
      rtpLike(1), // unbound tuple
      Buffer.from([22, 254, 253, 0, 0]), // DTLS-looking, unbound tuple
      Buffer.alloc(60_000, 0x80),
      ...Array.from({ length: 40 }, () => randomBytes(1 + Math.floor(Math.random() * 1400))),
    ];
    for (const datagram of garbage) attacker.send(datagram, mux.localPort, '127.0.0.1');
    // Garbage that looks like STUN but is not, from the bound tuple itself, is dropped too.
    client.socket.send(lyingStun, mux.localPort, '127.0.0.1');

    await waitFor(
      () => mux.stats().droppedDatagrams === before + garbage.length + 1,
      'garbage to be counted',
    );
    assert.equal(handler.packets.length, 0);
    assert.equal(mux.stats().tuples, 1);

    client.send(rtpLike(9), 0, 100);
    endpoint.send(rtpLike(8), 0, 100);
    await waitFor(() => handler.packets.length === 1 && received.length === 1, 'traffic after the garbage');
    assert.deepEqual(handler.packets[0], rtpLike(9));
    assert.deepEqual(received[0], rtpLike(8));
    assert.equal(handler.disconnected.length, 0);
  });

  it('survives a handler that throws', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    let calls = 0;
    handler.onPacket = () => {
      calls++;
      throw new Error('handler bug');
    };
    const endpoint = mux.createEndpoint(handler);
    const client = track(await connectClient(mux, endpoint));
    client.send(rtpLike(1), 0, 100);
    client.send(rtpLike(2), 0, 100);
    await waitFor(() => calls === 2, 'both packets despite the exception');
    assert.equal(mux.stats().handlerErrors, 2);
  });

  it('selects the first valid tuple, then follows the nomination', async () => {
    const mux = await newMux();
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    const first = await boundSocket();
    const second = await boundSocket();
    cleanups.push(
      () => closeSocket(first),
      () => closeSocket(second),
    );
    const check = { username: `${endpoint.localUfrag}:${CLIENT_UFRAG}`, pwd: endpoint.localPwd };

    const response = await rawCheck(first, mux.localPort, check);
    assert.equal(response?.messageClass, StunClass.SuccessResponse);
    assert.ok(response?.verifyIntegrity(endpoint.localPwd));
    assert.ok(response?.verifyFingerprint());
    assert.deepEqual(response?.xorMappedAddress, {
      address: '127.0.0.1',
      port: first.address().port,
      family: 'IPv4',
    });
    assert.equal(endpoint.selectedTuple?.port, first.address().port);
    assert.equal(endpoint.nominated, false);

    await rawCheck(second, mux.localPort, check);
    assert.equal(
      endpoint.selectedTuple?.port,
      first.address().port,
      'an unnominated check does not steal the selection',
    );
    assert.equal(mux.stats().tuples, 2);

    await rawCheck(second, mux.localPort, { ...check, useCandidate: true });
    assert.equal(endpoint.selectedTuple?.port, second.address().port);
    assert.equal(endpoint.nominated, true);
    assert.deepEqual(
      handler.connected.map((tuple) => tuple.port),
      [first.address().port, second.address().port],
    );

    // Both tuples stay bound: media from either reaches the endpoint.
    first.send(rtpLike(1), mux.localPort, '127.0.0.1');
    second.send(rtpLike(2), mux.localPort, '127.0.0.1');
    await waitFor(() => handler.packets.length === 2, 'media from both tuples');
  });

  it('never hands the live path of one endpoint to another', async () => {
    const mux = await newMux();
    const handlerA = new RecordingHandler();
    const handlerB = new RecordingHandler();
    const endpointA = mux.createEndpoint(handlerA);
    const endpointB = mux.createEndpoint(handlerB);
    const socket = await boundSocket();
    cleanups.push(() => closeSocket(socket));
    const checkA = { username: `${endpointA.localUfrag}:x`, pwd: endpointA.localPwd, useCandidate: true };
    const checkB = { username: `${endpointB.localUfrag}:x`, pwd: endpointB.localPwd, useCandidate: true };
    assert.ok(await rawCheck(socket, mux.localPort, checkA));
    const before = mux.stats().droppedDatagrams;
    assert.equal(await rawCheck(socket, mux.localPort, checkB, 150), undefined);
    assert.equal(mux.stats().droppedDatagrams, before + 1);
    assert.equal(endpointA.selectedTuple?.port, socket.address().port);
    assert.equal(endpointB.tuples.length, 0);

    // Once A lets go of it, the tuple is free for B.
    endpointA.close();
    assert.ok(await rawCheck(socket, mux.localPort, checkB));
    assert.equal(endpointB.selectedTuple?.port, socket.address().port);
    socket.send(rtpLike(1), mux.localPort, '127.0.0.1');
    await waitFor(() => handlerB.packets.length === 1, 'media routed to B');
    assert.equal(handlerA.packets.length, 0);
  });

  it('moves a bound but unselected tuple to the endpoint it last authenticated for', async () => {
    const mux = await newMux();
    const endpointA = mux.createEndpoint(new RecordingHandler());
    const handlerB = new RecordingHandler();
    const endpointB = mux.createEndpoint(handlerB);
    const main = await boundSocket();
    const spare = await boundSocket();
    cleanups.push(
      () => closeSocket(main),
      () => closeSocket(spare),
    );
    await rawCheck(main, mux.localPort, {
      username: `${endpointA.localUfrag}:x`,
      pwd: endpointA.localPwd,
      useCandidate: true,
    });
    await rawCheck(spare, mux.localPort, { username: `${endpointA.localUfrag}:x`, pwd: endpointA.localPwd });
    assert.equal(endpointA.tuples.length, 2);
    await rawCheck(spare, mux.localPort, { username: `${endpointB.localUfrag}:x`, pwd: endpointB.localPwd });
    assert.equal(endpointA.tuples.length, 1);
    assert.equal(endpointA.selectedTuple?.port, main.address().port);
    assert.equal(endpointB.selectedTuple?.port, spare.address().port);
    assert.equal(mux.stats().tuples, 2);
    spare.send(rtpLike(1), mux.localPort, '127.0.0.1');
    await waitFor(() => handlerB.packets.length === 1, 'media routed to B');
  });

  it('bounds the tuples of one endpoint', async () => {
    const mux = await newMux();
    const endpoint = mux.createEndpoint(new RecordingHandler());
    const sockets = await Promise.all(Array.from({ length: 12 }, () => boundSocket()));
    cleanups.push(...sockets.map((socket) => () => closeSocket(socket)));
    for (const socket of sockets) {
      await rawCheck(socket, mux.localPort, { username: `${endpoint.localUfrag}:x`, pwd: endpoint.localPwd });
    }
    assert.equal(mux.stats().tuples, 8);
    assert.equal(endpoint.tuples.length, 8);
    assert.equal(
      endpoint.selectedTuple?.port,
      sockets[0].address().port,
      'the selected tuple is never evicted',
    );
  });

  it('takes the first free port of a range', async () => {
    const probe = await UdpMux.bind({ listenIp: '127.0.0.1' });
    const base = probe.localPort;
    await probe.close();
    const first = await UdpMux.bind({ listenIp: '127.0.0.1', portRange: [base, base + 3] });
    const second = await UdpMux.bind({ listenIp: '127.0.0.1', portRange: [base, base + 3] });
    assert.equal(first.localPort, base);
    assert.equal(second.localPort, base + 1);
    await assert.rejects(UdpMux.bind({ listenIp: '127.0.0.1', port: base }), /EADDRINUSE/);
    await first.close();
    await second.close();
    await assert.rejects(UdpMux.bind({ listenIp: '127.0.0.1', portRange: [5, 1] }), RangeError);
  });

  it('close() releases the port, closes every endpoint once and leaves no handles', async () => {
    const count = (name: string): number => process.getActiveResourcesInfo().filter((n) => n === name).length;
    await sleep(100); // closed handles linger a few turns: let earlier tests' sockets go
    const baseline = { udp: count('UDPWrap'), timeouts: count('Timeout') };
    const mux = await UdpMux.bind({ listenIp: '127.0.0.1' });
    const port = mux.localPort;
    const handler = new RecordingHandler();
    const endpoint = mux.createEndpoint(handler);
    const idle = new RecordingHandler();
    mux.createEndpoint(idle);
    const client = await connectClient(mux, endpoint);

    await Promise.all([mux.close(), mux.close()]);
    assert.deepEqual(handler.disconnected, ['closed']);
    assert.deepEqual(idle.disconnected, ['closed']);
    endpoint.close();
    assert.deepEqual(handler.disconnected, ['closed']);
    endpoint.send(rtpLike(1), 0, 100); // silently dropped
    assert.throws(() => mux.createEndpoint(new RecordingHandler()), /closed/);
    assert.equal(mux.stats().endpoints, 0);
    assert.equal(mux.stats().tuples, 0);

    const again = await UdpMux.bind({ listenIp: '127.0.0.1', port });
    assert.equal(again.localPort, port);
    await again.close();
    client.close();
    await waitFor(() => count('UDPWrap') === baseline.udp, 'the UDP handles to go', 1000);
    assert.equal(count('Timeout'), baseline.timeouts);
  });
});
