import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { HmacSha1 } from '../../../src/media/srtp/HmacSha1.ts';
import { deriveSrtpSessionKeys } from '../../../src/media/srtp/keyDerivation.ts';
import { SRTP_MAX_TRAILER, type SrtpProfileName } from '../../../src/media/srtp/SrtpProfile.ts';
import { createSrtpSession, type SrtpSession } from '../../../src/media/srtp/SrtpSession.ts';
import {
  buildRtcp,
  buildRtp,
  randomKeys,
  weriftProtect,
  weriftSrtcp,
  weriftSrtp,
  withRoom,
} from './srtpTestKit.ts';

const P80: SrtpProfileName = 'SRTP_AES128_CM_HMAC_SHA1_80';
const P32: SrtpProfileName = 'SRTP_AES128_CM_HMAC_SHA1_32';

function pair(profile: SrtpProfileName, keys = randomKeys()): { tx: SrtpSession; rx: SrtpSession } {
  return { tx: createSrtpSession(profile, keys), rx: createSrtpSession(profile, keys) };
}

function protect(session: SrtpSession, plain: Buffer): Buffer {
  const buf = withRoom(plain);
  const length = session.protectRtp(buf, plain.length);
  assert.ok(length > 0, 'protectRtp failed');
  return buf.subarray(0, length);
}

/** Unprotects a copy (so the caller's packet can be replayed) and returns the plain packet or -1. */
function unprotect(session: SrtpSession, packet: Buffer): Buffer | -1 {
  const buf = Buffer.from(packet);
  const length = session.unprotectRtp(buf, buf.length);
  return length < 0 ? -1 : buf.subarray(0, length);
}

const SSRC = 0x1a2b3c4d;

