import type { BenchPoint, BenchRun, ScenarioResult } from './resultTypes.ts';

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

/** The run as markdown: machine and settings, a summary table, then every point of every scenario. */
export function markdownReport(run: BenchRun, chartFiles: Record<string, string>): string {
  const lines: string[] = [];
  lines.push(`# dotm benchmark — ${run.startedAt}`);
  lines.push('');
  lines.push(`Command: \`${run.command}\``);
  lines.push('');
  lines.push(
    `Machine: ${String(run.machine.cpuModel)}, ${String(run.machine.cores)} cores, Node ${String(run.machine.node)}, ${String(run.machine.janus)}; load average at start ${String(run.machine.loadAverageStart)}, at end ${String(run.machine.loadAverageEnd)}.`,
  );
  lines.push(
    `Settings: ${Object.entries(run.settings)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', ')}.`,
  );
  lines.push('');
  for (const note of run.notes) lines.push(`- ${note}`);
  lines.push('');
  lines.push('## Summary');
  lines.push('');
  lines.push(
    '| scenario | deployment | µs CPU / forwarded packet (top unsaturated n) | marginal µs / packet | ÷ Janus (at n) | KiB RSS / subscriber | marginal KiB RSS / subscriber (slope) | loss % | max n before saturation | saturated at (why) |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const scenario of run.scenarios) {
    for (const d of scenario.deployments) {
      const s = d.summary;
      lines.push(
        `| ${scenario.scenario} | ${d.deployment} | ${fmt(s.usCpuPerForwardedPacket)} | ${fmt(s.marginalUsPerForwardedPacket)} | ${
          s.janusRatio === null ? '–' : `${s.janusRatio.toFixed(2)} (n=${s.janusRatioAtN})`
        } | ${fmt(s.rssKiBPerSubscriber, 0)} | ${fmt(s.marginalRssKiBPerSubscriber, 0)} | ${fmt(s.lossPct, 2)} | ${s.maxParticipantsBeforeSaturation ?? '–'} | ${
          s.saturatedAtN === null ? 'not reached' : `${s.saturatedAtN} (${s.saturationReasons.join('; ')})`
        }${d.error ? ` ERROR: ${d.error.split('\n')[0]}` : ''} |`,
      );
    }
  }
  lines.push('');
  for (const scenario of run.scenarios)
    lines.push(...scenarioSection(scenario, chartFiles[scenario.scenario]));
  return `${lines.join('\n')}\n`;
}

function scenarioSection(scenario: ScenarioResult, chart: string | undefined): string[] {
  const lines = [`## ${scenario.scenario}: ${scenario.description}`, ''];
  if (chart) lines.push(`![server CPU vs n](${chart})`, '');
  lines.push(
    '| deployment | n | pubs | subs | server CPU (cores) | user / sys | µs / fwd pkt | pkts/s in | pkts/s out | Mbit/s out | loss % | gaps % | NACKs | PLIs | worker ELD p99 / max ms | ctrl ELD p99 | RSS MiB (mean over window) | KiB / sub mean (peak) | drops srv / lg | loadgen cores / ELD p99 | dotm-reported pkts/s out | OTMs per node | CPU cores by process | other processes CPU (cores) / load avg | saturated |',
  );
  lines.push(
    '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|---:|---|---|---|---|',
  );
  for (const d of scenario.deployments) {
    for (const p of d.points) lines.push(pointRow(d.deployment, p));
  }
  lines.push('');
  lines.push(...memorySection(scenario));
  return lines;
}

