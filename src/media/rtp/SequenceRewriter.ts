import { sequenceDelta } from './sequenceNumber.ts';

export interface SequenceRewriterOptions {
  /** RTP clock rate of the media (90000 for video, 48000 for Opus): turns wall time into a timestamp gap. */
  clockRate: number;
  /** Outgoing sequence number of the very first packet; defaults to the first incoming one. */
  firstSequence?: number;
  /** Outgoing timestamp of the very first packet; defaults to the first incoming one. */
  firstTimestamp?: number;
  /**
   * A forward jump of more than this many sequence numbers within one source is not believed at once
   * (RFC 3550 A.1 MAX_DROPOUT); default 3000.
   */
  maxDropout?: number;
  /** How far behind the newest packet a reordered or retransmitted packet may still be forwarded; default 1000. */
  maxMisorder?: number;
}

/**
 * Gives one outgoing RTP stream continuous sequence numbers and timestamps while the packets come from
 * a succession of sources (publisher reconnect with a new SSRC, failover to another relay, simulcast
 * layer switch). Use one per outgoing stream (per subscriber, or per source when a whole OTM fails over).
 *
 * Within one source the mapping is a constant offset (modulo 2^16 and 2^32), so reordering, loss gaps
 * and retransmissions keep their relative positions and 16/32-bit wrap needs no special case.
 * At a switch (`switchSource()`, or a jump too large to be the same stream) the first packet of the new
 * source gets the next sequence number after the highest one sent — no gap for the receiver to NACK —
 * and a timestamp advanced by the wall time elapsed since the last packet (or by the caller's own
 * figure, e.g. from Sender Report NTP/RTP pairs for simulcast layers).
 *
 * A packet that `rewrite` refuses (returns false) must be dropped:
 * - "too old": older than the first packet of the current source — its outgoing number would collide
 *   with one already used for the previous source — or more than `maxMisorder` behind the newest;
 * - "out of range": a jump larger than `maxDropout` forward or `maxMisorder` backward. As in RFC 3550
 *   A.1 the jump is accepted as a restart of the source when the next packet follows it in sequence,
 *   so one packet is lost instead of the receiver seeing thousands missing.
 */
export class SequenceRewriter {
  /** Outgoing sequence number of the last packet `rewrite` accepted. */
  sequence = 0;
  /** Outgoing timestamp of the last packet `rewrite` accepted. */
  timestamp = 0;
  tooOldCount = 0;
  outOfRangeCount = 0;
  switchCount = 0;

  readonly #clockRate: number;
  readonly #maxDropout: number;
  readonly #maxMisorder: number;
  readonly #firstSequence: number | undefined;
  readonly #firstTimestamp: number | undefined;

  #started = false;
  #switchPending = false;
  #switchTimestampDelta: number | undefined;
  /** Unwrapped incoming sequence numbers of the current source: its first packet and its newest. */
  #baseIn = 0;
  #highestIn = 0;
  /** outgoing (unwrapped) = incoming (unwrapped) + offset */
  #sequenceOffset = 0;
  #timestampOffset = 0;
  #highestOutTimestamp = 0;
  #highestArrivalMs = 0;
  /** The sequence number that would confirm a suspicious jump (RFC 3550 A.1 bad_seq); -1 when none. */
  #badSequence = -1;

  constructor(options: SequenceRewriterOptions) {
    this.#clockRate = options.clockRate;
    this.#maxDropout = options.maxDropout ?? 3000;
    this.#maxMisorder = options.maxMisorder ?? 1000;
    this.#firstSequence = options.firstSequence;
    this.#firstTimestamp = options.firstTimestamp;
  }

  /**
   * The next packet given to `rewrite` starts a new source. `timestampDelta` is the outgoing timestamp
   * step from the newest packet sent so far to that packet; by default it is the elapsed wall time.
   */
  switchSource(timestampDelta?: number): void {
    if (!this.#started) return;
    this.#switchPending = true;
    this.#switchTimestampDelta = timestampDelta;
  }

  /**
   * Maps one incoming packet. On true, `sequence` and `timestamp` hold its outgoing values; on false
   * the packet must not be forwarded.
   */
  rewrite(sequence: number, timestamp: number, arrivalMs: number): boolean {
    if (!this.#started) {
      this.#started = true;
      this.#startSource(sequence, timestamp, arrivalMs, true);
      return true;
    }
    if (this.#switchPending) {
      this.#startSource(sequence, timestamp, arrivalMs, false);
      return true;
    }
    const unwrapped = this.#highestIn + sequenceDelta(sequence, this.#highestIn & 0xffff);
    const ahead = unwrapped - this.#highestIn;
    if (ahead > this.#maxDropout || ahead < -this.#maxMisorder) {
      if (sequence === this.#badSequence) {
        this.#switchPending = true;
        this.#switchTimestampDelta = undefined;
        this.#startSource(sequence, timestamp, arrivalMs, false);
        return true;
      }
      this.#badSequence = (sequence + 1) & 0xffff;
      if (ahead > 0) this.outOfRangeCount++;
      else this.tooOldCount++;
      return false;
    }
    if (unwrapped < this.#baseIn) {
      this.tooOldCount++;
      return false;
    }
    this.#badSequence = -1;
    this.sequence = (unwrapped + this.#sequenceOffset) & 0xffff;
    this.timestamp = (timestamp + this.#timestampOffset) >>> 0;
    if (ahead > 0) {
      this.#highestIn = unwrapped;
      this.#highestOutTimestamp = this.timestamp;
      this.#highestArrivalMs = arrivalMs;
    }
    return true;
  }

  /**
   * Incoming sequence number (of the current source) that was sent as `outgoingSequence`, for answering
   * a subscriber's NACK from the packet cache; -1 when it was not sent for the current source.
   */
  toIncomingSequence(outgoingSequence: number): number {
    if (!this.#started) return -1;
    const highestOut = this.#highestIn + this.#sequenceOffset;
    const unwrapped = highestOut + sequenceDelta(outgoingSequence, highestOut & 0xffff);
    if (unwrapped > highestOut || unwrapped < this.#baseIn + this.#sequenceOffset) return -1;
    return (unwrapped - this.#sequenceOffset) & 0xffff;
  }

  #startSource(sequence: number, timestamp: number, arrivalMs: number, first: boolean): void {
    let outSequence: number;
    let outTimestamp: number;
    if (first) {
      outSequence = this.#firstSequence ?? sequence;
      outTimestamp = this.#firstTimestamp ?? timestamp;
    } else {
      outSequence = this.#highestIn + this.#sequenceOffset + 1;
      const delta =
        this.#switchTimestampDelta ??
        Math.max(1, Math.round(((arrivalMs - this.#highestArrivalMs) * this.#clockRate) / 1000));
      outTimestamp = this.#highestOutTimestamp + delta;
      this.switchCount++;
    }
    // The new source's unwrapped numbers keep its low 16 bits (unwrapping compares against them) and
    // continue above the old source's, so one number line serves every source.
    const unwrapped = first ? sequence : this.#highestIn + 1 + ((sequence - this.#highestIn - 1) & 0xffff);
    this.#baseIn = unwrapped;
    this.#highestIn = unwrapped;
    this.#sequenceOffset = outSequence - unwrapped;
    this.#timestampOffset = (outTimestamp - timestamp) >>> 0;
    this.#switchPending = false;
    this.#switchTimestampDelta = undefined;
    this.#badSequence = -1;
    this.sequence = outSequence & 0xffff;
    this.timestamp = outTimestamp >>> 0;
    this.#highestOutTimestamp = this.timestamp;
    this.#highestArrivalMs = arrivalMs;
  }
}
