import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { StunAttributeType, StunClass, StunMethod } from '../../../src/media/stun/constants.ts';
import { isStunPacket, StunMessage, stunLongTermKey } from '../../../src/media/stun/StunMessage.ts';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// RFC 5769 section 2: sample messages.
const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);
const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);
const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);
const SAMPLE_LONG_TERM_REQUEST = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);
const SAMPLE_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';

describe('StunMessage: RFC 5769 test vectors', () => {
  it('parses and verifies the sample request (2.1)', () => {
    const message = StunMessage.parse(SAMPLE_REQUEST);
    assert.ok(message);
    assert.equal(message.method, StunMethod.Binding);
    assert.equal(message.messageClass, StunClass.Request);
    assert.equal(message.class, StunClass.Request);
    assert.equal(message.transactionId.toString('hex'), 'b7e7a701bc34d686fa87dfae');
    assert.equal(message.software, 'STUN test client');
    assert.equal(message.priority, 0x6e0001ff);
    assert.equal(message.iceControlled, 0x932ff9b151263b36n);
    assert.equal(message.iceControlling, undefined);
    assert.equal(message.useCandidate, false);
    assert.equal(message.username, 'evtj:h6vY');
    assert.ok(message.hasIntegrity);
    assert.ok(message.verifyIntegrity(SAMPLE_PASSWORD));
    assert.ok(message.verifyFingerprint());
    assert.equal(message.verifyIntegrity('wrong password'), false);
  });

  it('parses and verifies the IPv4 response (2.2)', () => {
    const message = StunMessage.parse(SAMPLE_IPV4_RESPONSE);
    assert.ok(message);
    assert.equal(message.messageClass, StunClass.SuccessResponse);
    assert.equal(message.software, 'test vector');
    assert.deepEqual(message.xorMappedAddress, { address: '192.0.2.1', port: 32853, family: 'IPv4' });
    assert.ok(message.verifyIntegrity(SAMPLE_PASSWORD));
    assert.ok(message.verifyFingerprint());
  });

  it('parses and verifies the IPv6 response (2.3)', () => {
    const message = StunMessage.parse(SAMPLE_IPV6_RESPONSE);
    assert.ok(message);
    assert.deepEqual(message.xorMappedAddress, {
      address: '2001:db8:1234:5678:11:2233:4455:6677',
      port: 32853,
      family: 'IPv6',
    });
    assert.ok(message.verifyIntegrity(SAMPLE_PASSWORD));
    assert.ok(message.verifyFingerprint());
  });

  it('verifies the long-term credential request (2.4)', () => {
    const message = StunMessage.parse(SAMPLE_LONG_TERM_REQUEST);
    assert.ok(message);
    assert.equal(message.username, '\u30de\u30c8\u30ea\u30c3\u30af\u30b9');
    assert.equal(message.getAttribute(StunAttributeType.Realm)?.toString(), 'example.org');
    assert.equal(message.hasFingerprint, false);
    assert.equal(message.verifyFingerprint(), false);
    assert.ok(message.verifyIntegrity(stunLongTermKey(message.username, 'example.org', 'TheMatrIX')));
  });

  it('re-serializes the sample request into an equivalent, verifiable message', () => {
    const parsed = StunMessage.parse(SAMPLE_REQUEST)!;
    const again = StunMessage.parse(parsed.serialize({ integrityKey: SAMPLE_PASSWORD, fingerprint: true }));
    assert.ok(again);
    assert.equal(again.username, 'evtj:h6vY');
    assert.equal(again.priority, parsed.priority);
    assert.equal(again.iceControlled, parsed.iceControlled);
    assert.ok(again.verifyIntegrity(SAMPLE_PASSWORD));
    assert.ok(again.verifyFingerprint());
  });

  it('reproduces the IPv4 response bytes exactly when built from scratch', () => {
    const parsed = StunMessage.parse(SAMPLE_IPV4_RESPONSE)!;
    const built = new StunMessage({
      method: StunMethod.Binding,
      messageClass: StunClass.SuccessResponse,
      transactionId: Buffer.from(parsed.transactionId),
    })
      .setSoftware('test vector')
      .setXorMappedAddress('192.0.2.1', 32853)
      .serialize({ integrityKey: SAMPLE_PASSWORD, fingerprint: true });
    // The vector pads SOFTWARE with a space where we pad with zero; everything else must match.
    const expected = Buffer.from(SAMPLE_IPV4_RESPONSE);
    expected[20 + 4 + 11] = 0;
    const reparsed = StunMessage.parse(built)!;
    assert.ok(reparsed.verifyIntegrity(SAMPLE_PASSWORD));
    assert.ok(reparsed.verifyFingerprint());
    assert.deepEqual(built.subarray(0, 20 + 16 + 12), expected.subarray(0, 20 + 16 + 12));
  });
});

