import { releaseBuffer } from '../releaseBuffer.ts';
import { rtpSequence, rtpSsrc } from './rtpHeader.ts';
import { sequenceDelta } from './sequenceNumber.ts';

export interface PacketCacheOptions {
  /**
   * Most packets kept per SSRC, rounded up to a power of two; default 2048 (about 5 s of a 3 Mbit/s
   * stream of 1200-byte packets). Each SSRC's index starts smaller (256 slots) and doubles up to this
   * whenever a packet would take the slot of one its slab still holds; a slot costs 20 bytes.
   */
  capacity?: number;
  /** Larger packets are not cached; default 1500. */
  maxPacketSize?: number;
  /**
   * The cache holds at least this much of each stream: a slab that one pass of the stream fills in less
   * time (twice in a row, or once in less than 3/4 of it) is doubled (up to maxBytes), and one that
   * twice in a row holds more than 2.5 times this is halved (down to initialBytes). Default 1000 ms,
   * enough for NACKs: a viewer asks within an RTT. The owner may change it later (minRetentionMs), e.g.
   * as the viewers' round-trip times become known; the slabs follow over their next passes.
   */
  minRetentionMs?: number;
  /** First and smallest slab per SSRC; default 16 KiB (about 2 s of Opus, 0.04 s of 3 Mbit/s video). */
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
  /** Slots of this SSRC's index − 1 (a power of two − 1, at most the cache's capacity − 1). */
  mask: number;
  highest: number;
  started: boolean;
  /** Consecutive passes that took less than minRetentionMs, or more than SHRINK_FACTOR times it. */
  shortPasses: number;
  longPasses: number;
}

const FREE_RING_LIMIT = 8;
/** Added to the first sequence number seen so that reordered earlier packets unwrap to positive numbers. */
const UNWRAP_BASE = 1 << 20;
const DEFAULT_INITIAL_BYTES = 16 * 1024;
const INITIAL_INDEX_SLOTS = 256;
/** A slab whose passes hold this many times minRetentionMs is halved: the half still holds 1.25 times it. */
const SHRINK_FACTOR = 2.5;
/**
 * Passes in a row that must agree before a slab is resized, so that one burst (a stalled sender, or
 * this process, catching up) does not; a pass shorter than GROW_AT_ONCE_BELOW × minRetentionMs grows the
 * slab at once (a new stream reaches its size within its first second), as a burst that short is rare.
 */
const PASSES_TO_RESIZE = 2;
const GROW_AT_ONCE_BELOW = 0.75;

/**
 * Keeps the most recent plain RTP packets of each SSRC to answer NACKs. Each SSRC owns one byte ring
 * allocated on its first packet (and reused after `clear`), so storing a packet is one copy and no
 * allocation. The ring is sized by time, not by packet count: it starts small and doubles when passes
 * over it take less than `minRetentionMs`, and halves when they take far more, so a 3 Mbit/s video
 * settles at 512 KiB and Opus stays at the initial 16 KiB, where a fixed slot of the largest packet size
 * per sequence number cost 3 MiB per SSRC whatever the bit rate. Unless a pass was far too short, a
 * resize needs two passes in a row that agree: one short pass is what a burst looks like (a sender or
 * this process catching up after a stall), and growing on it left video slabs at 1–2 MiB for good. An
 * outgrown slab is freed at once (releaseBuffer), not at V8's next mark-compact. A packet's index slot
 * is its sequence number modulo the SSRC's index size, and the packet is served while neither its slot
 * nor its bytes were reused, whatever the arrival order.
 */
export class PacketCache {
  readonly capacity: number;
  readonly maxPacketSize: number;
  #minRetentionMs: number;
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

  get minRetentionMs(): number {
    return this.#minRetentionMs;
  }

  /** From the next pass on, slabs are sized to hold at least this long of their streams. */
  set minRetentionMs(ms: number) {
    if (!(ms > 0)) throw new RangeError('PacketCache retention must be a positive number of milliseconds');
    this.#minRetentionMs = ms;
  }

  /** Bytes held for every SSRC (slabs and their indexes, spare rings included): for memory accounting. */
  heldBytes(): number {
    let bytes = 0;
    for (const ring of [...this.#rings.values(), ...this.#freeRings])
      bytes +=
        ring.slab.length + ring.starts.byteLength + ring.lengths.byteLength + ring.sequences.byteLength;
    return bytes;
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
      else if (unwrapped <= ring.highest - ring.mask - 1) return false;
    }
    let size = ring.slab.length;
    let at = ring.written % size;
    if (at + len > size) {
      ring.written += size - at;
      at = 0;
    }
    if (at === 0 && ring.written > 0) {
      this.#passEnded(ring, nowMs);
      size = ring.slab.length;
      at = ring.written % size;
      if (at === 0) ring.passStartMs = nowMs;
    }
    let slot = unwrapped & ring.mask;
    // The slot holds another packet still in the slab: the index, not the slab, would limit what is kept.
    if (
      ring.mask + 1 < this.capacity &&
      ring.sequences[slot] !== -1 &&
      ring.sequences[slot] !== unwrapped &&
      ring.starts[slot]! >= ring.written - size
    ) {
      this.#growIndex(ring);
      slot = unwrapped & ring.mask;
    }
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
    if (unwrapped > ring.highest || unwrapped <= ring.highest - ring.mask - 1) return undefined;
    const slot = unwrapped & ring.mask;
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
      ring.shortPasses = 0;
      ring.longPasses = 0;
      ring.sequences.fill(-1);
      this.#freeRings.push(ring);
    }
  }

