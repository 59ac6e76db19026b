import type { SourcePacket } from './PacketSource.ts';

/**
 * libwebrtc's pacer in miniature: video leaves at `pacingFactor` × the target bit rate, so an 80 KB
 * keyframe at 3 Mbit/s spreads over ~85 ms instead of hitting the server as one burst. A budget that
 * was not used while the queue was empty is not saved up (at most one tick's worth).
 */
export class Pacer {
  readonly #bytesPerMs: number;
  readonly #maxBurstBytes: number;
  readonly #queue: SourcePacket[] = [];
  #head = 0;
  #budget = 0;
  #lastMs: number;

  constructor(bitrateBps: number, pacingFactor: number, nowMs: number, tickMs: number) {
    this.#bytesPerMs = (bitrateBps * pacingFactor) / 8 / 1000;
    this.#maxBurstBytes = this.#bytesPerMs * tickMs * 2;
    this.#lastMs = nowMs;
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  enqueue(packets: SourcePacket[]): void {
    for (const packet of packets) this.#queue.push(packet);
  }

  /** Sends what the budget allows since the last call. */
  drain(nowMs: number, send: (packet: SourcePacket) => void): void {
    this.#budget = Math.min(
      this.#budget + (nowMs - this.#lastMs) * this.#bytesPerMs,
      this.queued > 0 ? Number.POSITIVE_INFINITY : this.#maxBurstBytes,
    );
    this.#lastMs = nowMs;
    while (this.#head < this.#queue.length && this.#budget > 0) {
      const packet = this.#queue[this.#head++]!;
      this.#budget -= packet.payloadBytes;
      send(packet);
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
      this.#budget = Math.min(this.#budget, this.#maxBurstBytes);
    } else if (this.#head > 1024) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
