import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const CLOCK_TICKS_PER_SECOND = 100;

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat's aggregate line. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, _idle, _iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export function loadAverage1m(): number {
  return loadavg()[0]!;
}