describe('SRTP protect/unprotect', () => {
  for (const profile of [P80, P32]) {
    it(`round-trips packets of every size (${profile})`, () => {
      const { tx, rx } = pair(profile);
      const tagLength = profile === P80 ? 10 : 4;
      for (let sequence = 0; sequence < 400; sequence++) {
        const plain = buildRtp({
          sequence: 1000 + sequence,
          ssrc: SSRC,
          payload: randomBytes((sequence * 37) % 1400),
        });
        const protectedPacket = protect(tx, plain);
        assert.equal(protectedPacket.length, plain.length + tagLength);
        assert.deepEqual(protectedPacket.subarray(0, 12), plain.subarray(0, 12), 'header stays clear');
        if (plain.length > 40)
          assert.notDeepEqual(protectedPacket.subarray(12, plain.length), plain.subarray(12));
        assert.deepEqual(unprotect(rx, protectedPacket), plain);
      }
    });
  }

  it('encrypts only the payload of packets with CSRCs, a header extension and padding', () => {
    const { tx, rx } = pair(P80);
    const extensionData = Buffer.from([0x10, 0xaa, 0x21, 0xbb, 0xcc, 0x00, 0x00, 0x00]);
    const plain = buildRtp({
      sequence: 7,
      ssrc: SSRC,
      csrcs: [0x11111111, 0x22222222],
      extension: { profile: 0xbede, data: extensionData },
      payload: randomBytes(333),
      padding: 3,
    });
    const headerLength = 12 + 8 + 4 + extensionData.length;
    const protectedPacket = protect(tx, plain);
    assert.deepEqual(protectedPacket.subarray(0, headerLength), plain.subarray(0, headerLength));
    assert.notDeepEqual(protectedPacket.subarray(headerLength, plain.length), plain.subarray(headerLength));
    assert.deepEqual(unprotect(rx, protectedPacket), plain);
  });

  it('keeps SSRCs independent within one session', () => {
    const { tx, rx } = pair(P80);
    const streams = [SSRC, 0x99999999, 1];
    for (let i = 0; i < 50; i++) {
      for (const [n, ssrc] of streams.entries()) {
        const plain = buildRtp({ sequence: (n * 30000 + i) & 0xffff, ssrc, payload: randomBytes(100 + n) });
        assert.deepEqual(unprotect(rx, protect(tx, plain)), plain);
      }
    }
  });

  it('agrees on the ROC across the 65535 → 0 wrap, also with reordering around it', () => {
    const { tx, rx } = pair(P80);
    const sent: Array<{ plain: Buffer; packet: Buffer }> = [];
    for (let sequence = 65000; sequence < 65536 + 3 * 65536 + 100; sequence += 97) {
      const plain = buildRtp({ sequence, ssrc: SSRC, payload: randomBytes(200) });
      sent.push({ plain, packet: protect(tx, plain) });
    }
    // At each wrap, deliver the first packet after it before the last one from before it.
    let swaps = 0;
    for (let i = 1; i + 1 < sent.length; i++) {
      if (sent[i].plain.readUInt16BE(2) > sent[i + 1].plain.readUInt16BE(2)) {
        [sent[i], sent[i + 1]] = [sent[i + 1], sent[i]];
        swaps++;
        i++;
      }
    }
    assert.equal(swaps, 4);
    for (const { plain, packet } of sent) assert.deepEqual(unprotect(rx, packet), plain);
  });

  it('accepts late packets inside the replay window and rejects replays and packets older than it', () => {
    const { tx, rx } = pair(P80);
    const packets = new Map<number, { plain: Buffer; packet: Buffer }>();
    for (let sequence = 0; sequence < 1200; sequence++) {
      const plain = buildRtp({ sequence, ssrc: SSRC, payload: randomBytes(50) });
      packets.set(sequence, { plain, packet: protect(tx, plain) });
    }
    const deliver = (sequence: number) => unprotect(rx, packets.get(sequence)!.packet);
    for (let sequence = 0; sequence < 1100; sequence++) {
      if (sequence % 10 !== 3) assert.notEqual(deliver(sequence), -1);
    }
    assert.deepEqual(deliver(1093), packets.get(1093)!.plain, 'late by 7');
    assert.deepEqual(deliver(103), packets.get(103)!.plain, 'late by 997, inside the 1024 window');
    assert.equal(deliver(3), -1, 'late by 1097, outside the window');
    assert.equal(deliver(1093), -1, 'replay of a late packet');
    assert.equal(deliver(1099), -1, 'replay of the newest packet');
    assert.equal(deliver(500), -1, 'replay inside the window');
    assert.deepEqual(deliver(1100), packets.get(1100)!.plain, 'the stream goes on');
  });

  it('rejects a packet with any single bit flipped, and the stream survives', () => {
    const { tx, rx } = pair(P80);
    const plain = buildRtp({ sequence: 10, ssrc: SSRC, payload: randomBytes(120) });
    const packet = protect(tx, plain);
    for (const position of [
      0,
      1,
      3,
      5,
      11,
      12,
      60,
      packet.length - 11,
      packet.length - 10,
      packet.length - 1,
    ]) {
      const tampered = Buffer.from(packet);
      tampered[position] ^= position === 0 ? 0x01 : 0x40;
      assert.equal(unprotect(rx, tampered), -1, `byte ${position}`);
    }
    assert.deepEqual(
      unprotect(rx, packet),
      plain,
      'the genuine packet still authenticates after the forgeries',
    );
  });

  it('never throws on garbage, short or inconsistent input', () => {
    const keys = randomKeys();
    for (const profile of [P80, P32]) {
      const session = createSrtpSession(profile, keys);
      for (let i = 0; i < 3000; i++) {
        const length = i % 200;
        const buf = randomBytes(length + (i % 3) * 20);
        if (i % 2 === 0 && length > 0) buf[0] = 0x80 | (buf[0] & 0x3f);
        assert.equal(session.unprotectRtp(buf, length), -1);
        assert.equal(session.unprotectRtcp(buf, length), -1);
        session.protectRtp(Buffer.from(buf), length);
        session.protectRtcp(Buffer.from(buf), length);
      }
      const small = Buffer.alloc(20, 0x80);
      for (const length of [-1, 0, 11, 21, 1000, Number.NaN, 1.5]) {
        assert.equal(session.unprotectRtp(small, length), -1);
        assert.equal(session.unprotectRtcp(small, length), -1);
      }
      const plain = buildRtp({ sequence: 1, ssrc: SSRC, payload: randomBytes(20) });
      assert.equal(session.protectRtp(Buffer.from(plain), plain.length), -1, 'no room for the tag');
      const huge = withRoom(buildRtp({ sequence: 1, ssrc: SSRC, payload: Buffer.alloc(2_000_000) }));
      assert.equal(session.protectRtp(huge, huge.length - 64), -1, 'longer than any datagram');
      assert.equal(session.protectRtcp(huge, huge.length - 64), -1, 'longer than any datagram');
      assert.equal(session.unprotectRtp(huge, huge.length), -1, 'longer than any datagram');
      const extensionTooLong = buildRtp({ sequence: 1, ssrc: SSRC, payload: randomBytes(20) });
      extensionTooLong[0] |= 0x10;
      extensionTooLong.writeUInt16BE(0xffff, 14);
      assert.equal(session.protectRtp(withRoom(extensionTooLong), extensionTooLong.length), -1);
    }
  });

  it('gives a retransmitted packet its original index, even across the wrap', () => {
    const { tx, rx } = pair(P80);
    const before = buildRtp({ sequence: 65535, ssrc: SSRC, payload: randomBytes(80) });
    const first = protect(tx, before);
    const after = buildRtp({ sequence: 0, ssrc: SSRC, payload: randomBytes(80) });
    const second = protect(tx, after);
    assert.deepEqual(protect(tx, before), first, 'same index (ROC 0), same keystream, same tag');
    assert.deepEqual(unprotect(rx, first), before);
    assert.deepEqual(unprotect(rx, second), after);
    assert.equal(unprotect(rx, first), -1, 'the receiver sees the retransmission as a replay');
  });
});

