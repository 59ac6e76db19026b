/** A sample: its labels (none for a plain series) and its value. */
export type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

/**
 * Prometheus's text exposition format (version 0.0.4), written one metric family at a time: a
 * HELP and a TYPE line, then its samples, label values escaped as the format says.
 */
export class PrometheusText {
  readonly #lines: string[] = [];

  gauge(name: string, help: string, samples: Iterable<Sample>): this {
    return this.#family(name, help, 'gauge', samples);
  }

  /** `value` alone: one sample without labels. */
  counter(name: string, help: string, samples: Iterable<Sample> | number): this {
    return this.#family(name, help, 'counter', typeof samples === 'number' ? [[{}, samples]] : samples);
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }

  #family(name: string, help: string, type: 'gauge' | 'counter', samples: Iterable<Sample>): this {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.#lines.push(`${name}${labelText(labels)} ${value}`);
    return this;
  }
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** Backslash, double quote and newline are escaped in label values; nothing else is. */
function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
