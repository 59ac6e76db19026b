import { delaySinceLastSrField, type ReportBlock } from '../rtcp/reportBlock.ts';
import { ntpMiddle32 } from '../rtcp/senderReport.ts';
import { timestampDelta } from './sequenceNumber.ts';

export interface ReceiveStatisticsOptions {
  /** RFC 3550 A.1 MAX_DROPOUT: a larger forward jump is only believed when the next packet confirms it; default 3000. */
  maxDropout?: number;
  /** RFC 3550 A.1 MAX_MISORDER: a packet further behind is treated like a jump; default 100. */
  maxMisorder?: number;
}

const SEQUENCE_MOD = 0x10000;

/**
 * What we received from one SSRC, as RFC 3550 A.1 (sequence tracking), A.3 (loss) and A.8 (jitter)
 * define it, to fill the report block of a Receiver Report sent to the publisher.
 *
 * Differences from the appendix, both as libwebrtc does: no probation (the first packet starts the
 * statistics), and jitter is measured between the first packets of consecutive frames only — packets
 * of one frame share a timestamp but leave the sender paced over several milliseconds.
 */
export class ReceiveStatistics {
  readonly ssrc: number;
  readonly clockRate: number;
  /** Packets counted by A.1 (duplicates included, as in the RFC). */
  received = 0;

  readonly #maxDropout: number;
  readonly #maxMisorder: number;
  #started = false;
  #maxSequence = 0;
  #cycles = 0;
  #baseSequence = 0;
  #badSequence = SEQUENCE_MOD + 1;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #jitter = 0;
  #hasJitterReference = false;
  #lastTimestamp = 0;
  #lastArrivalMs = 0;
  #lastSr = 0;
  #lastSrArrivalMs = 0;
  #hasSr = false;

  constructor(ssrc: number, clockRate: number, options: ReceiveStatisticsOptions = {}) {
    this.ssrc = ssrc;
    this.clockRate = clockRate;
    this.#maxDropout = options.maxDropout ?? 3000;
    this.#maxMisorder = options.maxMisorder ?? 100;
  }

  /** One RTP packet of this SSRC; `arrivalMs` on any monotonic clock (the same one for `report`). */
  onPacket(sequence: number, timestamp: number, arrivalMs: number): void {
    if (!this.#started) {
      this.#started = true;
      this.#initSequence(sequence);
      this.received = 1;
      this.#updateJitter(timestamp, arrivalMs);
      return;
    }
    const delta = (sequence - this.#maxSequence) & 0xffff;
    if (delta < this.#maxDropout) {
      if (delta !== 0) {
        if (sequence < this.#maxSequence) this.#cycles += SEQUENCE_MOD;
        this.#maxSequence = sequence;
        this.#updateJitter(timestamp, arrivalMs);
      }
    } else if (delta <= SEQUENCE_MOD - this.#maxMisorder) {
      if (sequence !== this.#badSequence) {
        this.#badSequence = (sequence + 1) & 0xffff;
        return;
      }
      // Two packets in sequence after a jump: the sender restarted; start over from here.
      this.#initSequence(sequence);
      this.#hasJitterReference = false;
      this.#updateJitter(timestamp, arrivalMs);
    }
    this.received++;
  }

  /** A Sender Report from this SSRC arrived (its NTP timestamp), for LSR/DLSR. */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.#lastSr = ntpMiddle32(ntpSeconds, ntpFraction);
    this.#lastSrArrivalMs = arrivalMs;
    this.#hasSr = true;
  }

  get started(): boolean {
    return this.#started;
  }

  get extendedHighestSequence(): number {
    return (this.#cycles + this.#maxSequence) >>> 0;
  }

  get expected(): number {
    return this.#started ? this.#cycles + this.#maxSequence - this.#baseSequence + 1 : 0;
  }

  /** Expected minus received; negative with duplicates. */
  get cumulativeLost(): number {
    return this.expected - this.received;
  }

  /** Interarrival jitter in RTP timestamp units. */
  get jitter(): number {
    return this.#jitter;
  }

  /**
   * The report block for an RR (or SR) sent now. Each call closes an interval: the lost fraction is
   * over the packets expected since the previous call.
   */
  report(nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost)),
      extendedHighestSequence: this.extendedHighestSequence,
      jitter: Math.floor(this.#jitter) >>> 0,
      lastSr: this.#hasSr ? this.#lastSr : 0,
      delaySinceLastSr: this.#hasSr ? delaySinceLastSrField(nowMs - this.#lastSrArrivalMs) : 0,
    };
  }

  #initSequence(sequence: number): void {
    this.#baseSequence = sequence;
    this.#maxSequence = sequence;
    this.#badSequence = SEQUENCE_MOD + 1;
    this.#cycles = 0;
    this.received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  #updateJitter(timestamp: number, arrivalMs: number): void {
    if (this.#hasJitterReference) {
      if (timestamp === this.#lastTimestamp) return;
      const arrivalUnits = ((arrivalMs - this.#lastArrivalMs) * this.clockRate) / 1000;
      const difference = Math.abs(arrivalUnits - timestampDelta(timestamp, this.#lastTimestamp));
      this.#jitter += (difference - this.#jitter) / 16;
    }
    this.#hasJitterReference = true;
    this.#lastTimestamp = timestamp;
    this.#lastArrivalMs = arrivalMs;
  }
}
