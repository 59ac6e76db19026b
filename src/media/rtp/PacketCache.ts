import { rtpSequence, rtpSsrc } from './rtpHeader.ts';
import { sequenceDelta } from './sequenceNumber.ts';

export interface PacketCacheOptions {
  /**
   * Most packets kept per SSRC, rounded up to a power of two; default 2048 (about 5 s of a 3 Mbit/s
   * stream of 1200-byte packets). The index costs 20 bytes per packet; the bytes are bounded below.
   */
  capacity?: number;
  /** Larger packets are not cached; default 1500. */
  maxPacketSize?: number;
  /**
   * The cache holds at least this much of each stream: a slab that one pass of the stream fills in less
   * time is doubled (up to maxBytes). Default 1000 ms, enough for NACKs: a viewer asks within an RTT.
   */
  minRetentionMs?: number;
  /** First slab per SSRC; default 64 KiB (about 6 s of Opus, 0.17 s of 3 Mbit/s video). */
  initialBytes?: number;
  /** Largest slab per SSRC; default capacity × maxPacketSize. */
  maxBytes?: number;
}

/** The slab and bookkeeping of one SSRC. Sequence numbers are unwrapped so wrap and staleness are plain comparisons. */
interface SsrcRing {
  /** A byte ring: packets are stored back to back, never across its end. */
  slab: Buffer;
  /** Bytes ever written to the ring (gaps at its end included): the slab holds the last slab.length of them. */
  written: number;
  /** When the current pass over the slab began. */
  passStartMs: number;
  /** Per slot: where its packet starts, in `written` terms. */
  starts: Float64Array;
  lengths: Int32Array;
  /** Unwrapped sequence number held by each slot; -1 when empty. */
  sequences: Float64Array;
  highest: number;
  started: boolean;
}

const FREE_RING_LIMIT = 8;
/** Added to the first sequence number seen so that reordered earlier packets unwrap to positive numbers. */
const UNWRAP_BASE = 1 << 20;
const DEFAULT_INITIAL_BYTES = 64 * 1024;

/**
 * Keeps the most recent plain RTP packets of each SSRC to answer NACKs. Each SSRC owns one byte ring
 * allocated on its first packet (and reused after `clear`), so storing a packet is one copy and no
 * allocation. The ring is sized by time, not by packet count: it starts small and doubles whenever one
 * pass over it took less than `minRetentionMs`, so a 3 Mbit/s video settles at 512 KiB and Opus stays at
 * the initial 64 KiB, where a fixed slot of the largest packet size per sequence number cost 3 MiB per
 * SSRC whatever the bit rate. A packet's index slot is its sequence number modulo capacity, and the
 * packet is served while neither its slot nor its bytes were reused, whatever the arrival order.
 */
export class PacketCache {
  readonly capacity: number;
  readonly maxPacketSize: number;
  readonly #mask: number;
  readonly #minRetentionMs: number;
  readonly #initialBytes: number;
  readonly #maxBytes: number;
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
    this.#minRetentionMs = options.minRetentionMs ?? 1000;
    const maxBytes = Math.max(this.maxPacketSize, options.maxBytes ?? capacity * this.maxPacketSize);
    this.#initialBytes = Math.min(
      maxBytes,
      Math.max(this.maxPacketSize, options.initialBytes ?? DEFAULT_INITIAL_BYTES),
    );
    // Every size is the initial one times a power of two, so a packet never crosses a multiple of any.
    let largest = this.#initialBytes;
    while (largest * 2 <= maxBytes) largest *= 2;
    this.#maxBytes = largest;
  }

  /** Bytes of slab held for `ssrc` (0 when none): for tests and memory accounting. */
  slabBytes(ssrc: number): number {
    return this.#rings.get(ssrc)?.slab.length ?? 0;
  }

  /** Copies RTP packet `buf[0..len)`; false when not stored (too short, too large, or too old). */
  put(buf: Buffer, len: number, nowMs: number = Date.now()): boolean {
    if (len < 12 || len > this.maxPacketSize || len > buf.length) return false;
    const ssrc = rtpSsrc(buf);
    let ring = this.#rings.get(ssrc);
    if (ring === undefined) {
      ring = this.#takeRing(nowMs);
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
    let size = ring.slab.length;
    let at = ring.written % size;
    if (at + len > size) {
      ring.written += size - at;
      at = 0;
    }
    if (at === 0 && ring.written > 0) {
      if (nowMs - ring.passStartMs < this.#minRetentionMs && size < this.#maxBytes) {
        this.#grow(ring);
        size = ring.slab.length;
        at = ring.written % size;
      }
      if (at === 0) ring.passStartMs = nowMs;
    }
    const slot = unwrapped & this.#mask;
    buf.copy(ring.slab, at, 0, len);
    ring.starts[slot] = ring.written;
    ring.lengths[slot] = len;
    ring.sequences[slot] = unwrapped;
    ring.written += len;
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
    const start = ring.starts[slot]!;
    const size = ring.slab.length;
    if (start < ring.written - size) return undefined;
    const len = ring.lengths[slot]!;
    const at = start % size;
    return { buf: ring.slab.subarray(at, at + len), len };
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
      ring.written = 0;
      ring.sequences.fill(-1);
      this.#freeRings.push(ring);
    }
  }

  /** Forgets everything and releases the memory. */
  close(): void {
    this.#rings.clear();
    this.#freeRings.length = 0;
  }

  /**
   * Doubles the slab, keeping what is still served. Packets never cross a multiple of the old size, so
   * none crosses one of the new size either, and the live bytes (less than the old size) land at
   * distinct places of the new slab; packets the old slab had already overwritten are forgotten.
   */
  #grow(ring: SsrcRing): void {
    const oldSize = ring.slab.length;
    const newSize = oldSize * 2;
    const slab = Buffer.allocUnsafeSlow(newSize);
    const oldest = ring.written - oldSize;
    for (let slot = 0; slot < this.capacity; slot++) {
      if (ring.sequences[slot] === -1) continue;
      const start = ring.starts[slot]!;
      if (start < oldest) {
        ring.sequences[slot] = -1;
        continue;
      }
      const from = start % oldSize;
      ring.slab.copy(slab, start % newSize, from, from + ring.lengths[slot]!);
    }
    ring.slab = slab;
  }

  #takeRing(nowMs: number): SsrcRing {
    const free = this.#freeRings.pop();
    if (free !== undefined) {
      free.passStartMs = nowMs;
      return free;
    }
    return {
      slab: Buffer.allocUnsafeSlow(this.#initialBytes),
      written: 0,
      passStartMs: nowMs,
      starts: new Float64Array(this.capacity),
      lengths: new Int32Array(this.capacity),
      sequences: new Float64Array(this.capacity).fill(-1),
      highest: 0,
      started: false,
    };
  }
}