describe('StunMessage: build and parse', () => {
  it('round-trips every ICE attribute with integrity and fingerprint', () => {
    const message = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
      .setUsername('abcd:efgh')
      .setPriority(0xfffffffe)
      .setIceControlling(0xfedcba9876543210n)
      .setUseCandidate();
    const bytes = message.serialize({ integrityKey: 'a-password-of-22-chars', fingerprint: true });
    assert.ok(isStunPacket(bytes, bytes.length));
    const parsed = StunMessage.parse(bytes);
    assert.ok(parsed);
    assert.deepEqual(parsed.transactionId, message.transactionId);
    assert.equal(parsed.username, 'abcd:efgh');
    assert.equal(parsed.priority, 0xfffffffe);
    assert.equal(parsed.iceControlling, 0xfedcba9876543210n);
    assert.equal(parsed.useCandidate, true);
    assert.ok(parsed.verifyIntegrity('a-password-of-22-chars'));
    assert.ok(parsed.verifyIntegrity(Buffer.from('a-password-of-22-chars')));
    assert.equal(parsed.verifyIntegrity('another-password'), false);
    assert.ok(parsed.verifyFingerprint());
  });

  it('round-trips XOR-MAPPED-ADDRESS for IPv4, IPv6 and IPv4-mapped IPv6', () => {
    for (const [address, family] of [
      ['127.0.0.1', 'IPv4'],
      ['203.0.113.250', 'IPv4'],
      ['::1', 'IPv6'],
      ['fe80::1:2', 'IPv6'],
      ['2001:db8::', 'IPv6'],
      ['2001:db8:0:0:1:0:0:1', 'IPv6'],
      ['::ffff:10.1.2.3', 'IPv6'],
    ] as const) {
      const bytes = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.SuccessResponse })
        .setXorMappedAddress(address, 54321)
        .setMappedAddress(address, 1)
        .serialize();
      const parsed = StunMessage.parse(bytes)!;
      const canonical = address === '2001:db8:0:0:1:0:0:1' ? '2001:db8::1:0:0:1' : address;
      assert.deepEqual(parsed.xorMappedAddress, { address: canonical, port: 54321, family });
      assert.deepEqual(parsed.mappedAddress, { address: canonical, port: 1, family });
    }
  });

  it('round-trips ERROR-CODE', () => {
    const bytes = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.ErrorResponse })
      .setErrorCode(487)
      .serialize({ fingerprint: true });
    const parsed = StunMessage.parse(bytes)!;
    assert.equal(parsed.messageClass, StunClass.ErrorResponse);
    assert.deepEqual(parsed.errorCode, { code: 487, reason: 'Role Conflict' });
    assert.equal(parsed.hasIntegrity, false);
    assert.equal(parsed.verifyIntegrity('anything'), false);
  });

  it('encodes method and class bits (RFC 8489 5)', () => {
    const cases: [number, number][] = [
      [StunClass.Request, 0x0001],
      [StunClass.Indication, 0x0011],
      [StunClass.SuccessResponse, 0x0101],
      [StunClass.ErrorResponse, 0x0111],
    ];
    for (const [messageClass, type] of cases) {
      const bytes = new StunMessage({
        method: StunMethod.Binding,
        messageClass: messageClass as StunClass,
      }).serialize();
      assert.equal(bytes.readUInt16BE(0), type);
      assert.equal(StunMessage.parse(bytes)?.messageClass, messageClass);
    }
    // RFC 7983 demultiplexing only admits a first byte of 0..3, i.e. methods below 0x100.
    const odd = new StunMessage({ method: 0x0bc, messageClass: StunClass.Indication }).serialize();
    assert.equal(StunMessage.parse(odd)?.method, 0x0bc);
  });

  it('does not depend on the caller keeping the parsed buffer', () => {
    const bytes = Buffer.from(SAMPLE_REQUEST);
    const parsed = StunMessage.parse(bytes)!;
    bytes.fill(0);
    assert.equal(parsed.username, 'evtj:h6vY');
    assert.ok(parsed.verifyIntegrity(SAMPLE_PASSWORD));
  });

  it('detects a tampered message', () => {
    const bytes = Buffer.from(SAMPLE_REQUEST);
    bytes[30] ^= 1; // inside SOFTWARE
    const parsed = StunMessage.parse(bytes)!;
    assert.equal(parsed.verifyIntegrity(SAMPLE_PASSWORD), false);
    assert.equal(parsed.verifyFingerprint(), false);
  });

  it('honours len shorter than the buffer (reused receive buffers)', () => {
    const big = Buffer.alloc(1500, 0xee);
    SAMPLE_REQUEST.copy(big);
    assert.ok(isStunPacket(big, SAMPLE_REQUEST.length));
    assert.ok(StunMessage.parse(big, SAMPLE_REQUEST.length)?.verifyFingerprint());
  });
});

