import { delaySinceLastSrMs } from './reportBlock.ts';
import { ntpMiddle32 } from './senderReport.ts';

/** SRs remembered: receivers report on the latest they got, which at one SR a second is the last one or two. */
const SENT_HISTORY = 8;
/** The largest RTT is kept for one to two windows, so one quiet second does not forget a far viewer. */
const WINDOW_MS = 5000;

/**
 * Round-trip times of the receivers of the streams we send, from the LSR/DLSR of their report blocks
 * (RFC 3550 §6.4.1): RTT = arrival of the report − when we sent the SR it names − the receiver's delay
 * since it got that SR. Only the largest recent RTT is kept: what it sizes (how long packets are kept
 * for retransmission) must serve the farthest receiver.
 */
export class RoundTripEstimator {
  readonly #sentLsr = new Float64Array(SENT_HISTORY).fill(-1);
  readonly #sentAtMs = new Float64Array(SENT_HISTORY);
  #nextSlot = 0;
  #windowStartMs = Number.NEGATIVE_INFINITY;
  #currentMaxMs = -1;
  #previousMaxMs = -1;

  /** We sent an SR carrying this NTP timestamp. */
  senderReportSent(ntpSeconds: number, ntpFraction: number, nowMs: number): void {
    this.#sentLsr[this.#nextSlot] = ntpMiddle32(ntpSeconds, ntpFraction);
    this.#sentAtMs[this.#nextSlot] = nowMs;
    this.#nextSlot = (this.#nextSlot + 1) % SENT_HISTORY;
  }

  /**
   * A receiver's report block arrived: its RTT sample in ms, or undefined when the block names no SR
   * (LSR 0: it has not received one yet) or one we no longer remember.
   */
  reportReceived(lastSr: number, delaySinceLastSr: number, nowMs: number): number | undefined {
    if (lastSr === 0) return undefined;
    let sentAtMs: number | undefined;
    for (let slot = 0; slot < SENT_HISTORY; slot++) {
      if (this.#sentLsr[slot] === lastSr) sentAtMs = Math.max(sentAtMs ?? 0, this.#sentAtMs[slot]!);
    }
    if (sentAtMs === undefined) return undefined;
    // Clocks are not compared, only our own send and arrival times, so a negative result is rounding.
    const rttMs = Math.max(0, nowMs - sentAtMs - delaySinceLastSrMs(delaySinceLastSr));
    this.#roll(nowMs);
    if (rttMs > this.#currentMaxMs) this.#currentMaxMs = rttMs;
    return rttMs;
  }

  /** The largest RTT reported in the last 5 to 10 s; undefined when no receiver reported one. */
  maxRttMs(nowMs: number): number | undefined {
    this.#roll(nowMs);
    const max = Math.max(this.#currentMaxMs, this.#previousMaxMs);
    return max < 0 ? undefined : max;
  }

  #roll(nowMs: number): void {
    if (nowMs < this.#windowStartMs + WINDOW_MS) return;
    this.#previousMaxMs = nowMs < this.#windowStartMs + 2 * WINDOW_MS ? this.#currentMaxMs : -1;
    this.#currentMaxMs = -1;
    this.#windowStartMs = nowMs;
  }
}
