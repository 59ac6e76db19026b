import { RTCP_RTPFB, RTPFB_TWCC, readUint16, readUint32, writeUint16, writeUint32 } from './rtcpHeader.ts';

/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1):
 * for each transport-wide sequence number from `baseSequence`, whether the packet arrived and, if so,
 * its arrival time as a delta from the previous arrival (the first from `referenceTime`).
 */
export interface TransportWideCcFeedback {
  type: 'twcc';
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  /** The 24-bit field as sent, in 64 ms units; it wraps (every ~12 days), so compare modulo 2^24. */
  referenceTime: number;
  /** Counts feedback packets (8 bits, wraps) so the sender can tell a lost feedback from a late one. */
  feedbackPacketCount: number;
  /** One per packet from `baseSequence`: TWCC_NOT_RECEIVED, TWCC_SMALL_DELTA or TWCC_LARGE_DELTA. */
  statuses: Uint8Array;
  /** One per received packet, in 250 µs ticks: 0..255 for a small delta, -32768..32767 for a large one. */
  deltaTicks: Int32Array;
}

export const TWCC_NOT_RECEIVED = 0;
export const TWCC_SMALL_DELTA = 1;
export const TWCC_LARGE_DELTA = 2;
export const TWCC_DELTA_TICK_US = 250;
export const TWCC_REFERENCE_TICK_US = 64_000;

export interface TransportWideCcFeedbackInit {
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  referenceTime: number;
  feedbackPacketCount: number;
  statuses: ArrayLike<number>;
  deltaTicks: ArrayLike<number>;
  /** How many of `statuses` to use (to pass preallocated arrays); default all. */
  statusCount?: number;
}

const MAX_RUN_LENGTH = 0x1fff;
const ONE_BIT_CAPACITY = 14;
const TWO_BIT_CAPACITY = 7;

export function parseTransportWideCc(
  buf: Buffer,
  start: number,
  end: number,
): TransportWideCcFeedback | undefined {
  if (start + 16 > end) return undefined;
  const statusCount = readUint16(buf, start + 10);
  const statuses = new Uint8Array(statusCount);
  let pos = start + 16;
  let index = 0;
  let received = 0;
  while (index < statusCount) {
    if (pos + 2 > end) return undefined;
    const chunk = readUint16(buf, pos);
    pos += 2;
    if ((chunk & 0x8000) === 0) {
      const symbol = (chunk >> 13) & 0x03;
      if (symbol === 3) return undefined;
      const run = Math.min(chunk & MAX_RUN_LENGTH, statusCount - index);
      statuses.fill(symbol, index, index + run);
      index += run;
      if (symbol !== TWCC_NOT_RECEIVED) received += run;
    } else if ((chunk & 0x4000) === 0) {
      for (let k = 0; k < ONE_BIT_CAPACITY && index < statusCount; k++) {
        const symbol = (chunk >> (ONE_BIT_CAPACITY - 1 - k)) & 0x01;
        statuses[index++] = symbol;
        received += symbol;
      }
    } else {
      for (let k = 0; k < TWO_BIT_CAPACITY && index < statusCount; k++) {
        const symbol = (chunk >> (2 * (TWO_BIT_CAPACITY - 1 - k))) & 0x03;
        if (symbol === 3) return undefined;
        statuses[index++] = symbol;
        if (symbol !== TWCC_NOT_RECEIVED) received++;
      }
    }
  }
  const deltaTicks = new Int32Array(received);
  let d = 0;
  for (let i = 0; i < statusCount; i++) {
    const status = statuses[i]!;
    if (status === TWCC_SMALL_DELTA) {
      if (pos + 1 > end) return undefined;
      deltaTicks[d++] = buf[pos++]!;
    } else if (status === TWCC_LARGE_DELTA) {
      if (pos + 2 > end) return undefined;
      deltaTicks[d++] = (readUint16(buf, pos) << 16) >> 16;
      pos += 2;
    }
  }
  return {
    type: 'twcc',
    senderSsrc: readUint32(buf, start),
    mediaSsrc: readUint32(buf, start + 4),
    baseSequence: readUint16(buf, start + 8),
    referenceTime: (buf[start + 12]! << 16) | (buf[start + 13]! << 8) | buf[start + 14]!,
    feedbackPacketCount: buf[start + 15]!,
    statuses,
    deltaTicks,
  };
}

/**
 * Encodes one feedback packet. Chunks are chosen as libwebrtc does (run length when a run allows it,
 * else two-bit vectors of 7 or one-bit vectors of 14), and the packet is padded to 32 bits with the P bit
 * and a count byte, as Chromium sends and expects. Throws RangeError on statuses that do not match
 * the deltas: the input comes from our own code, not from the network.
 */
