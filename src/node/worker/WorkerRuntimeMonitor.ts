import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface WorkerRuntimeStats {
  /** Event-loop delay since the previous sample (monitorEventLoopDelay, 10 ms resolution), ms. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Garbage collections since the process started, and the time they paused it, ms. */
  gcCount: number;
  gcPauseMs: number;
  /** Of those, the major (mark-compact) ones: the long pauses. */
  gcMajorCount: number;
  gcMajorPauseMs: number;
  heapUsedBytes: number;
  /** Memory of Buffers and other objects outside the V8 heap (arrayBuffers included). */
  externalBytes: number;
  arrayBuffersBytes: number;
}

/**
 * What the worker's own runtime costs: how late its event loop runs (the latency every packet pays
 * on top of its processing) and how much of that is garbage collection.
 */
export class WorkerRuntimeMonitor {
  readonly #delay: ReturnType<typeof monitorEventLoopDelay>;
  readonly #gcObserver: PerformanceObserver;
  #gcCount = 0;
  #gcPauseMs = 0;
  #gcMajorCount = 0;
  #gcMajorPauseMs = 0;

  constructor() {
    this.#delay = monitorEventLoopDelay({ resolution: 10 });
    this.#delay.enable();
    this.#gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.#gcCount++;
        this.#gcPauseMs += entry.duration;
        if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          this.#gcMajorCount++;
          this.#gcMajorPauseMs += entry.duration;
        }
      }
    });
    this.#gcObserver.observe({ entryTypes: ['gc'] });
  }

  /** The figures; the event-loop histogram restarts, so each sample covers the time since the last. */
  sample(): WorkerRuntimeStats {
    const delay = this.#delay;
    const memory = process.memoryUsage();
    const stats: WorkerRuntimeStats = {
      eventLoopDelayP99Ms: delay.count > 0 ? round(delay.percentile(99) / 1e6) : 0,
      eventLoopDelayMaxMs: delay.count > 0 ? round(delay.max / 1e6) : 0,
      gcCount: this.#gcCount,
      gcPauseMs: round(this.#gcPauseMs),
      gcMajorCount: this.#gcMajorCount,
      gcMajorPauseMs: round(this.#gcMajorPauseMs),
      heapUsedBytes: memory.heapUsed,
      externalBytes: memory.external,
      arrayBuffersBytes: memory.arrayBuffers,
    };
    delay.reset();
    return stats;
  }

  close(): void {
    this.#delay.disable();
    this.#gcObserver.disconnect();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
