import type { ClusterState } from '../cluster/ClusterState.ts';
import { type NodeReport, protocolOf } from '../cluster/NodeReport.ts';
import { HttpError } from '../http/HttpError.ts';
import type { Logger } from '../log/Logger.ts';
import type { NodeCommander } from './NodeCommander.ts';
import type { RoomService } from './RoomService.ts';
import type { MigrationSummary } from './StreamMigrator.ts';

/** `drained`: draining and carrying no OTM any more (its last report shows none); it can be stopped. */
export type NodeState = 'active' | 'draining' | 'drained';

/** A node as the admin API lists it: its last report, its state and its wire protocol (1 when unsaid). */
export type NodeView = NodeReport & { state: NodeState; protocol: number };

export interface DrainAnswer {
  node: NodeView;
  /** What this controller did with the streams of the rooms it homes (other controllers move theirs). */
  streams: MigrationSummary;
  message: string;
}

export function nodeStateOf(report: NodeReport): NodeState {
  if (!report.draining && !report.drain) return 'active';
  return report.load.otms === 0 ? 'drained' : 'draining';
}

export function nodeView(report: NodeReport): NodeView {
  return { ...report, state: nodeStateOf(report), protocol: protocolOf(report) };
}

/**
 * Drains nodes and moves their streams away. The drain flag lives on the node (it reports it in
 * every heartbeat), so every controller sees it and acts for the rooms it homes, and a controller
 * crash loses nothing: `check` runs on every controller's look at the nodes.
 */
export class NodeDrainer {
  readonly #clusterState: ClusterState;
  readonly #commander: NodeCommander;
  readonly #rooms: RoomService;
  readonly #log: Logger;
  /** nodeId → streams it still carries, last logged: progress is logged when it changes. */
  readonly #progress = new Map<string, number>();

  constructor(options: {
    clusterState: ClusterState;
    commander: NodeCommander;
    rooms: RoomService;
    log: Logger;
  }) {
    this.#clusterState = options.clusterState;
    this.#commander = options.commander;
    this.#rooms = options.rooms;
    this.#log = options.log.child({ component: 'drain' });
  }

  async list(): Promise<NodeView[]> {
    const nodes = await this.#clusterState.listNodes();
    return nodes.map(nodeView).sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  /** Moves the streams of this controller's rooms off every draining node. */
  async check(nodes?: readonly NodeReport[]): Promise<void> {
    const reports = nodes ?? (await this.#clusterState.listNodes());
    const draining = new Set<string>();
    for (const report of reports) {
      if (!report.drain) continue;
      draining.add(report.nodeId);
      const summary = await this.#rooms.migrateOff(report.nodeId, { force: report.drain.force });
      const left = this.#rooms.streamsOn(report.nodeId);
      if (summary.started > 0 || summary.removed > 0 || this.#progress.get(report.nodeId) !== left) {
        this.#progress.set(report.nodeId, left);
        this.#log.info('draining node', {
          nodeId: report.nodeId,
          reason: report.drain.reason,
          started: summary.started,
          removed: summary.removed,
          whipOnly: summary.whipOnly.length,
          streamsLeftHere: left,
        });
      }
    }
    for (const nodeId of this.#progress.keys()) if (!draining.has(nodeId)) this.#progress.delete(nodeId);
  }

  async drain(nodeId: string, options: { reason?: string; force?: boolean } = {}): Promise<DrainAnswer> {
    const report = await this.#find(nodeId);
    const drain = { reason: options.reason || 'operator', force: options.force === true };
    await this.#command(report, drain);
    this.#log.warn('node drain requested', { nodeId, ...drain });
    const streams = await this.#rooms.migrateOff(nodeId, { force: drain.force });
    const node = nodeView({
      ...report,
      draining: true,
      drain: { ...drain, since: report.drain?.since ?? Date.now() },
    });
    return { node, streams, message: drainMessage(streams, drain.force) };
  }

  async undrain(nodeId: string): Promise<NodeView> {
    const report = await this.#find(nodeId);
    await this.#command(report, undefined);
    this.#log.info('node undrained', { nodeId });
    const { drain: _drain, ...rest } = report;
    return nodeView({ ...rest, draining: false });
  }

  async #command(report: NodeReport, drain: { reason: string; force: boolean } | undefined): Promise<void> {
    try {
      await this.#commander.setDrain(report.url, drain);
    } catch (error) {
      throw new HttpError(
        502,
        'node-unavailable',
        `node ${report.nodeId} did not take the command: ${(error as Error).message}`,
      );
    }
  }

  async #find(nodeId: string): Promise<NodeReport> {
    const report = (await this.#clusterState.listNodes()).find((n) => n.nodeId === nodeId);
    if (!report) throw new HttpError(404, 'not-found', `no live node "${nodeId.slice(0, 100)}"`);
    return report;
  }
}

function drainMessage(streams: MigrationSummary, force: boolean): string {
  const parts = [
    `${streams.started + streams.moving} stream(s) moving make-before-break (rooms homed by other controllers move on their next look at the nodes)`,
  ];
  if (streams.whipOnly.length > 0)
    parts.push(
      `${streams.whipOnly.length} stream(s) of WHIP-only publishers (OBS, GStreamer) cannot be told to move: the node stays draining until they end; drain with force to remove them`,
    );
  if (force && streams.removed > 0)
    parts.push(`${streams.removed} stream(s) of WHIP-only publishers removed (force)`);
  parts.push('the node reports state "drained" once it carries no OTM');
  return `${parts.join('; ')}.`;
}
