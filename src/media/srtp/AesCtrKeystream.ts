import { type Cipheriv, createCipheriv } from 'node:crypto';
import { releaseBuffer } from '../releaseBuffer.ts';

const BLOCK = 16;
const INITIAL_BLOCKS = 128;
/** The 16-bit block counter of AES-CM limits one packet's keystream to 2^16 blocks (RFC 3711 §4.1.1). */
const MAX_BLOCKS_PER_PACKET = 0x10000;

/**
 * AES-128 counter mode (RFC 3711 §4.1.1) for one session key and salt.
 *
 * A `createCipheriv('aes-128-ctr')` per packet costs ~17 µs on Node 24 (the OpenSSL 3 cipher fetch and
 * context setup), more than the encryption itself. Instead one `aes-128-ecb` context lives as long as
 * the session key and encrypts a reusable buffer of counter blocks; its output is the CTR keystream.
 * Each `update` call still costs ~2 µs on its own (mostly allocating the output Buffer) against ~0.3 ns
 * per byte of AES, so `generate` can produce the keystream of several consecutive packets at once.
 *
 * Counter block j of packet index i is `salt·2^16 ⊕ ssrc·2^64 ⊕ i·2^16 + j`. It is written byte by byte
 * into the packet's first block, read back as native-endian words and copied to its other blocks (the
 * block number OR-ed into the last word), so host byte order never matters.
 */
export class AesCtrKeystream {
  private readonly ecb: Cipheriv;
  /** 14 bytes: a typed array that small lives in V8's heap, where a Buffer would pin a pool slab. */
  private readonly salt: Uint8Array;

  constructor(sessionKey: Buffer, sessionSalt: Buffer) {
    if (sessionKey.length !== 16) throw new RangeError('AES-CM session key must be 16 bytes');
    if (sessionSalt.length !== 14) throw new RangeError('AES-CM session salt must be 14 bytes');
    this.ecb = createCipheriv('aes-128-ecb', sessionKey, null);
    this.ecb.setAutoPadding(false);
    this.salt = Uint8Array.from(sessionSalt);
  }

  /**
   * XORs the keystream of packet `index` of `ssrc` over `buf[start, end)`. For SRTP the index is the
   * 48-bit ROC·2^16 + SEQ, for SRTCP the 31-bit SRTCP index.
   */
  apply(buf: Buffer, start: number, end: number, ssrc: number, index: number): void {
    const length = end - start;
    if (length <= 0) return;
    const bytes = (length + BLOCK - 1) & ~(BLOCK - 1);
    if (single.length < bytes) {
      releaseBuffer(single);
      single = Buffer.allocUnsafeSlow(bytes);
    }
    xorKeystream(buf, start, length, this.generate(ssrc, index, 1, bytes, single), 0);
  }

  /**
   * The keystreams of packets `firstIndex … firstIndex+packetCount-1`, `bytesPerPacket` (a multiple of
   * 16) each, back to back in `into` (a new Buffer when not given or too short), which is returned.
   *
   * The cipher's output comes back as a latin1 string and is written into `into`: `update()` returning a
   * Buffer would allocate a new external backing store per call, and that garbage (tens of MB/s on a
   * busy worker) stays resident until V8's next GC; the string lives in the young generation and the
   * native output buffer is freed at once. It costs no more CPU than the Buffer form.
   */
  generate(
    ssrc: number,
    firstIndex: number,
    packetCount: number,
    bytesPerPacket: number,
    into?: Buffer,
  ): Buffer {
    const blocksPerPacket = bytesPerPacket >>> 4;
    if (blocksPerPacket > MAX_BLOCKS_PER_PACKET)
      throw new RangeError('AES-CM keystream longer than 2^16 blocks');
    const totalBlocks = blocksPerPacket * packetCount;
    if (totalBlocks > counterCapacityBlocks) growCounters(totalBlocks);
    const counters = counterBytes;
    const words = counterWords;
    const numbers = blockNumbers;
    const salt = this.salt;
    let block = 0;
    for (let packet = 0; packet < packetCount; packet++) {
      const index = firstIndex + packet;
      const high = Math.floor(index / 0x10000);
      const offset = block * BLOCK;
      counters[offset] = salt[0];
      counters[offset + 1] = salt[1];
      counters[offset + 2] = salt[2];
      counters[offset + 3] = salt[3];
      counters[offset + 4] = salt[4] ^ (ssrc >>> 24);
      counters[offset + 5] = salt[5] ^ ((ssrc >>> 16) & 0xff);
      counters[offset + 6] = salt[6] ^ ((ssrc >>> 8) & 0xff);
      counters[offset + 7] = salt[7] ^ (ssrc & 0xff);
      counters[offset + 8] = salt[8] ^ (high >>> 24);
      counters[offset + 9] = salt[9] ^ ((high >>> 16) & 0xff);
      counters[offset + 10] = salt[10] ^ ((high >>> 8) & 0xff);
      counters[offset + 11] = salt[11] ^ (high & 0xff);
      counters[offset + 12] = salt[12] ^ ((index >>> 8) & 0xff);
      counters[offset + 13] = salt[13] ^ (index & 0xff);
      counters[offset + 14] = 0;
      counters[offset + 15] = 0;
      const saltWord = words[block * 4];
      const ssrcWord = words[block * 4 + 1];
      const highWord = words[block * 4 + 2];
      const lastWord = words[block * 4 + 3];
      for (let j = 1; j < blocksPerPacket; j++) {
        const b = block + j;
        words[b * 4] = saltWord;
        words[b * 4 + 1] = ssrcWord;
        words[b * 4 + 2] = highWord;
        words[b * 4 + 3] = lastWord | numbers[j];
      }
      block += blocksPerPacket;
    }
    const bytes = block * BLOCK;
    const output = into !== undefined && into.length >= bytes ? into : Buffer.allocUnsafe(bytes);
    const keystream = this.ecb.update(
      block === counterCapacityBlocks ? counters : counters.subarray(0, bytes),
      undefined,
      'latin1',
    );
    output.write(keystream, 0, bytes, 'latin1');
    return output;
  }
}

