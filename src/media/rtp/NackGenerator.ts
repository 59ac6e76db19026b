import { sequenceDelta } from './sequenceNumber.ts';

export interface NackGeneratorOptions {
  /** Least time between two NACKs for the same packet (about one round trip); default 100 ms. */
  retryIntervalMs?: number;
  /** NACKs sent for one packet before giving up on it; default 10. */
  maxRetries?: number;
  /**
   * A packet still missing after this long is given up: the viewers' jitter buffers have moved on and
   * ask for a key frame instead; default 1000 ms.
   */
  maxAgeMs?: number;
  /** Most packets waited for at once; the oldest are given up first; default 1000. */
  maxMissing?: number;
  /** A forward jump larger than this is a restart of the stream, not a loss (RFC 3550 A.1 MAX_DROPOUT); default 3000. */
  maxDropout?: number;
}

/** What one arriving packet meant for the missing list. */
export type NackPacketOutcome =
  /** The next packet, or a jump the generator does not wait behind (restart). */
  | 'in-order'
  /** Packets between the previous newest and this one are missing: a NACK is due now. */
  | 'gap'
  /** It filled a hole: a retransmission (or a reordered packet) the generator was waiting for. */
  | 'recovered'
  /** Older than the newest and not waited for: a duplicate, or a hole already given up. */
  | 'late';

interface MissingPacket {
  firstMissingMs: number;
  /** When the last NACK for it went out; -Infinity before the first. */
  sentMs: number;
  retries: number;
}

/**
 * Receiver side of generic NACK (RFC 4585) for one SSRC: notices holes in the sequence numbers and
 * says which packets to request, how often and for how long. A hole is requested at once, again every
 * `retryIntervalMs` while it stays open, and given up after `maxRetries` requests or `maxAgeMs`.
 *
 * In-order packets (the common case) cost one comparison and no allocation; state is only kept for
 * missing packets.
 */
export class NackGenerator {
  /** Sequence numbers put into NACKs, retries included. */
  requested = 0;
  recovered = 0;
  givenUp = 0;

  readonly #retryIntervalMs: number;
  readonly #maxRetries: number;
  readonly #maxAgeMs: number;
  readonly #maxMissing: number;
  readonly #maxDropout: number;
  /** Unwrapped sequence number → state; insertion order is ascending, since holes open above the newest. */
  readonly #missing = new Map<number, MissingPacket>();
  #started = false;
  /** Newest unwrapped sequence number. */
  #highest = 0;

  constructor(options: NackGeneratorOptions = {}) {
    this.#retryIntervalMs = options.retryIntervalMs ?? 100;
    this.#maxRetries = options.maxRetries ?? 10;
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
    this.#maxMissing = options.maxMissing ?? 1000;
    this.#maxDropout = options.maxDropout ?? 3000;
  }

  /** Packets currently waited for. */
  get missingCount(): number {
    return this.#missing.size;
  }

  onPacket(sequence: number, nowMs: number): NackPacketOutcome {
    if (!this.#started) {
      this.#started = true;
      this.#highest = sequence;
      return 'in-order';
    }
    const ahead = sequenceDelta(sequence, this.#highest & 0xffff);
    if (ahead === 1) {
      this.#highest++;
      return 'in-order';
    }
    if (ahead <= 0) {
      const unwrapped = this.#highest + ahead;
      if (!this.#missing.delete(unwrapped)) return 'late';
      this.recovered++;
      return 'recovered';
    }
    const unwrapped = this.#highest + ahead;
    if (ahead > this.#maxDropout) {
      this.givenUp += this.#missing.size;
      this.#missing.clear();
      this.#highest = unwrapped;
      return 'in-order';
    }
    const gap = ahead - 1;
    const from = gap > this.#maxMissing ? unwrapped - this.#maxMissing : this.#highest + 1;
    this.givenUp += from - (this.#highest + 1);
    for (let s = from; s < unwrapped; s++) {
      this.#missing.set(s, { firstMissingMs: nowMs, sentMs: Number.NEGATIVE_INFINITY, retries: 0 });
    }
    this.#highest = unwrapped;
    this.#trimToCapacity();
    return 'gap';
  }

  /**
   * The sequence numbers to request now (ascending, 16-bit); each is then not due again for
   * `retryIntervalMs`. Packets past their retries or age are dropped here.
   */
  collect(nowMs: number): number[] {
    const due: number[] = [];
    for (const [sequence, packet] of this.#missing) {
      if (nowMs - packet.firstMissingMs >= this.#maxAgeMs || packet.retries >= this.#maxRetries) {
        this.#missing.delete(sequence);
        this.givenUp++;
        continue;
      }
      if (nowMs - packet.sentMs < this.#retryIntervalMs) continue;
      packet.sentMs = nowMs;
      packet.retries++;
      due.push(sequence & 0xffff);
    }
    this.requested += due.length;
    return due;
  }

  /** When `collect` next has something to do (a retry or a give-up); undefined when nothing is missing. */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const packet of this.#missing.values()) {
      const at =
        packet.retries >= this.#maxRetries
          ? packet.sentMs + this.#retryIntervalMs
          : Math.min(packet.sentMs + this.#retryIntervalMs, packet.firstMissingMs + this.#maxAgeMs);
      if (due === undefined || at < due) due = at;
    }
    return due;
  }

  #trimToCapacity(): void {
    let excess = this.#missing.size - this.#maxMissing;
    if (excess <= 0) return;
    for (const sequence of this.#missing.keys()) {
      this.#missing.delete(sequence);
      this.givenUp++;
      if (--excess === 0) break;
    }
  }
}
