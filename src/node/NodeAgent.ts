import { availableParallelism, hostname } from 'node:os';
import { type ClusterBus, NODE_EVENTS_CHANNEL } from '../cluster/ClusterBus.ts';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { NodeEvent } from '../cluster/NodeEvent.ts';
import { NODE_PROTOCOL, type NodeDrain, type NodeReport } from '../cluster/NodeReport.ts';
import type { OtmListing } from '../cluster/OtmListing.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import type { Logger } from '../log/Logger.ts';
import { ClusterAuth } from '../security/ClusterAuth.ts';
import { MediaTokens } from '../security/MediaTokens.ts';
import { DOTM_VERSION } from '../version.ts';
import { NodeHttpServer } from './NodeHttpServer.ts';
import { PacketCostEstimator } from './PacketCostEstimator.ts';
import { WorkerPool } from './WorkerPool.ts';
import type { WorkerEvent, WorkerStats } from './worker/workerProtocol.ts';

/** Forwarding capacity assumed per worker core until the node has measured its own (PacketCostEstimator). */
const DEFAULT_PACKETS_PER_SECOND_PER_WORKER = 25_000;

export interface NodeAgentOptions {
  config: DotmConfig;
  clusterState: ClusterState;
  clusterBus: ClusterBus;
  /** Secret that signs media tokens (the controller's token secret). */
  tokenSecret: string;
  log: Logger;
}

interface CounterSample {
  at: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  cpuMicros: number;
}

/**
 * A media node: hosts OTMs in worker processes, serves their WHIP/WHEP endpoints on its own address,
 * and keeps the cluster informed (heartbeat with load, OTM events). Closing it closes the HTTP
 * server, then every worker (and so every OTM, transport and socket), then withdraws the node.
 */
export class NodeAgent {
  readonly nodeId: string;
  readonly region: string;
  readonly startedAt = Date.now();
  #url = '';
  #draining = false;
  /** Set by a controller (`POST /internal/drain`); a new process of the node starts without it. */
  #drain: NodeDrain | undefined;
  readonly #options: NodeAgentOptions;
  readonly #log: Logger;
  #pool!: WorkerPool;
  #http!: NodeHttpServer;
  #heartbeat: NodeJS.Timeout | undefined;
  #lastSample: CounterSample | undefined;
  readonly #packetCost = new PacketCostEstimator();
  #lastReport: NodeReport | undefined;
  #closed = false;
  /** A stats round is in flight (see #report). */
  #reporting = false;
  /** What `GET /internal/otms` answers: a controller adopting a room checks its streams against it. */
  readonly #otms = new Map<string, OtmListing>();