/**
 * The counter blocks and the one-packet keystream are scratch, shared by every AesCtrKeystream of the
 * process: `generate` fills and consumes them synchronously, and only the cipher context (and salt) is
 * per session key. Per session they cost ~12 KiB, most of what a viewer's SRTP state weighed.
 */
let counterBytes = Buffer.alloc(0);
let counterWords = new Uint32Array(0);
let counterCapacityBlocks = 0;
/** Block numbers 0, 1, 2… as native-order 32-bit words holding them big-endian in octets 14–15. */
let blockNumbers = new Uint32Array(0);
/** Keystream of one packet for `apply`. */
let single = Buffer.allocUnsafeSlow(INITIAL_BLOCKS * BLOCK);
growCounters(INITIAL_BLOCKS);

function growCounters(minBlocks: number): void {
  const blocks = Math.max(minBlocks, counterCapacityBlocks * 2, INITIAL_BLOCKS);
  releaseBuffer(counterBytes);
  releaseBuffer(blockNumbers);
  counterBytes = Buffer.alloc(blocks * BLOCK);
  counterWords = new Uint32Array(counterBytes.buffer, counterBytes.byteOffset, blocks * 4);
  const numbers = new Uint32Array(Math.min(blocks, MAX_BLOCKS_PER_PACKET));
  const word = new Uint32Array(1);
  const wordBytes = Buffer.from(word.buffer);
  for (let j = 0; j < numbers.length; j++) {
    wordBytes.writeUInt16BE(j, 2);
    numbers[j] = word[0];
  }
  blockNumbers = numbers;
  counterCapacityBlocks = blocks;
}

/**
 * Views over the last target and source ArrayBuffers (receive buffers and keystream batches are reused
 * across packets), so the XOR allocates nothing per packet.
 */
let targetBacking: ArrayBufferLike | undefined;
let targetWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
let sourceBacking: ArrayBufferLike | undefined;
let sourceWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
/** Word-aligned copy of a keystream whose alignment does not match the target's. */
let realigned = new Int32Array(512);

/**
 * `buf[start, start+length) ^= keystream[from, from+length)`, 32 bits at a time: bytes up to the
 * target's next 4-byte boundary first, then words (the keystream is copied to an aligned scratch if its
 * alignment differs, e.g. for RTP over TCP with its 2-byte framing), then the tail bytes.
 */
export function xorKeystream(
  buf: Buffer,
  start: number,
  length: number,
  keystream: Buffer,
  from: number,
): void {
  let done = (4 - ((buf.byteOffset + start) & 3)) & 3;
  if (done > length) done = length;
  for (let i = 0; i < done; i++) buf[start + i] ^= keystream[from + i];
  const words = (length - done) >>> 2;
  if (words > 0) {
    const target = buf.byteOffset + start + done;
    const targetView = wordsOfTarget(buf.buffer, target + words * 4);
    let sourceView: Int32Array<ArrayBufferLike>;
    let s: number;
    const source = keystream.byteOffset + from + done;
    if ((source & 3) === 0) {
      sourceView = wordsOfSource(keystream.buffer, source + words * 4);
      s = source >>> 2;
    } else {
      if (realigned.length < words) realigned = new Int32Array(words);
      new Uint8Array(realigned.buffer, 0, words * 4).set(
        keystream.subarray(from + done, from + done + words * 4),
      );
      sourceView = realigned;
      s = 0;
    }
    const t = target >>> 2;
    for (let i = 0; i < words; i++) targetView[t + i] ^= sourceView[s + i];
    done += words * 4;
  }
  for (let i = done; i < length; i++) buf[start + i] ^= keystream[from + i];
}

function wordsOfTarget(backing: ArrayBufferLike, endByte: number): Int32Array<ArrayBufferLike> {
  if (backing !== targetBacking || targetWords.length * 4 < endByte) {
    targetBacking = backing;
    targetWords = new Int32Array(backing, 0, backing.byteLength >>> 2);
  }
  return targetWords;
}

function wordsOfSource(backing: ArrayBufferLike, endByte: number): Int32Array<ArrayBufferLike> {
  if (backing !== sourceBacking || sourceWords.length * 4 < endByte) {
    sourceBacking = backing;
    sourceWords = new Int32Array(backing, 0, backing.byteLength >>> 2);
  }
  return sourceWords;
}
