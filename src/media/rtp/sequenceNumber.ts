/** Distance from `b` to `a` in 16-bit RTP sequence space, in -32768..32767 (positive: `a` is newer). */
export function sequenceDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) ^ 0x8000) - 0x8000;
}

/** Distance from `b` to `a` in 32-bit RTP timestamp space, in -2^31..2^31-1 (positive: `a` is later). */
export function timestampDelta(a: number, b: number): number {
  return (a - b) | 0;
}
