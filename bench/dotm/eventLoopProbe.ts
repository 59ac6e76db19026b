/**
 * Preloaded into dotm's server and media-worker processes by the benchmark (NODE_OPTIONS="--import
 * <this file>", inherited by the forked workers), because the workers do not report event-loop delay
 * themselves. On SIGUSR2 it writes the delay histogram since the previous SIGUSR2 to
 * $DOTM_BENCH_PROBE_DIR/eld-<pid>.json and starts a new one. Costs one 10 ms timer per process.
 * Figures are delays beyond the timer's period (what a packet waiting in the socket would wait).
 * It also sums the garbage collector's pauses (minor = scavenges, major = mark-compact), one likely
 * cause of long delays.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const dir = process.env.DOTM_BENCH_PROBE_DIR;
/** The histogram records the time between its timer's callbacks, so the period itself is subtracted. */
const RESOLUTION_MS = 10;
const delayMs = (nanoseconds: number): number => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS);

if (dir) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const gc = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0, maxPauseMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.minorCount++;
        gc.minorMs += entry.duration;
      } else {
        gc.majorCount++;
        gc.majorMs += entry.duration;
      }
      gc.maxPauseMs = Math.max(gc.maxPauseMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  let sequence = 0;
  let since = Date.now();
  process.on('SIGUSR2', () => {
    sequence++;
    const now = Date.now();
    const sample = {
      pid: process.pid,
      sequence,
      sinceMs: since,
      untilMs: now,
      count: histogram.count,
      p50Ms: histogram.count > 0 ? delayMs(histogram.percentile(50)) : 0,
      p99Ms: histogram.count > 0 ? delayMs(histogram.percentile(99)) : 0,
      maxMs: histogram.count > 0 ? delayMs(histogram.max) : 0,
      meanMs: histogram.count > 0 ? delayMs(histogram.mean) : 0,
      gc: { ...gc },
      // Where resident memory sits: the JS heap, or Buffers and other memory outside it.
      memory: (({ rss, heapUsed, heapTotal, external, arrayBuffers }) => ({
        rss,
        heapUsed,
        heapTotal,
        external,
        arrayBuffers,
      }))(process.memoryUsage()),
      memoryDetail: memoryDetail(),
    };
    const file = join(dir, `eld-${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(sample));
    renameSync(`${file}.tmp`, file);
    histogram.reset();
    Object.assign(gc, { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0, maxPauseMs: 0 });
    since = now;
  });
}

/**
 * Where the resident memory is, beyond process.memoryUsage(): the pages each V8 heap space holds
 * (physical, not reserved) and the kernel's split of the process's resident pages (anonymous: heaps,
 * malloc arenas, stacks; file-backed: the node binary and libraries).
 */
function memoryDetail(): { heapSpacesPhysical: Record<string, number>; smaps: Record<string, number> } {
  const heapSpacesPhysical: Record<string, number> = {};
  for (const space of getHeapSpaceStatistics())
    heapSpacesPhysical[space.space_name] = space.physical_space_size;
  const smaps: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/smaps_rollup', 'utf8').split('\n')) {
      const match = /^(\w+):\s+(\d+) kB/.exec(line);
      if (match) smaps[match[1]!] = Number(match[2]) * 1024;
    }
  } catch {
    // Not Linux: the rest of the sample still holds.
  }
  return { heapSpacesPhysical, smaps };
}
