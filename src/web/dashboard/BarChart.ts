import { h } from '../dom.ts';
import { niceTicks, s } from './svg.ts';

export interface Bar {
  label: string;
  value: number;
}

const WIDTH = 640;
const HEIGHT = 200;
const LEFT = 40;
const RIGHT = 8;
const TOP = 18;
const BOTTOM = 26;

/** Counts per category as vertical bars, labelled with their values, drawn as SVG from scratch. */
export class BarChart {
  readonly element: HTMLElement;
  readonly #svg: SVGSVGElement;

  constructor(title: string, testId: string) {
    this.#svg = s('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      role: 'img',
      'aria-label': title,
      class: 'chart-svg',
    });
    this.element = h(
      'figure',
      { class: 'chart', 'data-testid': testId },
      h('figcaption', {}, title),
      this.#svg,
    );
  }

  render(bars: Bar[], emptyText = 'No data in this interval'): void {
    this.#svg.replaceChildren();
    const hasData = bars.some((bar) => bar.value > 0);
    this.element.dataset.empty = String(!hasData);
    if (bars.length === 0 || !hasData) {
      this.#svg.append(
        s('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'empty' }, emptyText),
      );
      return;
    }
    const ticks = niceTicks(Math.max(...bars.map((bar) => bar.value)), { integer: true });
    const top = ticks[ticks.length - 1]!;
    const plotHeight = HEIGHT - TOP - BOTTOM;
    const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
    for (const tick of ticks) {
      this.#svg.append(
        s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(tick), y2: y(tick), class: 'grid' }),
        s('text', { x: LEFT - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' }, String(tick)),
      );
    }
    const slot = (WIDTH - LEFT - RIGHT) / bars.length;
    const width = Math.min(56, slot * 0.7);
    bars.forEach((bar, index) => {
      const centre = LEFT + slot * index + slot / 2;
      this.#svg.append(
        s(
          'rect',
          {
            x: centre - width / 2,
            y: y(bar.value),
            width,
            height: Math.max(0, y(0) - y(bar.value)),
            rx: 3,
            class: 'bar',
            'data-label': bar.label,
            'data-value': bar.value,
          },
          s('title', {}, `${bar.label}: ${bar.value}`),
        ),
        s(
          'text',
          { x: centre, y: y(bar.value) - 4, 'text-anchor': 'middle', class: 'bar-value' },
          String(bar.value),
        ),
        s('text', { x: centre, y: HEIGHT - 8, 'text-anchor': 'middle', class: 'axis' }, bar.label),
      );
    });
  }
}
