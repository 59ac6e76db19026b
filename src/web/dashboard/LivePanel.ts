import type { LiveView, UsersOverTime } from '../../stats/statsApiTypes.ts';
import { h } from '../dom.ts';
import { ago, bytes, count, mbps, percent } from './format.ts';
import { LineChart } from './LineChart.ts';

export interface LivePanelElements {
  users: HTMLElement;
  rooms: HTMLElement;
  nodes: HTMLElement;
  roomList: HTMLElement;
  nodeRows: HTMLElement;
  recentChartSlot: HTMLElement;
}

/** What is happening now: users and rooms (biggest first), media nodes with their load, the last 4 hours. */
export class LivePanel {
  readonly #elements: LivePanelElements;
  readonly #recent = new LineChart({
    title: 'Users, last 4 hours',
    format: count,
    integer: true,
    minTop: 4,
    testId: 'chart-recent-users',
  });

  constructor(elements: LivePanelElements) {
    this.#elements = elements;
    elements.recentChartSlot.append(this.#recent.element);
  }

  render(view: LiveView): void {
    const { users, rooms, nodes, roomList, nodeRows } = this.#elements;
    users.textContent = count(view.users);
    rooms.textContent = count(view.rooms.length);
    nodes.textContent = count(view.nodes.length);

    roomList.replaceChildren(
      ...(view.rooms.length === 0
        ? [h('li', { class: 'empty-row' }, 'No meetings right now')]
        : view.rooms.map((room) =>
            h(
              'li',
              { class: 'room', 'data-testid': 'room', 'data-room': room.room },
              h(
                'span',
                { class: 'room-size', 'data-testid': 'room-users', title: 'participants' },
                String(room.users),
              ),
              h(
                'span',
                { class: 'room-text' },
                h('span', { class: 'room-title' }, room.name),
                h(
                  'span',
                  { class: 'room-meta' },
                  [room.tenantName, room.nodeIds.length > 0 ? `on ${room.nodeIds.join(', ')}` : '']
                    .filter(Boolean)
                    .join(' · '),
                ),
              ),
            ),
          )),
    );

    nodeRows.replaceChildren(
      ...(view.nodes.length === 0
        ? [h('tr', {}, h('td', { colspan: 9, class: 'empty-row' }, 'No media node is reporting'))]
        : view.nodes.map((node) =>
            h(
              'tr',
              { 'data-testid': 'node-row', 'data-node-id': node.nodeId, 'data-draining': node.draining },
              h(
                'th',
                { scope: 'row' },
                node.nodeId,
                // Drained: draining and empty, it can be turned off (`dotm node list` says the same).
                node.draining
                  ? h('span', { class: 'badge' }, node.otms === 0 ? 'drained' : 'draining')
                  : undefined,
              ),
              h('td', {}, node.region),
              h(
                'td',
                { class: 'cpu-cell' },
                h(
                  'span',
                  { class: 'meter', 'data-level': node.cpu > 0.85 ? 'high' : node.cpu > 0.6 ? 'mid' : 'low' },
                  h('span', {
                    class: 'meter-fill',
                    style: `width:${Math.min(100, node.cpu * 100).toFixed(1)}%`,
                  }),
                ),
                h('span', { 'data-testid': 'node-cpu' }, percent(node.cpu)),
              ),
              h('td', {}, bytes(node.memoryBytes)),
              h('td', {}, mbps(node.mbpsIn)),
              h('td', {}, mbps(node.mbpsOut)),
              h('td', {}, count(node.otms)),
              h('td', {}, count(node.subscribers)),
              h('td', { class: 'muted' }, ago(view.now - node.reportedAt)),
            ),
          )),
    );
  }

  renderRecent(users: UsersOverTime): void {
    this.#recent.render(users.buckets, users.bucketMs, [{ name: 'all users', values: users.total }]);
  }
}