describe('SRTCP protect/unprotect', () => {
  it('round-trips compound RTCP and appends the E flag with a per-SSRC index', () => {
    const { tx, rx } = pair(P32);
    for (let i = 0; i < 20; i++) {
      const plain = buildRtcp(SSRC, i);
      const buf = withRoom(plain);
      const length = tx.protectRtcp(buf, plain.length);
      assert.equal(length, plain.length + SRTP_MAX_TRAILER, 'SRTCP always has the 80-bit tag');
      assert.deepEqual(buf.subarray(0, 8), plain.subarray(0, 8));
      assert.equal(buf.readUInt32BE(plain.length), (0x80000000 | i) >>> 0);
      assert.equal(rx.unprotectRtcp(buf, length), plain.length);
      assert.deepEqual(buf.subarray(0, plain.length), plain);
    }
  });

  it('rejects replayed and tampered SRTCP', () => {
    const { tx, rx } = pair(P80);
    const plain = buildRtcp(SSRC, 1);
    const buf = withRoom(plain);
    const length = tx.protectRtcp(buf, plain.length);
    const packet = Buffer.from(buf.subarray(0, length));
    for (const position of [0, 4, 8, length - 14, length - 11, length - 1]) {
      const tampered = Buffer.from(packet);
      tampered[position] ^= 0x02;
      assert.equal(rx.unprotectRtcp(tampered, length), -1, `byte ${position}`);
    }
    assert.equal(rx.unprotectRtcp(Buffer.from(packet), length), plain.length);
    assert.equal(rx.unprotectRtcp(Buffer.from(packet), length), -1, 'replay');
  });

  it('accepts authenticated but unencrypted SRTCP (E flag clear)', () => {
    const keys = randomKeys();
    const rx = createSrtpSession(P80, keys);
    const plain = buildRtcp(SSRC, 3);
    const buf = withRoom(plain);
    buf.writeUInt32BE(5, plain.length);
    const auth = new HmacSha1(deriveSrtpSessionKeys(keys.masterKey, keys.masterSalt).rtcpAuthKey);
    auth.compute(buf, plain.length + 4);
    auth.writeTag(buf, plain.length + 4, 10);
    assert.equal(rx.unprotectRtcp(buf, plain.length + 14), plain.length);
    assert.deepEqual(buf.subarray(0, plain.length), plain);
  });
});

