import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { DtlsCertificate } from '../../../src/media/dtls/DtlsCertificate.ts';
import type { SrtpParameters } from '../../../src/media/dtls/DtlsEndpoint.ts';
import { connectDtlsPair } from './dtlsPair.ts';

/** A 13-byte DTLS 1.2 record header plus `fragment`. */
function record(contentType: number, epoch: number, sequence: number, fragment: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header[0] = contentType;
  header.writeUInt16BE(0xfefd, 1);
  header.writeUInt16BE(epoch, 3);
  header.writeUIntBE(sequence, 5, 6);
  header.writeUInt16BE(fragment.length, 11);
  return Buffer.concat([header, fragment]);
}

/**
 * Our server endpoint against a raw werift DtlsClient, so the test holds the client's record cipher and
 * can write authenticated records the way a real peer would.
 */
async function connectedPair() {
  const [serverCertificate, clientCertificate] = await Promise.all([
    DtlsCertificate.generate(),
    DtlsCertificate.generate(),
  ]);
  const events = { connected: [] as SrtpParameters[], closed: 0, failed: [] as Error[] };
  const { server, client } = await connectDtlsPair(
    { server: serverCertificate, client: clientCertificate },
    {
      onConnected: (srtp) => events.connected.push(srtp),
      onClosed: () => events.closed++,
      onFailed: (error) => events.failed.push(error),
    },
  );
  assert.equal(server.state, 'connected');
  assert.equal(events.connected.length, 1);

  let sequence = 1000;
  /** An alert sealed with the client's epoch-1 keys: what a browser sends when it closes. */
  const sealedAlert = (level: number, description: number): Buffer => {
    const seq = sequence++;
    const plain = {
      recordLayerHeader: {
        contentType: 21,
        protocolVersion: { major: 0xfe, minor: 0xfd },
        epoch: 1,
        sequenceNumber: seq,
        contentLen: 2,
      },
      fragment: Buffer.from([level, description]),
    };
    client.cipher.encryptPacket(plain as never);
    return record(21, 1, seq, plain.fragment);
  };
  return { server, client, events, sealedAlert };
}

describe('DtlsEndpoint', () => {
  it('ignores forged, plaintext and malformed records once connected, and closes on an authenticated close_notify', async () => {
    const { server, events, sealedAlert } = await connectedPair();
    const clientHello = Buffer.alloc(60);
    clientHello[0] = 1;
    clientHello.writeUIntBE(48, 1, 3);
    clientHello.writeUIntBE(48, 9, 3);
    const junk = [
      record(21, 0, 1, Buffer.from([1, 0])), // plaintext close_notify: werift alone would close
      record(21, 0, 2, Buffer.from([2, 40])), // plaintext fatal alert
      record(22, 0, 3, clientHello), // renegotiation attempt with a malformed ClientHello: werift alone would fail
      record(21, 1, 4, Buffer.concat([Buffer.from([1, 0]), randomBytes(24)])), // epoch-1 alert that does not decrypt
      record(23, 1, 5, randomBytes(64)), // application data (no data channels here)
      record(22, 1, 6, randomBytes(64)), // epoch-1 handshake that does not decrypt
      record(20, 0, 7, Buffer.from([1])), // stray ChangeCipherSpec
      record(25, 0, 8, randomBytes(20)), // unknown content type: werift alone would close
      record(22, 0, 9, randomBytes(30)).subarray(0, 20), // record longer than the datagram
      Buffer.from([22, 0xfe, 0xfd, 0, 0]), // shorter than a record header
      Buffer.alloc(0),
      Buffer.concat([record(22, 0, 10, randomBytes(8)), Buffer.from([0xff])]), // trailing byte
    ];
    for (const datagram of junk) server.handleDatagram(datagram);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.state, 'connected');
    assert.equal(events.closed, 0);
    assert.deepEqual(events.failed, []);
    assert.ok(server.droppedRecords >= junk.length - 2, `dropped ${server.droppedRecords}`);

    server.handleDatagram(sealedAlert(1, 0));
    assert.equal(events.closed, 1);
    assert.equal(server.state, 'closed');
  });

  it('ignores an authenticated warning that is not close_notify', async () => {
    const { server, events, sealedAlert } = await connectedPair();
    server.handleDatagram(sealedAlert(1, 100)); // no_renegotiation, a warning
    assert.equal(server.state, 'connected');
    server.handleDatagram(sealedAlert(2, 40)); // fatal handshake_failure
    assert.equal(events.closed, 1);
  });

  it('keeps authenticating alerts after releasing the handshake state', async () => {
    const { server, events, sealedAlert } = await connectedPair();
    server.releaseHandshake();
    assert.equal(server.handshakeReleased, true);
    server.handleDatagram(record(22, 1, 50, randomBytes(64))); // a late handshake record: nothing to answer it now
    server.handleDatagram(record(21, 1, 51, Buffer.concat([Buffer.from([1, 0]), randomBytes(24)])));
    assert.equal(server.state, 'connected');
    server.handleDatagram(sealedAlert(1, 0));
    assert.equal(events.closed, 1);
    assert.equal(server.state, 'closed');
    server.close();
  });
});
