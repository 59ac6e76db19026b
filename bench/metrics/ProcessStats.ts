import { readFileSync } from 'node:fs';

/** getconf CLK_TCK: 100 on every Linux this runs on (the kernel's USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export interface ProcessSample {
  pid: number;
  /** CPU seconds since the process started, all threads (utime, stime from /proc/<pid>/stat). */
  userSeconds: number;
  systemSeconds: number;
  rssBytes: number;
}

/**
 * CPU time and resident memory of one process from the OS (the process's own view could miss
 * threads or lie): /proc/<pid>/stat fields 14–15 (utime, stime in clock ticks, whole thread group)
 * and 24 (rss in pages). Undefined when the process is gone.
 */
export function sampleProcess(pid: number): ProcessSample | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return {
    pid,
    userSeconds: Number(fields[11]) / CLOCK_TICKS_PER_SECOND,
    systemSeconds: Number(fields[12]) / CLOCK_TICKS_PER_SECOND,
    rssBytes: Number(fields[21]) * PAGE_BYTES,
  };
}

/** The sum over several processes; a missing process counts as zero (and is listed). */
export function sampleProcesses(pids: number[]): {
  userSeconds: number;
  systemSeconds: number;
  rssBytes: number;
  missing: number[];
  byPid: Map<number, ProcessSample>;
} {
  const total = { userSeconds: 0, systemSeconds: 0, rssBytes: 0, missing: [] as number[], byPid: new Map() };
  for (const pid of pids) {
    const sample = sampleProcess(pid);
    if (!sample) {
      total.missing.push(pid);
      continue;
    }
    total.byPid.set(pid, sample);
    total.userSeconds += sample.userSeconds;
    total.systemSeconds += sample.systemSeconds;
    total.rssBytes += sample.rssBytes;
  }
  return total;
}
