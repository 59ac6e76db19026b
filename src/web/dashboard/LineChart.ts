import { h } from '../dom.ts';
import { timeLabel } from './format.ts';
import { colour, niceTicks, s } from './svg.ts';

export interface LineSeries {
  name: string;
  /** One per slot; null = no data (the line breaks there). */
  values: (number | null)[];
}

export interface LineChartOptions {
  /** The accessible name of the chart. */
  title: string;
  /** How a value is written in the legend (with its unit). */
  format: (value: number) => string;
  /** How an axis label is written, when shorter than `format` (the unit then goes in the title). */
  axisFormat?: (value: number) => string;
  /** Counts: whole axis steps only. */
  integer?: boolean;
  /** The top of the axis at least (1 for shares). */
  minTop?: number;
  testId: string;
}

const WIDTH = 640;
const HEIGHT = 220;
const LEFT = 64;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 26;

/** Lines over time on shared axes, drawn as SVG from scratch; one colour per series, with a legend. */
export class LineChart {
  readonly element: HTMLElement;
  readonly #svg: SVGSVGElement;
  readonly #legend: HTMLElement;
  readonly #options: LineChartOptions;

  constructor(options: LineChartOptions) {
    this.#options = options;
    this.#svg = s('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': options.title,
      class: 'chart-svg',
    });
    this.#legend = h('ul', { class: 'legend' });
    this.element = h(
      'figure',
      { class: 'chart', 'data-testid': options.testId },
      h('figcaption', {}, options.title),
      this.#svg,
      this.#legend,
    );
  }

  /** `starts` are the slots' starts, each `bucketMs` long. */
  render(starts: number[], bucketMs: number, series: LineSeries[]): void {
    const { format, minTop = 0, integer = false } = this.#options;
    const axisFormat = this.#options.axisFormat ?? format;
    this.#svg.replaceChildren();
    this.#legend.replaceChildren();
    const values = series.flatMap((line) => line.values.filter((v): v is number => v !== null));
    const hasData = starts.length > 0 && values.length > 0;
    this.element.dataset.empty = String(!hasData);
    const plotWidth = WIDTH - LEFT - RIGHT;
    const plotHeight = HEIGHT - TOP - BOTTOM;
    const ticks = niceTicks(Math.max(minTop, ...values, 0), { integer });
    const top = ticks[ticks.length - 1]!;
    const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
    const from = starts[0] ?? 0;
    const span = Math.max(1, starts.length * bucketMs);
    const x = (slot: number) => LEFT + ((starts[slot]! + bucketMs / 2 - from) / span) * plotWidth;

    for (const tick of ticks) {
      this.#svg.append(
        s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(tick), y2: y(tick), class: 'grid' }),
        s('text', { x: LEFT - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' }, axisFormat(tick)),
      );
    }
    const labels = Math.min(6, starts.length);
    for (let i = 0; i < labels; i++) {
      const slot = Math.round((i * (starts.length - 1)) / Math.max(1, labels - 1));
      this.#svg.append(
        s(
          'text',
          { x: x(slot), y: HEIGHT - 8, 'text-anchor': 'middle', class: 'axis' },
          timeLabel(starts[slot]!, span),
        ),
      );
    }
    if (!hasData) {
      this.#svg.append(
        s(
          'text',
          { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'empty' },
          'No data in this interval',
        ),
      );
      return;
    }
    series.forEach((line, index) => {
      const stroke = colour(index);
      let d = '';
      let pen = false;
      line.values.forEach((value, slot) => {
        if (value === null) {
          pen = false;
          return;
        }
        const next = line.values[slot + 1];
        const previous = line.values[slot - 1];
        // A point with no neighbour would be an invisible zero-length line: mark it with a dot.
        if ((previous === null || previous === undefined) && (next === null || next === undefined)) {
          this.#svg.append(s('circle', { cx: x(slot), cy: y(value), r: 2.5, fill: stroke }));
        }
        d += `${pen ? 'L' : 'M'}${x(slot).toFixed(1)},${y(value).toFixed(1)}`;
        pen = true;
      });
      const path = s(
        'path',
        { d, stroke, class: 'series', 'data-series': line.name },
        s('title', {}, line.name),
      );
      this.#svg.append(path);
      const last = [...line.values].reverse().find((v): v is number => v !== null);
      this.#legend.append(
        h(
          'li',
          {},
          h('span', { class: 'swatch', style: `background:${stroke}` }),
          line.name,
          last === undefined ? '' : h('span', { class: 'legend-value' }, format(last)),
        ),
      );
    });
  }
}