function pointRow(deployment: string, p: BenchPoint): string {
  const eld = p.eventLoopP99Ms === undefined ? 'n/a' : `${fmt(p.eventLoopP99Ms)} / ${fmt(p.eventLoopMaxMs)}`;
  return `| ${deployment} | ${p.n}${p.windows > 1 ? ` (${p.windows} windows)` : ''} | ${p.publishers} | ${p.subscribers} | ${fmt(p.serverCpuCores, 3)} | ${fmt(
    p.serverCpuUserCores,
    2,
  )} / ${fmt(p.serverCpuSystemCores, 2)} | ${fmt(p.usCpuPerForwardedPacket)} | ${p.packetsInPerSecond} | ${
    p.packetsOutPerSecond
  } | ${fmt(p.mbitsOutPerSecond)} | ${fmt(p.lossPct, 3)} | ${fmt(p.gapPct, 3)} | ${p.nacksSent} | ${p.plisSent} | ${eld} | ${fmt(
    p.controllerEventLoopP99Ms,
  )} | ${fmt(p.serverRssBytes / 1048576, 0)} | ${fmt(p.rssKiBPerSubscriber, 0)}${
    p.rssPeakKiBPerSubscriber === undefined ? '' : ` (${fmt(p.rssPeakKiBPerSubscriber, 0)})`
  } | ${p.serverSocketDrops} / ${
    p.loadgenSocketDrops
  } | ${fmt(p.loadgenCpuCores, 2)} / ${fmt(p.loadgenEventLoopP99Ms)} | ${p.serverReportedPacketsOutPerSecond ?? '–'} | ${
    p.otmsPerNode?.join('+') ?? '–'
  } | ${p.serverProcesses
    .map(
      (s) =>
        `${s.role} ${s.cpuCores.toFixed(2)}${
          s.gcMsPerSecond === undefined
            ? ''
            : ` (GC ${s.gcMsPerSecond} ms/s, ${s.gcMajorCount} major, max ${s.gcMaxPauseMs} ms; RSS ${s.rssMiB} MiB, heap ${s.heapUsedMiB}, external ${s.externalMiB})`
        }`,
    )
    .join(', ')} | ${fmt(
    p.otherCpuCores,
    2,
  )} / ${fmt(p.loadAverage1m, 1)} | ${p.saturated ? p.saturationReasons.join('; ') : ''}${
    p.noise.length > 0 ? ` (noise: ${p.noise.join('; ')})` : ''
  } |`;
}

/**
 * dotm's processes at the idle baseline and at the top unsaturated point: where the resident memory that
 * "KiB / sub" divides went (V8 heap pages, ArrayBuffers, other anonymous memory, mapped files), MiB.
 */
function memorySection(scenario: ScenarioResult): string[] {
  const rows: string[] = [];
  for (const d of scenario.deployments) {
    const top = d.points.filter((p) => !p.saturated).at(-1);
    if (!top || !d.baselineProcesses?.some((b) => b.memory)) continue;
    for (const before of d.baselineProcesses) {
      const after = top.serverProcesses.find((p) => p.pid === before.pid)?.memory;
      const b = before.memory;
      if (!b || !after) continue;
      const cell = (from: number, to: number) =>
        `${fmt(from)} → ${fmt(to)} (${to >= from ? '+' : ''}${fmt(to - from)})`;
      const heapOther = (m: typeof b) => m.heapPhysical - (m.heapSpaces.old ?? 0);
      const otherAnonymous = (m: typeof b) => m.anonymous - m.heapPhysical - m.arrayBuffers;
      rows.push(
        `| ${d.deployment} | ${top.n} | ${before.role} | ${cell(b.rss, after.rss)} | ${cell(b.heapSpaces.old ?? 0, after.heapSpaces.old ?? 0)} | ${cell(heapOther(b), heapOther(after))} | ${cell(b.arrayBuffers, after.arrayBuffers)} | ${cell(otherAnonymous(b), otherAnonymous(after))} | ${cell(b.fileBacked, after.fileBacked)} |`,
      );
    }
  }
  if (rows.length === 0) return [];
  return [
    `Memory of dotm's processes, idle baseline → top unsaturated n, MiB (V8 old space; the other V8 spaces: new, code, large objects…; ArrayBuffers: Buffers and typed arrays; other anonymous: malloc arenas, native state, stacks; file-backed: the node binary and libraries):`,
    '',
    '| deployment | n | process | RSS | V8 old space | other V8 spaces | ArrayBuffers | other anonymous | file-backed |',
    '|---|---:|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}
