export type KeyframeRequestKind = 'pli' | 'fir';

export interface KeyframeRequestAggregatorOptions {
  /** Least time between two requests to the publisher for one SSRC; default 500 ms. */
  intervalMs?: number;
}

interface SsrcState {
  /** When the last request for this SSRC went out; -Infinity before the first. */
  lastSentMs: number;
  pending: KeyframeRequestKind | undefined;
  /** FIR command sequence number of the last FIR sent (RFC 5104 §4.3.1.1), -1 before the first. */
  firSequenceNumber: number;
}

/**
 * Many subscribers asking one publisher for a key frame become at most one request per SSRC per
 * interval. The first request goes out at once; requests inside the interval are coalesced into one
 * request sent when the interval ends; a key frame arriving meanwhile answers them and cancels it.
 * A FIR asked by anyone makes the coalesced request a FIR.
 *
 * There are no timers inside: the owner passes the time and calls `tick` — at `nextDueMs()` with one
 * timer, or from a periodic loop it already has — so tests inject the clock.
 */
export class KeyframeRequestAggregator {
  readonly intervalMs: number;
  readonly #states = new Map<number, SsrcState>();

  constructor(options: KeyframeRequestAggregatorOptions = {}) {
    this.intervalMs = options.intervalMs ?? 500;
  }

  /**
   * A subscriber wants a key frame of `ssrc`. True: send a request to the publisher now (for a FIR, with
   * `firSequenceNumber(ssrc)`). False: it is coalesced and `tick` will emit it when due.
   */
  request(ssrc: number, kind: KeyframeRequestKind, nowMs: number): boolean {
    let state = this.#states.get(ssrc);
    if (state === undefined) {
      state = { lastSentMs: Number.NEGATIVE_INFINITY, pending: undefined, firSequenceNumber: -1 };
      this.#states.set(ssrc, state);
    }
    if (nowMs - state.lastSentMs >= this.intervalMs) {
      this.#markSent(state, kind, nowMs);
      return true;
    }
    state.pending = state.pending === 'fir' || kind === 'fir' ? 'fir' : 'pli';
    return false;
  }

  /** Emits every coalesced request whose interval has ended. */
  tick(
    nowMs: number,
    send: (ssrc: number, kind: KeyframeRequestKind, firSequenceNumber: number) => void,
  ): void {
    for (const [ssrc, state] of this.#states) {
      if (state.pending === undefined || nowMs - state.lastSentMs < this.intervalMs) continue;
      const kind = state.pending;
      this.#markSent(state, kind, nowMs);
      send(ssrc, kind, state.firSequenceNumber);
    }
  }

  /** When the earliest coalesced request becomes due; undefined when none is waiting. */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const state of this.#states.values()) {
      if (state.pending === undefined) continue;
      const at = state.lastSentMs + this.intervalMs;
      if (due === undefined || at < due) due = at;
    }
    return due;
  }

  /** A key frame of `ssrc` arrived: whoever was waiting has it now. */
  keyframeReceived(ssrc: number): void {
    const state = this.#states.get(ssrc);
    if (state !== undefined) state.pending = undefined;
  }

  hasPending(ssrc: number): boolean {
    return this.#states.get(ssrc)?.pending !== undefined;
  }

  /** Sequence number to put in the FIR just allowed by `request` (0..255, one step per FIR). */
  firSequenceNumber(ssrc: number): number {
    return this.#states.get(ssrc)?.firSequenceNumber ?? -1;
  }

  /** The publisher's SSRC is gone. */
  remove(ssrc: number): void {
    this.#states.delete(ssrc);
  }

  #markSent(state: SsrcState, kind: KeyframeRequestKind, nowMs: number): void {
    state.lastSentMs = nowMs;
    state.pending = undefined;
    if (kind === 'fir') state.firSequenceNumber = (state.firSequenceNumber + 1) & 0xff;
  }
}
