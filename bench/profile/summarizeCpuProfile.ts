/**
 * Where a process spent its time, from a V8 `.cpuprofile` (`node --cpu-prof`): self time per function
 * (by name and source location), largest first. Also runnable on its own:
 *
 *   node bench/profile/summarizeCpuProfile.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  location: string;
  selfMs: number;
  selfPct: number;
}

export function summarizeCpuProfile(file: string, top = 30): { totalMs: number; entries: ProfileEntry[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to this sample.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + Math.max(0, delta));
  }
  const grouped = new Map<string, ProfileEntry>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += micros;
    const location = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const entry = grouped.get(key) ?? { name, location, selfMs: 0, selfPct: 0 };
    entry.selfMs += micros / 1000;
    grouped.set(key, entry);
  }
  const entries = [...grouped.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const entry of entries) {
    entry.selfPct = total > 0 ? Math.round((entry.selfMs * 1000 * 1000) / total) / 10 : 0;
    entry.selfMs = Math.round(entry.selfMs);
  }
  return { totalMs: Math.round(total / 1000), entries };
}

function shortUrl(url: string): string {
  if (!url.startsWith('file://')) return url;
  return relative(process.cwd(), fileURLToPath(url));
}

export function profileTable(summary: { totalMs: number; entries: ProfileEntry[] }): string {
  const lines = ['| self % | self ms | function | where |', '|---:|---:|---|---|'];
  for (const e of summary.entries)
    lines.push(`| ${e.selfPct} | ${e.selfMs} | \`${e.name}\` | ${e.location} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile/summarizeCpuProfile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const summary = summarizeCpuProfile(file, Number(process.argv[3] ?? 30));
  console.log(`total sampled: ${summary.totalMs} ms\n`);
  console.log(profileTable(summary));
}
