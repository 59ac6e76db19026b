import { readFileSync } from 'node:fs';

/** Busy and total jiffies of all CPUs, from /proc/stat (Linux). */
export function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, x) => sum + x, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export function busySince(start: { busy: number; total: number }): number {
  const now = cpuTimes();
  return Math.round((100 * (now.busy - start.busy)) / Math.max(1, now.total - start.total));
}
