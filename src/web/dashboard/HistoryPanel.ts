import type { FullReport } from '../../stats/statsApiTypes.ts';
import { h } from '../dom.ts';
import { BarChart } from './BarChart.ts';
import { bytes, count, dateTime, duration, mbps, percent, plain } from './format.ts';
import { LineChart } from './LineChart.ts';

/** The reports over the chosen interval (the Mconf paper's section 3.2): figures and charts. */
export class HistoryPanel {
  readonly #summary: HTMLElement;
  readonly #caption: HTMLElement;
  readonly #users = new LineChart({
    title: 'Most simultaneous users, per tenant',
    format: count,
    integer: true,
    minTop: 4,
    testId: 'chart-users',
  });
  readonly #sizes = new BarChart('Meetings by room size (most users at once)', 'chart-room-sizes');
  readonly #perNode = new BarChart('Meetings per media node', 'chart-meetings-per-node');
  readonly #perNodeNote = h('p', { class: 'chart-note' });
  readonly #cpu = new LineChart({ title: 'CPU per node', format: percent, minTop: 1, testId: 'chart-cpu' });
  readonly #in = new LineChart({
    title: 'Bandwidth in per node (Mbit/s)',
    format: mbps,
    axisFormat: plain,
    minTop: 1,
    testId: 'chart-mbps-in',
  });
  readonly #out = new LineChart({
    title: 'Bandwidth out per node (Mbit/s)',
    format: mbps,
    axisFormat: plain,
    minTop: 1,
    testId: 'chart-mbps-out',
  });
  readonly #memory = new LineChart({
    title: 'Memory per node',
    format: bytes,
    minTop: 1e8,
    testId: 'chart-memory',
  });

  constructor(summary: HTMLElement, caption: HTMLElement, charts: HTMLElement) {
    this.#summary = summary;
    this.#caption = caption;
    charts.append(
      this.#users.element,
      this.#sizes.element,
      h('div', { class: 'chart-with-note' }, this.#perNode.element, this.#perNodeNote),
      this.#cpu.element,
      this.#in.element,
      this.#out.element,
      this.#memory.element,
    );
  }

  render(report: FullReport): void {
    const { summary, roomSizes, meetingsPerNode, users, nodeLoad } = report;
    this.#caption.textContent = `${dateTime(summary.from)} – ${dateTime(summary.to)}`;
    const figure = (label: string, value: string, testId: string) =>
      h(
        'div',
        { class: 'stat card' },
        h('span', { class: 'stat-value', 'data-testid': testId }, value),
        h('span', { class: 'stat-label' }, label),
      );
    this.#summary.replaceChildren(
      figure('meetings', count(summary.meetings), 'summary-meetings'),
      figure(
        'average duration',
        summary.averageDurationMs === null ? '–' : duration(summary.averageDurationMs),
        'summary-duration',
      ),
      figure(
        'average of the most users per meeting',
        summary.averagePeakUsers === null ? '–' : count(summary.averagePeakUsers),
        'summary-average-peak',
      ),
      figure('most simultaneous users', count(summary.maxSimultaneousUsers), 'summary-max-users'),
    );

    const tenantLines = users.series.map((line) => ({ name: line.tenantName, values: line.peakUsers }));
    this.#users.render(
      users.buckets,
      users.bucketMs,
      tenantLines.length > 1 ? [{ name: 'all', values: users.total }, ...tenantLines] : tenantLines,
    );
    this.#sizes.render(roomSizes.buckets.map((bucket) => ({ label: bucket.label, value: bucket.meetings })));
    this.#perNode.render(meetingsPerNode.nodes.map((node) => ({ label: node.nodeId, value: node.meetings })));
    this.#perNodeNote.textContent =
      meetingsPerNode.withoutKnownNode > 0
        ? `${meetingsPerNode.withoutKnownNode} meeting(s) had no stream on any node while sampled.`
        : '';
    const perNode = (pick: (node: FullReport['nodeLoad']['nodes'][number]) => (number | null)[]) =>
      nodeLoad.nodes.map((node) => ({ name: node.nodeId, values: pick(node) }));
    this.#cpu.render(
      nodeLoad.buckets,
      nodeLoad.bucketMs,
      perNode((node) => node.cpu),
    );
    this.#in.render(
      nodeLoad.buckets,
      nodeLoad.bucketMs,
      perNode((node) => node.mbpsIn),
    );
    this.#out.render(
      nodeLoad.buckets,
      nodeLoad.bucketMs,
      perNode((node) => node.mbpsOut),
    );
    this.#memory.render(
      nodeLoad.buckets,
      nodeLoad.bucketMs,
      perNode((node) => node.memoryBytes),
    );
  }
}
