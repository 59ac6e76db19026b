import { NODE_EVENTS_CHANNEL } from '../../src/cluster/ClusterBus.ts';
import { MemoryClusterBus } from '../../src/cluster/memory/MemoryClusterBus.ts';
import { MemoryClusterState } from '../../src/cluster/memory/MemoryClusterState.ts';
import type { NodeEvent } from '../../src/cluster/NodeEvent.ts';
import type { NodeCapacity, NodeLoad, NodeReport } from '../../src/cluster/NodeReport.ts';
import { leastLoaded } from '../../src/controller/placement/leastLoaded.ts';
import { RoomService, type RoomServiceOptions } from '../../src/controller/RoomService.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import type { JoinResult, MediaGrant, Role } from '../../src/protocol/roomSignalling.ts';
import { MediaTokens } from '../../src/security/MediaTokens.ts';
import { FakeNodeCommander } from './fakes/FakeNodeCommander.ts';
import { RecordingSink } from './fakes/RecordingSink.ts';

export const TOKEN_SECRET = 'room-service-test-secret';
export const TOKEN_TTL_SECONDS = 600;
export const GRACE_MS = 15_000;
export const NODE_TTL_MS = 3_000;

export function nodeUrl(nodeId: string): string {
  return `http://${nodeId}.test:7000`;
}

/** An idle node's report, as its heartbeat would make it now. */
export function nodeReport(
  nodeId: string,
  overrides: { load?: Partial<NodeLoad>; capacity?: Partial<NodeCapacity> } & Partial<
    Omit<NodeReport, 'load' | 'capacity'>
  > = {},
): NodeReport {
  const { load, capacity, ...rest } = overrides;
  return {
    nodeId,
    region: 'local',
    url: nodeUrl(nodeId),
    version: 'test',
    startedAt: 1,
    reportedAt: Date.now(),
    draining: false,
    workers: 1,
    ...rest,
    load: {
      cpu: 0,
      memoryRssBytes: 0,
      bitrateInBps: 0,
      bitrateOutBps: 0,
      packetsInPerSecond: 0,
      packetsOutPerSecond: 0,
      otms: 0,
      subscribers: 0,
      ...load,
    },
    capacity: { maxPacketsPerSecond: 25_000, maxSubscribers: 0, ...capacity },
  };
}

export interface Member {
  participantId: string;
  result: JoinResult;
  sink: RecordingSink;
}

/**
 * A RoomService on the in-memory cluster state and bus, with a fake node commander: node events go
 * through the bus as the controller wires them. Create it after enabling mock timers, so that its
 * clocks are the mocked ones.
 */
export class RoomServiceRig {
  readonly clusterState = new MemoryClusterState(() => Date.now());
  readonly bus = new MemoryClusterBus();
  readonly commander = new FakeNodeCommander();
  readonly tokens = new MediaTokens(TOKEN_SECRET, TOKEN_TTL_SECONDS);
  readonly rooms: RoomService;
  readonly #handling = new Set<Promise<void>>();

  private constructor(graceMs: number, extra: Partial<RoomServiceOptions>) {
    this.rooms = new RoomService({
      clusterState: this.clusterState,
      commander: this.commander,
      placement: leastLoaded,
      ...extra,
      tokens: this.tokens,
      iceServers: [{ urls: 'stun:stun.test:3478' }],
      rejoinGraceMs: graceMs,
      log: quietLogger(),
      ...(extra.log ? { log: extra.log } : {}),
    });
  }

  static async create(
    options: {
      nodes?: string[];
      graceMs?: number;
      /** Other RoomService options (placement, migration timings, default region, logger). */
      service?: Partial<RoomServiceOptions>;
    } = {},
  ): Promise<RoomServiceRig> {
    const rig = new RoomServiceRig(options.graceMs ?? GRACE_MS, options.service ?? {});
    await rig.bus.subscribe(NODE_EVENTS_CHANNEL, (message) => {
      const handling = rig.rooms.handleNodeEvent(message as NodeEvent);
      rig.#handling.add(handling);
      handling.finally(() => rig.#handling.delete(handling));
    });
    for (const nodeId of options.nodes ?? ['node-a', 'node-b']) await rig.report(nodeReport(nodeId));
    return rig;
  }

  /** A node heartbeat. */
  report(report: NodeReport): Promise<void> {
    return this.clusterState.putNode(report, NODE_TTL_MS);
  }

  /** What a node publishes about an OTM, delivered and handled. */
  async nodeEvent(event: NodeEvent): Promise<void> {
    await this.bus.publish(NODE_EVENTS_CHANNEL, event);
    await Promise.resolve();
    while (this.#handling.size > 0) await Promise.all(this.#handling);
  }

  join(room: string, name: string, role?: Role): Member {
    const sink = new RecordingSink();
    const result = this.rooms.join(room, name, sink, { role });
    return { participantId: result.self.participantId, result, sink };
  }

  /** Publishes a camera stream and connects its publisher's media, as WHIP would. */
  async publishLive(room: string, member: Member): Promise<MediaGrant> {
    const grant = await this.rooms.publish(room, member.participantId, 'camera', true, true);
    await this.connectPublisher(grant.streamId);
    return grant;
  }

  async connectPublisher(streamId: string): Promise<void> {
    await this.nodeEvent({
      type: 'publisherConnected',
      nodeId: this.nodeOf(streamId),
      streamId,
      hasAudio: true,
      hasVideo: true,
    });
  }

  /** The node whose OTM carries the stream now. */
  nodeOf(streamId: string): string {
    const url = this.commander.open.get(streamId);
    if (!url) throw new Error(`no open OTM for ${streamId}`);
    return new URL(url).hostname.replace(/\.test$/, '');
  }

  close(): Promise<void> {
    return this.rooms.close();
  }
}
