import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EventLoopSample {
  pid: number;
  sequence: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Garbage-collector pauses over the same span. */
  gc?: { minorCount: number; minorMs: number; majorCount: number; majorMs: number; maxPauseMs: number };
  /** process.memoryUsage() at the end of the span, bytes. */
  memory?: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  /** Resident pages per V8 heap space and the kernel's smaps_rollup fields, bytes. */
  memoryDetail?: { heapSpacesPhysical: Record<string, number>; smaps: Record<string, number> };
}

/**
 * The orchestrator's side of eventLoopProbe.ts: SIGUSR2 makes each probed process write the
 * histogram since its previous SIGUSR2 and start a new one. `mark()` at a window's start discards
 * what came before; `collect()` at its end returns the window's histogram per process.
 */
export class EventLoopProbeReader {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async mark(pids: number[]): Promise<void> {
    await this.collect(pids);
  }

  async collect(pids: number[]): Promise<EventLoopSample[]> {
    const before = new Map(pids.map((pid) => [pid, this.#read(pid)?.sequence ?? 0]));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGUSR2');
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 3000;
    const samples: EventLoopSample[] = [];
    const waiting = new Set(pids);
    while (waiting.size > 0 && Date.now() < deadline) {
      for (const pid of [...waiting]) {
        const sample = this.#read(pid);
        if (sample && sample.sequence > (before.get(pid) ?? 0)) {
          samples.push(sample);
          waiting.delete(pid);
        }
      }
      if (waiting.size > 0) await new Promise((r) => setTimeout(r, 20));
    }
    return samples;
  }

  #read(pid: number): EventLoopSample | undefined {
    try {
      return JSON.parse(readFileSync(join(this.#dir, `eld-${pid}.json`), 'utf8')) as EventLoopSample;
    } catch {
      return undefined;
    }
  }
}
