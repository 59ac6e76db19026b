const WINDOW = 4096;
const WINDOW_MASK = WINDOW - 1;
/** Gaps longer than this are not NACKed (a receiver asks for a keyframe instead). */
export const MAX_NACKED_GAP = 128;

/**
 * Loss accounting for one received SSRC, on extended sequence numbers: gaps seen on arrival (what a
 * receiver NACKs), packets that arrived later to fill a gap (retransmissions or reordering), duplicates,
 * and the final loss (expected − distinct received). Keeps the last 4096 sequence numbers.
 */
export class LossCounter {
  readonly ssrc: number;
  received = 0;
  distinct = 0;
  duplicates = 0;
  /** Packets missing when a later one arrived. */
  gapPackets = 0;
  /** Of those, how many arrived after all. */
  recovered = 0;
  #first = -1;
  #highest = -1;
  readonly #seen = new Uint8Array(WINDOW);
  /** Missing sequence numbers waiting for a retransmission: extended sequence → when first missed. */
  readonly #pending = new Map<number, number>();

  constructor(ssrc: number) {
    this.ssrc = ssrc;
  }

  get expected(): number {
    return this.#first < 0 ? 0 : this.#highest - this.#first + 1;
  }

  get lost(): number {
    return Math.max(0, this.expected - this.distinct);
  }

  get extendedHighest(): number {
    return this.#highest < 0 ? 0 : this.#highest;
  }

  /**
   * Records one packet; returns the sequence numbers (16-bit) newly found missing, for a NACK
   * (empty when none, or when the gap is too long to NACK).
   */
  onPacket(sequence: number, nowMs: number, missing: number[]): void {
    this.received++;
    if (this.#first < 0) {
      this.#first = sequence;
      this.#highest = sequence;
      this.#seen[sequence & WINDOW_MASK] = 1;
      this.distinct++;
      return;
    }
    const delta = ((sequence - (this.#highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    const extended = this.#highest + delta;
    if (delta > 0) {
      const gap = delta - 1;
      if (gap > 0) {
        this.gapPackets += gap;
        const clear = Math.min(gap, WINDOW - 1);
        for (let ext = extended - clear; ext < extended; ext++) {
          this.#seen[ext & WINDOW_MASK] = 0;
          if (gap <= MAX_NACKED_GAP) {
            missing.push(ext & 0xffff);
            this.#pending.set(ext, nowMs);
          }
        }
      }
      this.#seen[extended & WINDOW_MASK] = 1;
      this.#highest = extended;
      this.distinct++;
      return;
    }
    if (extended < this.#first || this.#highest - extended >= WINDOW) return;
    const slot = extended & WINDOW_MASK;
    if (this.#seen[slot]) {
      this.duplicates++;
      return;
    }
    this.#seen[slot] = 1;
    this.distinct++;
    if (this.#pending.delete(extended)) this.recovered++;
  }

  /** Forgets pending gaps older than `ageMs`; returns how many of them never arrived. */
  expireUnrepaired(nowMs: number, ageMs: number): number {
    let unrepaired = 0;
    for (const [ext, since] of this.#pending) {
      if (nowMs - since < ageMs) break;
      this.#pending.delete(ext);
      unrepaired++;
    }
    return unrepaired;
  }
}