describe('StunMessage: hostile input', () => {
  it('returns undefined for empty, short and non-STUN buffers', () => {
    assert.equal(StunMessage.parse(Buffer.alloc(0)), undefined);
    assert.equal(StunMessage.parse(Buffer.alloc(19)), undefined);
    assert.equal(StunMessage.parse(Buffer.alloc(20)), undefined); // no magic cookie
    const rtp = Buffer.alloc(200);
    rtp[0] = 0x80;
    assert.equal(StunMessage.parse(rtp), undefined);
    assert.equal(isStunPacket(rtp, rtp.length), false);
    const dtls = Buffer.from(SAMPLE_REQUEST);
    dtls[0] = 22;
    assert.equal(StunMessage.parse(dtls), undefined);
    assert.equal(isStunPacket(dtls, dtls.length), false);
  });

  it('returns undefined for every truncation of a valid message', () => {
    for (let len = 0; len < SAMPLE_REQUEST.length; len++) {
      assert.equal(StunMessage.parse(SAMPLE_REQUEST.subarray(0, len)), undefined, `len ${len}`);
      assert.equal(StunMessage.parse(SAMPLE_REQUEST, len), undefined, `len ${len}`);
    }
  });

  it('returns undefined when lengths disagree or exceed the buffer', () => {
    assert.equal(StunMessage.parse(SAMPLE_REQUEST, SAMPLE_REQUEST.length + 4), undefined);
    const padded = Buffer.concat([SAMPLE_REQUEST, Buffer.alloc(4)]);
    assert.equal(StunMessage.parse(padded), undefined);
    const lying = Buffer.from(SAMPLE_REQUEST);
    lying.writeUInt16BE(0xfffc, 2);
    assert.equal(StunMessage.parse(lying), undefined);
    const attributeTooLong = Buffer.from(SAMPLE_REQUEST);
    attributeTooLong.writeUInt16BE(0x0200, 22); // SOFTWARE length runs past the end
    assert.equal(StunMessage.parse(attributeTooLong), undefined);
    const huge = Buffer.alloc(70_000);
    huge.writeUInt32BE(0x2112a442, 4);
    assert.equal(StunMessage.parse(huge), undefined);
    assert.equal(StunMessage.parse(SAMPLE_REQUEST, -1), undefined);
    assert.equal(StunMessage.parse(SAMPLE_REQUEST, Number.NaN), undefined);
  });

  it('rejects attributes after FINGERPRINT and malformed MESSAGE-INTEGRITY/FINGERPRINT', () => {
    const trailing = Buffer.concat([SAMPLE_REQUEST, hex('80 22 00 00')]);
    trailing.writeUInt16BE(trailing.length - 20, 2);
    assert.equal(StunMessage.parse(trailing), undefined);
    const shortIntegrity = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
      .addAttribute(StunAttributeType.Username, Buffer.from('a:b'))
      .serialize();
    const withBadIntegrity = Buffer.concat([shortIntegrity, hex('00 08 00 04 00 00 00 00')]);
    withBadIntegrity.writeUInt16BE(withBadIntegrity.length - 20, 2);
    assert.equal(StunMessage.parse(withBadIntegrity), undefined);
  });

  it('ignores attributes between MESSAGE-INTEGRITY and FINGERPRINT', () => {
    const base = new StunMessage({ method: StunMethod.Binding, messageClass: StunClass.Request })
      .setUsername('a:b')
      .serialize({ integrityKey: 'pw' });
    const injected = Buffer.concat([base, hex('00 25 00 00')]); // USE-CANDIDATE after integrity
    injected.writeUInt16BE(injected.length - 20, 2);
    const parsed = StunMessage.parse(injected)!;
    assert.equal(parsed.useCandidate, false);
    assert.ok(parsed.verifyIntegrity('pw'));
  });

  it('never throws on random and mutated input', () => {
    const valid = Buffer.from(SAMPLE_REQUEST);
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) {
        input = randomBytes(i % 200);
        if (input.length >= 8) input.writeUInt32BE(0x2112a442, 4);
        if (input.length >= 1) input[0] &= 0x03;
        if (input.length >= 4) input.writeUInt16BE(Math.max(0, input.length - 20) & ~3, 2);
      } else {
        input = Buffer.from(valid);
        const flips = 1 + (i % 5);
        for (let f = 0; f < flips; f++) input[(Math.random() * input.length) | 0] = (Math.random() * 256) | 0;
      }
      const parsed = StunMessage.parse(input);
      if (parsed) {
        // Whatever survives parsing must be safe to inspect and verify.
        void parsed.username;
        void parsed.priority;
        void parsed.xorMappedAddress;
        void parsed.errorCode;
        void parsed.iceControlling;
        parsed.verifyIntegrity(SAMPLE_PASSWORD);
        parsed.verifyFingerprint();
      }
    }
  });
});
