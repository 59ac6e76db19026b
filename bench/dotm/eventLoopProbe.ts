/**
 * Preloaded into dotm's server and media-worker processes by the benchmark (NODE_OPTIONS="--import
 * <this file>", inherited by the forked workers), because the workers do not report event-loop delay
 * themselves. On SIGUSR2 it writes the delay histogram since the previous SIGUSR2 to
 * $DOTM_BENCH_PROBE_DIR/eld-<pid>.json and starts a new one. Costs one 10 ms timer per process.
 * Figures are delays beyond the timer's period (what a packet waiting in the socket would wait).
 * It also sums the garbage collector's pauses (minor = scavenges, major = mark-compact), one likely
 * cause of long delays.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

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
    };
    const file = join(dir, `eld-${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(sample));
    renameSync(`${file}.tmp`, file);
    histogram.reset();
    Object.assign(gc, { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0, maxPauseMs: 0 });
    since = now;
  });
}