describe('interop with werift (an independent SRTP implementation)', () => {
  it('werift decrypts our SRTP, and produces byte-identical SRTP itself', () => {
    const keys = randomKeys();
    const ours = createSrtpSession(P80, keys);
    const theirs = weriftSrtp(keys);
    const reference = weriftSrtp(keys);
    for (let i = 0; i < 300; i++) {
      const plain = buildRtp({
        sequence: 65400 + i,
        ssrc: SSRC,
        marker: i % 7 === 0,
        payload: randomBytes((i * 53) % 1300),
      });
      const packet = protect(ours, plain);
      assert.deepEqual(weriftProtect(reference, plain), packet, `sequence ${65400 + i}`);
      assert.deepEqual(theirs.decrypt(Buffer.from(packet)), plain);
    }
  });

  it('we decrypt werift SRTP across the ROC wrap', () => {
    const keys = randomKeys();
    const theirs = weriftSrtp(keys);
    const ours = createSrtpSession(P80, keys);
    for (let i = 0; i < 300; i++) {
      const sequence = (65300 + i) & 0xffff;
      const plain = buildRtp({ sequence, ssrc: SSRC, payload: randomBytes(1 + ((i * 91) % 1200)) });
      assert.deepEqual(unprotect(ours, weriftProtect(theirs, plain)), plain, `sequence ${sequence}`);
    }
  });

  it('interoperates on packets with CSRCs and a header extension', () => {
    const keys = randomKeys();
    const ours = createSrtpSession(P80, keys);
    const theirs = weriftSrtp(keys);
    const plain = buildRtp({
      sequence: 4711,
      ssrc: SSRC,
      csrcs: [0xcafebabe],
      extension: { profile: 0xbede, data: Buffer.from([0x22, 0x01, 0x02, 0x03]) },
      payload: randomBytes(500),
    });
    const packet = protect(ours, plain);
    assert.deepEqual(theirs.decrypt(Buffer.from(packet)), plain);
    assert.deepEqual(unprotect(createSrtpSession(P80, keys), weriftProtect(weriftSrtp(keys), plain)), plain);
  });

  it('interoperates on padded packets', () => {
    const keys = randomKeys();
    const plain = buildRtp({ sequence: 9, ssrc: SSRC, payload: randomBytes(97), padding: 7 });
    const packet = protect(createSrtpSession(P80, keys), plain);
    assert.deepEqual(weriftSrtp(keys).decrypt(Buffer.from(packet)), plain);
  });

  it('the _32 profile differs from _80 only in the tag length (werift has no _32, so check against its _80)', () => {
    const keys = randomKeys();
    const ours = createSrtpSession(P32, keys);
    const oursReceiving = createSrtpSession(P32, keys);
    const theirs = weriftSrtp(keys);
    for (let i = 0; i < 100; i++) {
      const plain = buildRtp({ sequence: 65500 + i, ssrc: SSRC, payload: randomBytes(40 + i * 11) });
      const reference = weriftProtect(theirs, plain);
      const packet = protect(ours, plain);
      assert.deepEqual(packet, reference.subarray(0, plain.length + 4));
      assert.deepEqual(unprotect(oursReceiving, reference.subarray(0, plain.length + 4)), plain);
    }
  });

  it('werift decrypts our SRTCP and we decrypt werift SRTCP', () => {
    const keys = randomKeys();
    const ours = createSrtpSession(P80, keys);
    const theirs = weriftSrtcp(keys);
    for (let i = 0; i < 30; i++) {
      const plain = buildRtcp(SSRC + (i % 2), i);
      const buf = withRoom(plain);
      const length = ours.protectRtcp(buf, plain.length);
      assert.deepEqual(theirs.decrypt(Buffer.from(buf.subarray(0, length))), plain);
      const fromWerift = Buffer.from(theirs.encrypt(plain));
      assert.equal(ours.unprotectRtcp(fromWerift, fromWerift.length), plain.length);
      assert.deepEqual(fromWerift.subarray(0, plain.length), plain);
    }
  });
});
