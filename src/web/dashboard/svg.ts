const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children (strings become text). */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** Series colours, distinct on the dark background. */
export const PALETTE = [
  '#5b8cff',
  '#3dd68c',
  '#f5a524',
  '#e5484d',
  '#b47cff',
  '#38c6d9',
  '#ff8ad8',
  '#c2d94c',
];

export function colour(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/**
 * Round axis steps (1, 2, 2.5, 5 × 10^n) giving about `target` ticks from 0 up to at least `max`;
 * whole steps only when the values are counts.
 */
export function niceTicks(max: number, options: { target?: number; integer?: boolean } = {}): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / (options.target ?? 4);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw)!;
  const step = options.integer ? Math.max(1, Math.ceil(nice)) : nice;
  const ticks: number[] = [];
  for (let value = 0; value < max + step * 0.999; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}
