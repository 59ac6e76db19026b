import { sequenceDelta } from '../rtp/sequenceNumber.ts';
import {
  buildTransportWideCcFeedback,
  TWCC_DELTA_TICK_US,
  TWCC_LARGE_DELTA,
  TWCC_NOT_RECEIVED,
  TWCC_REFERENCE_TICK_US,
  TWCC_SMALL_DELTA,
} from './transportWideCc.ts';

export interface TwccRecorderOptions {
  /** Arrivals remembered, a power of two up to 32768; default 4096 (about 10 s at 400 packets/s). */
  windowSize?: number;
  /** Largest feedback packet to build, in bytes (before SRTCP); default 1200. */
  maxPacketBytes?: number;
}

const UNWRAP_BASE = 1 << 20;

/**
 * Receive side of transport-wide congestion control: remembers when each transport-cc sequence
 * number arrived and turns that into feedback packets for the sender's bandwidth estimator.
 *
 * It behaves like libwebrtc's RemoteEstimatorProxy in periodic mode, because Chromium's estimator is
 * tuned against it:
 * - each feedback starts where the previous one ended (`base sequence`), reports every sequence number
 *   up to the newest packet received, lost ones as "not received";
 * - the reference time is the first reported arrival truncated to 64 ms, and each delta is rounded to
 *   250 µs *from the previous rounded time*, so rounding errors never accumulate;
 * - a packet that arrives after its sequence number was already reported (reordering) moves the start
 *   back, and the next feedback reports the range again with the late arrival in it;
 * - a delta that does not fit 16 bits, or a packet that would grow past `maxPacketBytes`, ends one
 *   feedback packet and the rest goes into the next one of the same batch.
 * Call `buildFeedback` every 50–100 ms (libwebrtc: 100 ms, less at high bitrates).
 */
export class TwccRecorder {
  duplicateCount = 0;
  tooOldCount = 0;

  readonly #windowSize: number;
  readonly #mask: number;
  readonly #maxPacketBytes: number;
  /** Unwrapped transport sequence number held by each slot, -1 when empty. */
  readonly #sequences: Float64Array;
  readonly #arrivalsUs: Float64Array;
  readonly #statuses: Uint8Array;
  readonly #deltaTicks: Int32Array;
  #started = false;
  #highest = 0;
  /** First unwrapped sequence number the next feedback reports. */
  #windowStart = 0;
  #feedbackPacketCount = 0;

  constructor(options: TwccRecorderOptions = {}) {
    const requested = Math.max(16, Math.floor(options.windowSize ?? 4096));
    let size = 16;
    while (size < requested) size *= 2;
    if (size > 32768) throw new RangeError('TwccRecorder windowSize must be at most 32768');
    this.#windowSize = size;
    this.#mask = size - 1;
    this.#maxPacketBytes = Math.max(64, options.maxPacketBytes ?? 1200);
    this.#sequences = new Float64Array(size).fill(-1);
    this.#arrivalsUs = new Float64Array(size);
    this.#statuses = new Uint8Array(size);
    this.#deltaTicks = new Int32Array(size);
  }

  /** One incoming packet's transport-wide sequence number and arrival time (µs on any monotonic clock). */
  record(transportSequence: number, arrivalTimeUs: number): void {
    let unwrapped: number;
    if (!this.#started) {
      this.#started = true;
      unwrapped = (transportSequence & 0xffff) + UNWRAP_BASE;
      this.#highest = unwrapped;
      this.#windowStart = unwrapped;
    } else {
      unwrapped = this.#highest + sequenceDelta(transportSequence, this.#highest & 0xffff);
      if (unwrapped > this.#highest) {
        this.#highest = unwrapped;
        // Feedback fell a whole window behind: what is about to be overwritten can no longer be reported.
        if (unwrapped - this.#windowStart >= this.#windowSize)
          this.#windowStart = unwrapped - this.#windowSize + 1;
      } else if (unwrapped <= this.#highest - this.#windowSize) {
        this.tooOldCount++;
        return;
      }
    }
    const slot = unwrapped & this.#mask;
    if (this.#sequences[slot] === unwrapped) {
      this.duplicateCount++;
      return;
    }
    this.#sequences[slot] = unwrapped;
    this.#arrivalsUs[slot] = arrivalTimeUs;
    if (unwrapped < this.#windowStart) this.#windowStart = unwrapped;
  }

  /** True when packets arrived since the last feedback. */
  hasPending(): boolean {
    return this.#started && this.#windowStart <= this.#highest;
  }

  /** Feedback for everything recorded since the last call: usually one packet, none when nothing arrived. */
  buildFeedback(senderSsrc: number, mediaSsrc: number): Buffer[] {
    const packets: Buffer[] = [];
    const sequences = this.#sequences;
    const arrivals = this.#arrivalsUs;
    const statuses = this.#statuses;
    const deltaTicks = this.#deltaTicks;
    const mask = this.#mask;
    while (this.hasPending()) {
      const base = this.#windowStart;
      let first = base;
      while (first <= this.#highest && sequences[first & mask] !== first) first++;
      if (first > this.#highest) break;
      const referenceTicks = Math.floor(arrivals[first & mask]! / TWCC_REFERENCE_TICK_US);
      let lastUs = referenceTicks * TWCC_REFERENCE_TICK_US;
      let deltaCount = 0;
      let deltaBytes = 0;
      let lastIncluded = -1;
      for (let sequence = base; sequence <= this.#highest; sequence++) {
        const slot = sequence & mask;
        const index = sequence - base;
        if (sequences[slot] !== sequence) {
          statuses[index] = TWCC_NOT_RECEIVED;
          continue;
        }
        const ticks = roundHalfAwayFromZero((arrivals[slot]! - lastUs) / TWCC_DELTA_TICK_US);
        let status: number;
        if (ticks >= 0 && ticks <= 255) status = TWCC_SMALL_DELTA;
        else if (ticks >= -32768 && ticks <= 32767) status = TWCC_LARGE_DELTA;
        else break;
        const statusCount = index + 1;
        // Chunks are bounded by the worst case (7 statuses per chunk), then header and padding.
        const bound = 20 + 2 * Math.ceil(statusCount / 7) + deltaBytes + status + 3;
        if (bound > this.#maxPacketBytes || statusCount > 0xffff) break;
        statuses[index] = status;
        deltaTicks[deltaCount++] = ticks;
        deltaBytes += status;
        lastUs += ticks * TWCC_DELTA_TICK_US;
        lastIncluded = sequence;
      }
      // The first received packet always fits (its delta is 0..256 ticks), so lastIncluded >= first.
      packets.push(
        buildTransportWideCcFeedback({
          senderSsrc,
          mediaSsrc,
          baseSequence: base & 0xffff,
          referenceTime: referenceTicks & 0xffffff,
          feedbackPacketCount: this.#feedbackPacketCount,
          statuses,
          deltaTicks,
          statusCount: lastIncluded - base + 1,
        }),
      );
      this.#feedbackPacketCount = (this.#feedbackPacketCount + 1) & 0xff;
      this.#windowStart = lastIncluded + 1;
    }
    return packets;
  }
}

function roundHalfAwayFromZero(value: number): number {
  return value < 0 ? -Math.floor(-value + 0.5) : Math.floor(value + 0.5);
}
