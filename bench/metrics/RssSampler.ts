import { sampleProcess } from './ProcessStats.ts';

export interface RssReading {
  /** Mean over the samples of the processes' summed RSS. */
  meanBytes: number;
  peakBytes: number;
}

/**
 * The summed resident memory of some processes, read from /proc every few hundred ms while it runs.
 * A V8 process's RSS is a saw-tooth (garbage piles up to the next major collection, up to V8's 8 MiB
 * growing step, and the young generation grows and shrinks), so one reading at the end of a window
 * lands anywhere on it; the mean over the window is what the process holds while it serves, and the
 * peak is what the machine must have.
 */
export class RssSampler {
  readonly #pids: number[];
  readonly #timer: NodeJS.Timeout;
  #sum = 0;
  #peak = 0;
  #count = 0;

  constructor(pids: number[], intervalMs = 250) {
    this.#pids = pids;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs).unref();
  }

  /** Takes a last sample and stops. */
  stop(): RssReading {
    clearInterval(this.#timer);
    this.#sample();
    return { meanBytes: Math.round(this.#sum / this.#count), peakBytes: this.#peak };
  }

  #sample(): void {
    let total = 0;
    // A process gone mid-window (a respawned worker) counts as zero: the window is flagged elsewhere.
    for (const pid of this.#pids) total += sampleProcess(pid)?.rssBytes ?? 0;
    this.#sum += total;
    this.#count++;
    if (total > this.#peak) this.#peak = total;
  }
}
