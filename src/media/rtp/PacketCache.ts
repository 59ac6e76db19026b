import { rtpSequence, rtpSsrc } from './rtpHeader.ts';
import { sequenceDelta } from './sequenceNumber.ts';

export interface PacketCacheOptions {
  /**
   * Packets kept per SSRC, rounded up to a power of two; default 2048 (about 2.7 s of a 3 Mbit/s stream
   * of 1200-byte packets). Memory per SSRC is capacity × maxPacketSize: use a smaller cache for audio.
   */
  capacity?: number;
  /** Larger packets are not cached; default 1500. */
  maxPacketSize?: number;
}

/** The slab and bookkeeping of one SSRC. Sequence numbers are unwrapped so wrap and staleness are plain comparisons. */
interface SsrcRing {
  slab: Buffer;
  lengths: Int32Array;
  /** Unwrapped sequence number held by each slot; -1 when empty. */
  sequences: Float64Array;
  highest: number;
  started: boolean;
}

const FREE_RING_LIMIT = 8;
/** Added to the first sequence number seen so that reordered earlier packets unwrap to positive numbers. */
const UNWRAP_BASE = 1 << 20;

/**
 * Keeps the most recent plain RTP packets of each SSRC to answer NACKs. Each SSRC owns one slab of
 * `capacity` fixed-size slots allocated on its first packet (and reused after `clear`), so storing a
 * packet is one copy and no allocation. The slot is the sequence number modulo capacity: a newer packet
 * evicts the one `capacity` sequence numbers older, whatever the arrival order.
 */
export class PacketCache {
  readonly capacity: number;
  readonly maxPacketSize: number;
  readonly #mask: number;
  readonly #rings = new Map<number, SsrcRing>();
  readonly #freeRings: SsrcRing[] = [];

  constructor(options: PacketCacheOptions = {}) {
    const requested = Math.max(1, Math.floor(options.capacity ?? 2048));
    let capacity = 1;
    while (capacity < requested) capacity *= 2;
    if (capacity > 32768)
      throw new RangeError('PacketCache capacity must be at most 32768 (half the sequence space)');
    this.capacity = capacity;
    this.#mask = capacity - 1;
    this.maxPacketSize = options.maxPacketSize ?? 1500;
  }

  /** Copies RTP packet `buf[0..len)`; false when not stored (too short, too large, or too old). */
  put(buf: Buffer, len: number): boolean {
    if (len < 12 || len > this.maxPacketSize || len > buf.length) return false;
    const ssrc = rtpSsrc(buf);
    let ring = this.#rings.get(ssrc);
    if (ring === undefined) {
      ring = this.#takeRing();
      this.#rings.set(ssrc, ring);
    }
    const sequence = rtpSequence(buf);
    let unwrapped: number;
    if (!ring.started) {
      ring.started = true;
      unwrapped = sequence + UNWRAP_BASE;
      ring.highest = unwrapped;
    } else {
      unwrapped = ring.highest + sequenceDelta(sequence, ring.highest & 0xffff);
      if (unwrapped > ring.highest) ring.highest = unwrapped;
      else if (unwrapped <= ring.highest - this.capacity) return false;
    }
    const slot = unwrapped & this.#mask;
    buf.copy(ring.slab, slot * this.maxPacketSize, 0, len);
    ring.lengths[slot] = len;
    ring.sequences[slot] = unwrapped;
    return true;
  }

  /**
   * The cached packet, or undefined. `buf` is a view into the cache: it is overwritten once the slot is
   * reused, so copy it (e.g. with `writeEgressPacket`) before anything asynchronous.
   */
  get(ssrc: number, sequence: number): { buf: Buffer; len: number } | undefined {
    const ring = this.#rings.get(ssrc);
    if (ring === undefined || !ring.started) return undefined;
    const unwrapped = ring.highest + sequenceDelta(sequence, ring.highest & 0xffff);
    if (unwrapped > ring.highest || unwrapped <= ring.highest - this.capacity) return undefined;
    const slot = unwrapped & this.#mask;
    if (ring.sequences[slot] !== unwrapped) return undefined;
    const len = ring.lengths[slot]!;
    const start = slot * this.maxPacketSize;
    return { buf: ring.slab.subarray(start, start + len), len };
  }

  has(ssrc: number): boolean {
    return this.#rings.has(ssrc);
  }

  /** Forgets one SSRC; its slab is kept for the next new SSRC. */
  clear(ssrc: number): void {
    const ring = this.#rings.get(ssrc);
    if (ring === undefined) return;
    this.#rings.delete(ssrc);
    if (this.#freeRings.length < FREE_RING_LIMIT) {
      ring.started = false;
      ring.sequences.fill(-1);
      this.#freeRings.push(ring);
    }
  }

  /** Forgets everything and releases the memory. */
  close(): void {
    this.#rings.clear();
    this.#freeRings.length = 0;
  }

  #takeRing(): SsrcRing {
    const free = this.#freeRings.pop();
    if (free !== undefined) return free;
    return {
      slab: Buffer.allocUnsafeSlow(this.capacity * this.maxPacketSize),
      lengths: new Int32Array(this.capacity),
      sequences: new Float64Array(this.capacity).fill(-1),
      highest: 0,
      started: false,
    };
  }
}
