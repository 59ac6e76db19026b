import { hash } from 'node:crypto';
import { releaseBuffer } from '../releaseBuffer.ts';

const SHA1_BLOCK = 64;
const SHA1_DIGEST = 20;
const INITIAL_MESSAGE_CAPACITY = 2048;
const SHA1_INITIAL_STATE = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];

/**
 * HMAC-SHA1 (RFC 2104) with a fixed key, shaped for SRTP's per-packet tags.
 *
 * `createHmac` per packet costs ~14 µs on Node 24, and a native call returning a `Buffer` costs
 * ~1.5–2 µs more than one returning a short string. So:
 * - inner hash H(K⊕ipad ‖ m): the key's inner pad sits in front of a scratch copy of the message and
 *   one `crypto.hash(…, 'binary')` call hashes both (one memcpy, one native call, a 20-char string);
 * - outer hash H(K⊕opad ‖ inner): K⊕opad is one SHA-1 block, so its state is computed once and the
 *   per-packet work is a single SHA-1 compression in JavaScript (~0.4 µs, below a native call).
 * The MAC is left in `digest` (five big-endian words) for `writeTag`/`tagMatches`.
 */
export class HmacSha1 {
  /** K⊕ipad, copied in front of the message for each MAC (64 bytes: V8 keeps it inside the object's heap). */
  private readonly innerPad: Uint8Array;
  private readonly outerState: Int32Array;
  private readonly digest = new Int32Array(5);

  constructor(key: Buffer) {
    if (key.length > SHA1_BLOCK)
      throw new RangeError('HMAC-SHA1 keys longer than 64 bytes are not supported');
    this.innerPad = new Uint8Array(SHA1_BLOCK);
    const outerPad = Buffer.alloc(SHA1_BLOCK);
    for (let i = 0; i < SHA1_BLOCK; i++) {
      const keyByte = i < key.length ? key[i] : 0;
      this.innerPad[i] = keyByte ^ 0x36;
      outerPad[i] = keyByte ^ 0x5c;
    }
    this.outerState = Int32Array.from(SHA1_INITIAL_STATE);
    for (let i = 0; i < 16; i++) schedule[i] = outerPad.readInt32BE(i * 4);
    sha1Compress(this.outerState, schedule);
  }

  /** MAC of `buf[0, len)`. */
  compute(buf: Buffer, len: number): void {
    this.copyMessage(buf, len, 0);
    this.finish(len);
  }

  /** MAC of `buf[0, len) ‖ suffix`, `suffix` as a big-endian 32-bit word (SRTP's ROC). */
  computeWithSuffix(buf: Buffer, len: number, suffix: number): void {
    const inner = this.copyMessage(buf, len, 4);
    const at = SHA1_BLOCK + len;
    inner[at] = suffix >>> 24;
    inner[at + 1] = (suffix >>> 16) & 0xff;
    inner[at + 2] = (suffix >>> 8) & 0xff;
    inner[at + 3] = suffix & 0xff;
    this.finish(len + 4);
  }

  /** Writes the first `length` octets of the last MAC to `buf[offset…]`. */
  writeTag(buf: Buffer, offset: number, length: number): void {
    const digest = this.digest;
    for (let i = 0; i < length; i++) buf[offset + i] = digest[i >>> 2] >>> (24 - ((i & 3) << 3));
  }

  /** Compares without an early exit, so the time taken does not reveal how many octets matched. */
  tagMatches(buf: Buffer, offset: number, length: number): boolean {
    const digest = this.digest;
    let difference = 0;
    for (let i = 0; i < length; i++) {
      difference |= buf[offset + i] ^ ((digest[i >>> 2] >>> (24 - ((i & 3) << 3))) & 0xff);
    }
    return difference === 0;
  }

  private copyMessage(buf: Buffer, len: number, extra: number): Buffer {
    if (SHA1_BLOCK + len + extra > inner.length) growInner(len + extra);
    inner.set(this.innerPad, 0);
    inner.set(len === buf.length ? buf : buf.subarray(0, len), SHA1_BLOCK);
    return inner;
  }

  private finish(messageLength: number): void {
    const innerDigest = hash('sha1', inner.subarray(0, SHA1_BLOCK + messageLength), 'binary');
    for (let i = 0; i < 5; i++) {
      const at = i * 4;
      schedule[i] =
        (innerDigest.charCodeAt(at) << 24) |
        (innerDigest.charCodeAt(at + 1) << 16) |
        (innerDigest.charCodeAt(at + 2) << 8) |
        innerDigest.charCodeAt(at + 3);
    }
    // SHA-1 padding of the 84-byte outer message: 0x80, zeros, the bit length in the last word.
    schedule[5] = 0x80000000 | 0;
    for (let i = 6; i < 15; i++) schedule[i] = 0;
    schedule[15] = (SHA1_BLOCK + SHA1_DIGEST) * 8;
    this.digest.set(this.outerState);
    sha1Compress(this.digest, schedule);
  }
}

/**
 * Scratch shared by every HmacSha1 of the process (each MAC is computed synchronously): the inner
 * hash's input (K⊕ipad, then the message) and the SHA-1 message schedule. Per key only the pad and the
 * outer state are kept, where a copy of the scratch per key cost ~2.4 KiB, three per viewer.
 */
let inner = Buffer.alloc(SHA1_BLOCK + INITIAL_MESSAGE_CAPACITY);
const schedule = new Int32Array(80);

function growInner(messageLength: number): void {
  const grown = Buffer.alloc(SHA1_BLOCK + Math.max(messageLength, inner.length * 2));
  releaseBuffer(inner);
  inner = grown;
}

/** One SHA-1 block (FIPS 180-4 §6.1.2) on `state`; `schedule[0..15]` holds the block's words. */
function sha1Compress(state: Int32Array, schedule: Int32Array): void {
  for (let i = 16; i < 80; i++) {
    const x = schedule[i - 3] ^ schedule[i - 8] ^ schedule[i - 14] ^ schedule[i - 16];
    schedule[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  for (let i = 0; i < 20; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + schedule[i] + 0x5a827999) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 20; i < 40; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + schedule[i] + 0x6ed9eba1) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 40; i < 60; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + schedule[i] + 0x8f1bbcdc) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  for (let i = 60; i < 80; i++) {
    const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + schedule[i] + 0xca62c1d6) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
}
