export interface ChartSeries {
  name: string;
  color: string;
  /** x ascending; `marked` points are drawn hollow (e.g. saturated). */
  points: Array<{ x: number; y: number; marked?: boolean }>;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}

const MARGIN = { top: 56, right: 180, bottom: 56, left: 72 };

/**
 * A line chart as a standalone SVG string, no dependency: linear axes from 0 with "nice" ticks,
 * one polyline and dot per point per series, a legend on the right.
 */
export function lineChartSvg(series: ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 860;
  const height = options.height ?? 480;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const all = series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(1, ...all.map((p) => p.x)));
  const yMax = niceMax(Math.max(0.01, ...all.map((p) => p.y)));
  const sx = (x: number) => MARGIN.left + (x / xMax) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - (y / yMax) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(
    `<text x="${MARGIN.left}" y="22" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  if (options.subtitle)
    out.push(`<text x="${MARGIN.left}" y="40" fill="#555">${escapeXml(options.subtitle)}</text>`);
  for (const tick of ticks(yMax)) {
    const y = sy(tick);
    out.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of ticks(xMax, true)) {
    const x = sx(tick);
    out.push(
      `<line x1="${x}" y1="${MARGIN.top + plotH}" x2="${x}" y2="${MARGIN.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${formatTick(tick)}</text>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text x="18" y="${MARGIN.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  series.forEach((s, index) => {
    if (s.points.length > 0) {
      const path = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const p of s.points) {
        out.push(
          `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="4" fill="${p.marked ? 'white' : s.color}" stroke="${s.color}" stroke-width="2"/>`,
        );
      }
    }
    const ly = MARGIN.top + 10 + index * 22;
    const lx = MARGIN.left + plotW + 20;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`,
      `<text x="${lx + 32}" y="${ly + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  const noteY = MARGIN.top + 10 + series.length * 22 + 10;
  out.push(
    `<circle cx="${MARGIN.left + plotW + 32}" cy="${noteY}" r="4" fill="white" stroke="#333" stroke-width="2"/>`,
    `<text x="${MARGIN.left + plotW + 44}" y="${noteY + 4}">saturated</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceMax(value: number): number {
  const exponent = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * exponent >= value) return step * exponent;
  }
  return 10 * exponent;
}

/** About five ticks from 0 to max; whole numbers only on an integer axis (participants). */
function ticks(max: number, integer = false): number[] {
  const raw = max / 5;
  const exponent = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * exponent).find((s) => s >= raw) ?? raw;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let t = 0; t <= max + step / 1000; t += step) out.push(Number(t.toPrecision(6)));
  return out;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 2 : 1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
