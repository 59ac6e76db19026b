import { round } from '../scenario/PointMeasurement.ts';
import type { BenchPoint, BenchSummary, DeploymentResult } from './resultTypes.ts';

/**
 * The summary of one deployment's points, against Janus's points of the same scenario in the same run
 * (ratios only mean something side by side: absolute times drift on a shared machine).
 */
export function summarize(points: BenchPoint[], janus: BenchPoint[] | undefined): BenchSummary {
  const healthy = points.filter((p) => !p.saturated);
  const top = healthy[healthy.length - 1];
  const saturated = points.find((p) => p.saturated);
  const janusHealthy = new Map((janus ?? []).filter((p) => !p.saturated).map((p) => [p.n, p]));
  const ratioByN: Record<string, number> = {};
  for (const point of healthy) {
    const other = janusHealthy.get(point.n);
    if (other && other.usCpuPerForwardedPacket > 0)
      ratioByN[String(point.n)] = round(point.usCpuPerForwardedPacket / other.usCpuPerForwardedPacket, 2);
  }
  const commonNs = Object.keys(ratioByN).map(Number);
  const ratioAt = commonNs.length > 0 ? Math.max(...commonNs) : null;
  return {
    usCpuPerForwardedPacket: top ? top.usCpuPerForwardedPacket : null,
    marginalUsPerForwardedPacket: marginal(healthy),
    janusRatio: ratioAt === null ? null : ratioByN[String(ratioAt)]!,
    janusRatioAtN: ratioAt,
    janusRatioByN: ratioByN,
    rssKiBPerSubscriber: top ? top.rssKiBPerSubscriber : null,
    rssPeakKiBPerSubscriber: top?.rssPeakKiBPerSubscriber ?? null,
    marginalRssKiBPerSubscriber: marginalRss(healthy),
    lossPct: top ? top.lossPct : null,
    maxParticipantsBeforeSaturation: top ? top.n : null,
    saturatedAtN: saturated ? saturated.n : null,
    saturationReasons: saturated ? saturated.saturationReasons : [],
  };
}

/** Slope of server CPU (core-seconds per second) against packets out per second, in µs per packet. */
function marginal(points: BenchPoint[]): number | null {
  const slope = leastSquaresSlope(
    points.map((p) => p.packetsOutPerSecond),
    points.map((p) => p.serverCpuCores),
  );
  return slope === null ? null : round(slope * 1e6, 2);
}

/**
 * Slope of server RSS against subscribers, in KiB per subscriber: what one more viewer costs, without
 * what the first session cost once (code compiled on first use, buffers of the runtime) that
 * rssKiBPerSubscriber spreads over the subscribers of the top point.
 */
function marginalRss(points: BenchPoint[]): number | null {
  const slope = leastSquaresSlope(
    points.map((p) => p.subscribers),
    points.map((p) => p.serverRssBytes / 1024),
  );
  return slope === null ? null : round(slope, 1);
}

function leastSquaresSlope(xs: number[], ys: number[]): number | null {
  if (xs.length < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : null;
}

/** Fills every deployment's summary once all deployments of a scenario have run. */
export function summarizeScenario(results: DeploymentResult[]): void {
  const janus = results.find((r) => r.deployment === 'janus')?.points;
  for (const result of results) result.summary = summarize(result.points, janus);
}
