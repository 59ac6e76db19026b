/**
 * Many subscribers asking for a keyframe at once (a join, a loss burst) must not make the publisher
 * encode a keyframe for each: the first request goes out at once, later ones within the interval
 * fold into one sent when it ends, and a keyframe arriving in between cancels that.
 */
export class KeyframeRequester {
  readonly #intervalMs: number;
  readonly #send: () => void;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  requestsReceived = 0;
  requestsSent = 0;

  constructor(intervalMs: number, send: () => void) {
    this.#intervalMs = intervalMs;
    this.#send = send;
  }

  request(now = Date.now()): void {
    this.requestsReceived++;
    if (this.#timer) return;
    const wait = this.#lastSentAt + this.#intervalMs - now;
    if (wait <= 0) {
      this.#fire(now);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#fire(Date.now());
    }, wait);
  }

  keyframeArrived(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fire(now: number): void {
    this.#lastSentAt = now;
    this.requestsSent++;
    this.#send();
  }
}
