/**
 * Replay protection (RFC 3711 §3.3.2) over packet indices (48-bit SRTP or 31-bit SRTCP).
 *
 * Instead of a shifted bitmap, a ring of `size` slots remembers the last index accepted in each slot
 * (slot = index mod size). An index inside the window was seen iff its slot holds exactly that index:
 * O(1) per packet, no multi-word shifts, and no BigInt for windows wider than 32.
 */
export class ReplayWindow {
  private readonly seen: Float64Array;
  private readonly mask: number;
  private highest = -1;

  /** `size` must be a power of two. */
  constructor(size: number) {
    if (size <= 0 || (size & (size - 1)) !== 0)
      throw new RangeError('replay window size must be a power of two');
    this.seen = new Float64Array(size).fill(-1);
    this.mask = size - 1;
  }

  /** True when `index` must be rejected: already accepted, or older than the window. */
  isReplay(index: number): boolean {
    if (index > this.highest) return false;
    if (this.highest - index > this.mask) return true;
    return this.seen[index % (this.mask + 1)] === index;
  }

  /** Records `index` as received; call only after the packet authenticated. */
  accept(index: number): void {
    this.seen[index % (this.mask + 1)] = index;
    if (index > this.highest) this.highest = index;
  }
}
