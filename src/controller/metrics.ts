import type { NodeReport } from '../cluster/NodeReport.ts';
import { PrometheusText, type Sample } from '../http/PrometheusText.ts';
import type { NodeDecisions, RoomService } from './RoomService.ts';

/** What RoomHomes tells about this controller's standing with the room directory. */
export interface HomesHealth {
  readonly fenced: boolean;
  readonly fencing: { readonly fenced: number; readonly refusedWrites: number };
}

/** Prometheus text exposition of the controller's view of the cluster. */
export function renderMetrics(
  rooms: RoomService,
  /** Undefined when the cluster state (Redis) did not answer. */
  listedNodes: readonly NodeReport[] | undefined,
  connections: number,
  homes?: HomesHealth,
): string {
  const text = new PrometheusText();
  const nodes = listedNodes ?? [];
  const gauge = (name: string, help: string, samples: Sample[]) => text.gauge(name, help, samples);
  const counter = (name: string, help: string, value: number) => text.counter(name, help, value);
  const counterByNode = (name: string, help: string, pick: (d: NodeDecisions) => number) =>
    text.counter(
      name,
      help,
      [...rooms.stats.byNode].map(([node, decisions]): Sample => [{ node }, pick(decisions)]),
    );
  gauge('dotm_rooms', 'Open rooms.', [[{}, rooms.stats.rooms]]);
  gauge('dotm_participants', 'Participants in all rooms.', [[{}, rooms.stats.participants]]);
  gauge('dotm_streams', 'Published streams (one OTM each).', [[{}, rooms.stats.streams]]);
  gauge('dotm_signalling_connections', 'Open participant WebSockets on this controller.', [
    [{}, connections],
  ]);
  counter('dotm_placements_total', 'OTMs placed on nodes.', rooms.stats.placements);
  counter(
    'dotm_placement_failures_total',
    'Streams refused because no node had room.',
    rooms.stats.placementFailures,
  );
  counter(
    'dotm_failovers_total',
    'OTMs placed again after their node or worker was lost.',
    rooms.stats.replacements,
  );
  counter(
    'dotm_migrations_total',
    'Streams moved make-before-break off a draining node.',
    rooms.stats.migrations,
  );
  counter(
    'dotm_migration_fallbacks_total',
    'Migrating streams whose publisher did not reach the new node in time (moved as after a failure).',
    rooms.stats.migrationFallbacks,
  );
  if (homes) {
    gauge(
      'dotm_controller_fenced',
      'This controller could not renew its room leases for a full lease and homes no room (1) until it reaches Redis again.',
      [[{}, homes.fenced ? 1 : 0]],
    );
    counter('dotm_controller_fencings_total', 'Times this controller fenced itself.', homes.fencing.fenced);
    counter(
      'dotm_snapshot_writes_refused_total',
      'Room snapshot writes the directory refused because another controller held the lease.',
      homes.fencing.refusedWrites,
    );
  }
  counterByNode(
    'dotm_node_placements_total',
    'OTMs this controller placed on the node.',
    (d) => d.placements,
  );
  counterByNode(
    'dotm_node_failovers_total',
    'OTMs this controller placed again elsewhere because the node or its worker was lost.',
    (d) => d.failoversFrom,
  );
  counterByNode(
    'dotm_node_migrations_total',
    'Streams this controller moved off the node (drain, defragmenting).',
    (d) => d.migrationsFrom,
  );
  gauge(
    'dotm_cluster_state_up',
    'The cluster state (Redis) answered this scrape (1) or not (0: no node metrics).',
    [[{}, listedNodes ? 1 : 0]],
  );
  gauge('dotm_nodes', 'Live media nodes.', [[{}, nodes.length]]);
  const perNode = (name: string, help: string, pick: (n: NodeReport) => number) =>
    gauge(
      name,
      help,
      nodes.map((n) => [{ node: n.nodeId, region: n.region }, pick(n)]),
    );
  perNode('dotm_node_cpu_ratio', 'CPU in use by the node, 0..1.', (n) => n.load.cpu);
  perNode('dotm_node_otms', 'OTMs on the node.', (n) => n.load.otms);
  perNode('dotm_node_draining', 'The node is draining (1) or drained, or takes new OTMs (0).', (n) =>
    n.draining || n.drain ? 1 : 0,
  );
  perNode('dotm_node_subscribers', 'Subscribers on the node.', (n) => n.load.subscribers);
  perNode(
    'dotm_node_event_loop_delay_p99_ms',
    'Worst media worker event-loop delay p99 since the last report, ms (packets wait this long).',
    (n) => n.load.eventLoopDelayP99Ms ?? 0,
  );
  perNode(
    'dotm_node_nack_cache_bytes',
    "Memory of the node's NACK caches, bytes (kept for 3 RTTs of each OTM's farthest viewer).",
    (n) => n.load.nackCacheBytes ?? 0,
  );
  perNode(
    'dotm_node_nack_retention_max_ms',
    'Longest time an OTM of the node keeps packets for NACKs, ms (1000 until viewers report RTT).',
    (n) => n.load.maxNackRetentionMs ?? 0,
  );
  perNode(
    'dotm_node_packets_in_per_second',
    'RTP packets received per second.',
    (n) => n.load.packetsInPerSecond,
  );
  perNode(
    'dotm_node_packets_out_per_second',
    'RTP packets forwarded per second.',
    (n) => n.load.packetsOutPerSecond,
  );
  perNode('dotm_node_bitrate_in_bps', 'Media bit rate received.', (n) => n.load.bitrateInBps);
  perNode('dotm_node_bitrate_out_bps', 'Media bit rate sent.', (n) => n.load.bitrateOutBps);
  perNode(
    'dotm_node_memory_rss_bytes',
    'Resident memory of the node’s media workers.',
    (n) => n.load.memoryRssBytes,
  );
  return text.toString();
}