export function buildTransportWideCcFeedback(init: TransportWideCcFeedbackInit): Buffer {
  const { statuses, deltaTicks } = init;
  const count = init.statusCount ?? statuses.length;
  if (count > 0xffff || count > statuses.length)
    throw new RangeError(`TWCC status count ${count} out of range`);
  let deltaBytes = 0;
  let d = 0;
  for (let i = 0; i < count; i++) {
    const status = statuses[i]!;
    if (status === TWCC_NOT_RECEIVED) continue;
    const delta = deltaTicks[d++];
    if (delta === undefined) throw new RangeError('TWCC: fewer deltas than received packets');
    if (status === TWCC_SMALL_DELTA && Number.isInteger(delta) && delta >= 0 && delta <= 255) deltaBytes += 1;
    else if (status === TWCC_LARGE_DELTA && Number.isInteger(delta) && delta >= -32768 && delta <= 32767)
      deltaBytes += 2;
    else throw new RangeError(`TWCC: status ${status} cannot carry delta ${delta} (packet ${i})`);
  }
  const chunks = encodeStatusChunks(statuses, count);
  const unpadded = 20 + chunks.length * 2 + deltaBytes;
  const padding = (4 - (unpadded % 4)) % 4;
  const length = unpadded + padding;
  const out = Buffer.alloc(length);
  const words = length / 4 - 1;
  out[0] = 0x80 | (padding > 0 ? 0x20 : 0) | RTPFB_TWCC;
  out[1] = RTCP_RTPFB;
  out[2] = words >> 8;
  out[3] = words & 0xff;
  writeUint32(out, 4, init.senderSsrc);
  writeUint32(out, 8, init.mediaSsrc);
  writeUint16(out, 12, init.baseSequence);
  writeUint16(out, 14, count);
  const reference = init.referenceTime & 0xffffff;
  out[16] = reference >> 16;
  out[17] = (reference >> 8) & 0xff;
  out[18] = reference & 0xff;
  out[19] = init.feedbackPacketCount & 0xff;
  let pos = 20;
  for (const chunk of chunks) {
    writeUint16(out, pos, chunk);
    pos += 2;
  }
  d = 0;
  for (let i = 0; i < count; i++) {
    const status = statuses[i]!;
    if (status === TWCC_SMALL_DELTA) out[pos++] = deltaTicks[d++]!;
    else if (status === TWCC_LARGE_DELTA) {
      writeUint16(out, pos, deltaTicks[d++]! & 0xffff);
      pos += 2;
    }
  }
  if (padding > 0) out[length - 1] = padding;
  return out;
}

/**
 * Status symbols → 16-bit packet chunks, greedily as libwebrtc's TransportFeedback::LastChunk: symbols
 * gather until the next one fits no chunk kind, then the widest chunk that holds them is emitted.
 */
export function encodeStatusChunks(statuses: ArrayLike<number>, count: number): number[] {
  const chunks: number[] = [];
  const pending = new Uint8Array(ONE_BIT_CAPACITY);
  let size = 0;
  let allSame = true;
  let hasLarge = false;

  const canAdd = (symbol: number): boolean => {
    if (size < TWO_BIT_CAPACITY) return true;
    if (size < ONE_BIT_CAPACITY && !hasLarge && symbol !== TWCC_LARGE_DELTA) return true;
    return size < MAX_RUN_LENGTH && allSame && symbol === pending[0];
  };
  const add = (symbol: number): void => {
    if (size < ONE_BIT_CAPACITY) pending[size] = symbol;
    size++;
    allSame = allSame && symbol === pending[0];
    hasLarge = hasLarge || symbol === TWCC_LARGE_DELTA;
  };
  const runLength = (): number => (pending[0]! << 13) | size;
  const oneBit = (): number => {
    let chunk = 0x8000;
    for (let i = 0; i < size; i++) chunk |= pending[i]! << (ONE_BIT_CAPACITY - 1 - i);
    return chunk;
  };
  const twoBit = (n: number): number => {
    let chunk = 0xc000;
    for (let i = 0; i < n; i++) chunk |= pending[i]! << (2 * (TWO_BIT_CAPACITY - 1 - i));
    return chunk;
  };
  const emit = (): number => {
    if (allSame) {
      const chunk = runLength();
      size = 0;
      allSame = true;
      hasLarge = false;
      return chunk;
    }
    if (size === ONE_BIT_CAPACITY) {
      const chunk = oneBit();
      size = 0;
      allSame = true;
      hasLarge = false;
      return chunk;
    }
    const chunk = twoBit(TWO_BIT_CAPACITY);
    size -= TWO_BIT_CAPACITY;
    allSame = true;
    hasLarge = false;
    for (let i = 0; i < size; i++) {
      const symbol = pending[TWO_BIT_CAPACITY + i]!;
      pending[i] = symbol;
      allSame = allSame && symbol === pending[0];
      hasLarge = hasLarge || symbol === TWCC_LARGE_DELTA;
    }
    return chunk;
  };

  for (let i = 0; i < count; i++) {
    const symbol = statuses[i]!;
    if (!canAdd(symbol)) chunks.push(emit());
    add(symbol);
  }
  if (size > 0) {
    if (allSame) chunks.push(runLength());
    else if (size <= TWO_BIT_CAPACITY) chunks.push(twoBit(size));
    else chunks.push(oneBit());
  }
  return chunks;
}