  /** Forgets everything and releases the memory at once (views from `get` read as empty afterwards). */
  close(): void {
    for (const ring of [...this.#rings.values(), ...this.#freeRings]) {
      releaseBuffer(ring.slab);
      releaseBuffer(ring.starts);
      releaseBuffer(ring.lengths);
      releaseBuffer(ring.sequences);
    }
    this.#rings.clear();
    this.#freeRings.length = 0;
  }

  /**
   * One pass over the slab is complete (`ring.written` is a multiple of its size): resizes the slab when
   * the last passes agree that it holds too little or far too much.
   */
  #passEnded(ring: SsrcRing, nowMs: number): void {
    const passMs = nowMs - ring.passStartMs;
    const size = ring.slab.length;
    if (passMs < this.#minRetentionMs) {
      ring.longPasses = 0;
      ring.shortPasses++;
      const farTooShort = passMs < this.#minRetentionMs * GROW_AT_ONCE_BELOW;
      if (size < this.#maxBytes && (farTooShort || ring.shortPasses >= PASSES_TO_RESIZE))
        this.#resize(ring, size * 2);
    } else if (passMs >= this.#minRetentionMs * SHRINK_FACTOR) {
      ring.shortPasses = 0;
      ring.longPasses++;
      if (size > this.#initialBytes && ring.longPasses >= PASSES_TO_RESIZE) this.#resize(ring, size / 2);
    } else {
      ring.shortPasses = 0;
      ring.longPasses = 0;
    }
  }

  /**
   * A new slab of `newSize` (twice or half the old one) with what it can still serve. Packets never cross
   * a multiple of the smaller of the two sizes (growing: none crosses one of the old size; shrinking:
   * those that would are dropped), and the live bytes, less than that size, land at distinct places.
   * Packets the old slab had already overwritten, or that do not fit the smaller one, are forgotten.
   */
  #resize(ring: SsrcRing, newSize: number): void {
    const oldSize = ring.slab.length;
    const slab = Buffer.allocUnsafeSlow(newSize);
    const oldest = ring.written - Math.min(oldSize, newSize);
    for (let slot = 0; slot <= ring.mask; slot++) {
      if (ring.sequences[slot] === -1) continue;
      const start = ring.starts[slot]!;
      const length = ring.lengths[slot]!;
      const to = start % newSize;
      if (start < oldest || to + length > newSize) {
        ring.sequences[slot] = -1;
        continue;
      }
      const from = start % oldSize;
      ring.slab.copy(slab, to, from, from + length);
    }
    releaseBuffer(ring.slab);
    ring.slab = slab;
    ring.shortPasses = 0;
    ring.longPasses = 0;
  }

  /** Doubles the index; every entry keeps its packet, at its sequence number modulo the new size. */
  #growIndex(ring: SsrcRing): void {
    const slots = (ring.mask + 1) * 2;
    const starts = new Float64Array(slots);
    const lengths = new Int32Array(slots);
    const sequences = new Float64Array(slots).fill(-1);
    const mask = slots - 1;
    for (let slot = 0; slot <= ring.mask; slot++) {
      const sequence = ring.sequences[slot]!;
      if (sequence === -1) continue;
      const to = sequence & mask;
      starts[to] = ring.starts[slot]!;
      lengths[to] = ring.lengths[slot]!;
      sequences[to] = sequence;
    }
    releaseBuffer(ring.starts);
    releaseBuffer(ring.lengths);
    releaseBuffer(ring.sequences);
    ring.starts = starts;
    ring.lengths = lengths;
    ring.sequences = sequences;
    ring.mask = mask;
  }

  #takeRing(nowMs: number): SsrcRing {
    const free = this.#freeRings.pop();
    if (free !== undefined) {
      free.passStartMs = nowMs;
      return free;
    }
    const slots = Math.min(this.capacity, INITIAL_INDEX_SLOTS);
    return {
      slab: Buffer.allocUnsafeSlow(this.#initialBytes),
      written: 0,
      passStartMs: nowMs,
      starts: new Float64Array(slots),
      lengths: new Int32Array(slots),
      sequences: new Float64Array(slots).fill(-1),
      mask: slots - 1,
      highest: 0,
      started: false,
      shortPasses: 0,
      longPasses: 0,
    };
  }
}