  private constructor(options: NodeAgentOptions) {
    const { node } = options.config;
    this.#options = options;
    this.nodeId = node.id || `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
    this.region = node.region;
    this.#log = options.log.child({ component: 'node', nodeId: this.nodeId });
  }

  static async start(options: NodeAgentOptions): Promise<NodeAgent> {
    const agent = new NodeAgent(options);
    try {
      await agent.#start();
    } catch (error) {
      await agent.close();
      throw error;
    }
    return agent;
  }

  get url(): string {
    return this.#url;
  }

  get workerPids(): number[] {
    return this.#pool?.pids() ?? [];
  }

  get otmCount(): number {
    return this.#pool?.streamCount ?? 0;
  }

  get lastReport(): NodeReport | undefined {
    return this.#lastReport;
  }

  get drainState(): NodeDrain | undefined {
    return this.#drain;
  }

  /**
   * From now on the node takes no new OTM and says so in every heartbeat (reported at once, so
   * that controllers start moving its OTMs without waiting for the next one). Draining again only
   * updates the reason and `force`.
   */
  async drain(reason: string, force: boolean): Promise<NodeDrain> {
    this.#drain = { reason, force, since: this.#drain?.since ?? Date.now() };
    this.#log.warn('draining: OTMs are moved to other nodes', { reason, force });
    await this.#reportNow();
    return this.#drain;
  }

  async undrain(): Promise<void> {
    if (!this.#drain) return;
    this.#drain = undefined;
    this.#log.info('undrained: taking new OTMs again');
    await this.#reportNow();
  }

  async #reportNow(): Promise<void> {
    const last = this.#lastReport;
    if (this.#reporting && last) {
      // A stats round is in flight: the last report, with the drain as it is now, goes at once.
      const { drain: _before, ...rest } = last;
      this.#lastReport = {
        ...rest,
        draining: this.#draining || this.#drain !== undefined,
        ...(this.#drain ? { drain: { ...this.#drain } } : {}),
      };
    }
    await this.#report().catch((error) => this.#log.warn('report after a drain change failed', { error }));
  }

  /** For failure tests and `dotm node` debugging: kill one worker as a crash would. */
  killWorker(index: number): void {
    this.#pool.workers.find((w) => w.index === index)?.kill();
  }

  async #start(): Promise<void> {
    const { config } = this.#options;
    const workers = config.node.workers || availableParallelism();
    const announcedIp = config.node.rtcAnnouncedIp || config.node.rtcListenIp;
    this.#pool = await WorkerPool.start(
      workers,
      (index) => ({
        index,
        v8Flags: config.node.workerV8Flags,
        mallocArenaMax: config.node.workerMallocArenaMax,
        listenIp: config.node.rtcListenIp,
        announcedIp,
        portRange: [config.node.rtcMinPort, config.node.rtcMaxPort],
        udpBufferBytes: config.media.udpBufferBytes,
        consentTimeoutMs: config.media.consentTimeoutMs,
        nackCachePackets: config.media.nackCachePackets,
        keyframeRequestIntervalMs: config.media.keyframeRequestIntervalMs,
        publisherMaxBitrateBps: config.media.publisherMaxBitrateBps,
        publisherCongestionControl: config.media.publisherCongestionControl,
        logLevel: config.log.level,
      }),
      {
        onWorkerEvent: (event) => this.#publishWorkerEvent(event),
        onStreamsLost: (streamIds, reason) => {
          for (const streamId of streamIds) this.#otms.delete(streamId);
          for (const streamId of streamIds)
            this.#publish({ type: 'otmClosed', nodeId: this.nodeId, streamId, reason });
        },
      },
      this.#log,
    );
    this.#http = await NodeHttpServer.listen({
      listenHost: config.node.listenHost,
      port: config.node.port,
      maxBodyBytes: config.controller.maxBodyBytes,
      iceServers: config.controller.iceServers,
      pool: this.#pool,
      tokens: new MediaTokens(this.#options.tokenSecret, config.controller.tokenTtlSeconds),
      clusterAuth: new ClusterAuth(config.cluster.secret),
      log: this.#log,
      onCreateOtm: async (streamId, room, publisherId) => {
        if (this.#draining || this.#drain) throw new Error('node is draining');
        await this.#pool.createOtm(streamId, room, publisherId);
        if (!this.#otms.has(streamId)) {
          this.#otms.set(streamId, {
            streamId,
            room,
            publisherId,
            publisherConnected: false,
            hasAudio: false,
            hasVideo: false,
            createdAt: Date.now(),
          });
        }
        this.#log.info('OTM created', { streamId, room });
      },
      onCloseOtm: async (streamId, reason) => {
        const closed = await this.#pool.closeOtm(streamId, reason);
        this.#otms.delete(streamId);
        if (closed) this.#publish({ type: 'otmClosed', nodeId: this.nodeId, streamId, reason });
        return closed;
      },
      status: () => this.#lastReport,
      drain: (reason, force) => this.drain(reason, force),
      undrain: () => this.undrain(),
      listOtms: () => ({
        nodeId: this.nodeId,
        startedAt: this.startedAt,
        otms: [...this.#otms.values()].filter((otm) => this.#pool.workerFor(otm.streamId) !== undefined),
      }),
    });
    this.#url = config.node.publicUrl || `http://${announcedIp}:${this.#http.port}`;
    await this.#report();
    this.#heartbeat = setInterval(() => {
      this.#report().catch((error) => this.#log.warn('heartbeat failed', { error }));
    }, config.node.heartbeatMs);
    this.#log.info('media node ready', { url: this.#url, workers, region: this.region });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    await this.#http?.close();
    await this.#pool?.close();
    await this.#options.clusterState.removeNode(this.nodeId).catch(() => undefined);
    this.#log.info('media node closed');
  }

  #publishWorkerEvent(event: WorkerEvent): void {
    const otm = this.#otms.get(event.streamId);
    if (otm && event.event === 'publisherConnected') {
      otm.publisherConnected = true;
      otm.hasAudio = event.hasAudio;
      otm.hasVideo = event.hasVideo;
    } else if (otm && event.event === 'publisherDisconnected') otm.publisherConnected = false;
    const { event: type, ...rest } = event;
    this.#publish({ type, nodeId: this.nodeId, ...rest } as NodeEvent);
  }

  #publish(event: NodeEvent): void {
    this.#options.clusterBus.publish(NODE_EVENTS_CHANNEL, event).catch((error) => {
      this.#log.warn('could not publish node event', { error, type: event.type });
    });
  }

  /**
   * Presence must not wait on busy workers: a saturated worker answers its stats late, and a node
   * whose heartbeat waited for it would be declared dead and its OTMs moved while it is merely
   * loaded. When the stats take longer than a heartbeat, the last report is put again (same
   * reportedAt, so placement keeps counting what it placed since), and the late answer is dropped.
   */
  async #report(): Promise<void> {
    if (this.#closed) return;
    if (this.#reporting) {
      if (this.#lastReport)
        await this.#options.clusterState.putNode(
          this.#lastReport,
          this.#options.config.cluster.nodeTimeoutMs,
        );
      return;
    }
    this.#reporting = true;
    try {
      await this.#reportFresh();
    } finally {
      this.#reporting = false;
    }
  }

  async #reportFresh(): Promise<void> {
    const { config } = this.#options;
    const stats = await this.#pool.stats();
    if (this.#closed) return;
    const sample = sampleOf(stats);
    const previous = this.#lastSample ?? sample;
    this.#lastSample = sample;
    const seconds = Math.max((sample.at - previous.at) / 1000, 0.001);
    const cores = availableParallelism();
    const workers = this.#pool.size;
    if (sample !== previous)
      this.#packetCost.observe(
        sample.cpuMicros - previous.cpuMicros,
        sample.packetsIn - previous.packetsIn + (sample.packetsOut - previous.packetsOut),
        seconds,
      );
    const measuredUsPerPacket = this.#packetCost.usPerPacket;
    const report: NodeReport = {
      nodeId: this.nodeId,
      region: this.region,
      url: this.#url,
      version: DOTM_VERSION,
      protocol: NODE_PROTOCOL,
      startedAt: this.startedAt,
      reportedAt: Date.now(),
      draining: this.#draining || this.#drain !== undefined,
      ...(this.#drain ? { drain: { ...this.#drain } } : {}),
      workers,
      load: {
        cpu:
          sample === previous
            ? 0
            : Math.min(1, (sample.cpuMicros - previous.cpuMicros) / 1e6 / seconds / cores),
        memoryRssBytes: stats.reduce((sum, s) => sum + s.rssBytes, 0),
        bitrateInBps: rate(sample.bytesIn, previous.bytesIn, seconds) * 8,
        bitrateOutBps: rate(sample.bytesOut, previous.bytesOut, seconds) * 8,
        packetsInPerSecond: rate(sample.packetsIn, previous.packetsIn, seconds),
        packetsOutPerSecond: rate(sample.packetsOut, previous.packetsOut, seconds),
        otms: stats.reduce((sum, s) => sum + s.otms, 0),
        subscribers: stats.reduce((sum, s) => sum + s.subscribers, 0),
        eventLoopDelayP99Ms: Math.max(0, ...stats.map((s) => s.eventLoopDelayP99Ms)),
        eventLoopDelayMaxMs: Math.max(0, ...stats.map((s) => s.eventLoopDelayMaxMs)),
        nackCacheBytes: stats.reduce((sum, s) => sum + s.nackCacheBytes, 0),
        maxNackRetentionMs: Math.max(0, ...stats.map((s) => s.maxNackRetentionMs)),
      },
      capacity: {
        maxPacketsPerSecond:
          config.node.maxPacketsPerSecond ||
          this.#packetCost.capacity(workers) ||
          workers * DEFAULT_PACKETS_PER_SECOND_PER_WORKER,
        maxSubscribers: config.node.maxSubscribers,
        ...(measuredUsPerPacket === undefined
          ? {}
          : { measuredUsPerPacket: Math.round(measuredUsPerPacket * 100) / 100 }),
      },
    };
    this.#lastReport = report;
    await this.#options.clusterState.putNode(report, config.cluster.nodeTimeoutMs);
  }
}

function sampleOf(stats: WorkerStats[]): CounterSample {
  return {
    at: Date.now(),
    packetsIn: stats.reduce((sum, s) => sum + s.rtpPacketsIn, 0),
    packetsOut: stats.reduce((sum, s) => sum + s.rtpPacketsOut, 0),
    bytesIn: stats.reduce((sum, s) => sum + s.bytesIn, 0),
    bytesOut: stats.reduce((sum, s) => sum + s.bytesOut, 0),
    cpuMicros: stats.reduce((sum, s) => sum + s.cpuUserMicros + s.cpuSystemMicros, 0),
  };
}

function rate(now: number, before: number, seconds: number): number {
  return Math.max(0, (now - before) / seconds);
}
