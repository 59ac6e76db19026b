/** A participant's stay: present from joinedAt until leftAt (excluded); still there when leftAt is undefined. */
export interface Stay {
  joinedAt: number;
  leftAt: number | undefined;
}

/** The slots [from + k·bucketMs, …) covering [from, to); the last one is cut at `to`. */
export function slotStarts(from: number, to: number, bucketMs: number): number[] {
  const starts: number[] = [];
  for (let at = from; at < to; at += bucketMs) starts.push(at);
  return starts;
}

/**
 * The most stays present at the same instant within each slot (a sweep over arrivals and
 * departures). Someone leaving at the very moment another arrives is not counted twice: at equal
 * times departures go first. A stay that ends where a slot begins is not in that slot.
 */
export function peakPerSlot(stays: Iterable<Stay>, from: number, to: number, bucketMs: number): number[] {
  const events: [at: number, delta: number][] = [];
  for (const stay of stays) {
    const end = stay.leftAt ?? Number.POSITIVE_INFINITY;
    if (end <= stay.joinedAt || end <= from || stay.joinedAt >= to) continue;
    events.push([Math.max(stay.joinedAt, from), 1]);
    if (end < to) events.push([end, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const starts = slotStarts(from, to, bucketMs);
  const peaks = new Array<number>(starts.length).fill(0);
  let level = 0;
  let next = 0;
  for (let slot = 0; slot < starts.length; slot++) {
    const start = starts[slot]!;
    const end = Math.min(start + bucketMs, to);
    while (next < events.length && events[next]![0] <= start) level += events[next++]![1];
    let peak = level;
    while (next < events.length && events[next]![0] < end) {
      level += events[next++]![1];
      if (level > peak) peak = level;
    }
    peaks[slot] = peak;
  }
  return peaks;
}
