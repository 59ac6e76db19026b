import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type ClusterBus, NODE_EVENTS_CHANNEL } from '../cluster/ClusterBus.ts';
import type { ClusterState } from '../cluster/ClusterState.ts';
import { MemoryRoomDirectory } from '../cluster/memory/MemoryRoomDirectory.ts';
import type { NodeEvent } from '../cluster/NodeEvent.ts';
import type { NodeReport } from '../cluster/NodeReport.ts';
import type { RoomDirectory } from '../cluster/RoomDirectory.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import { internalRequest, isSuccess } from '../http/internalRequest.ts';
import type { Logger } from '../log/Logger.ts';
import { ApiKeys } from '../security/ApiKeys.ts';
import { ClusterAuth } from '../security/ClusterAuth.ts';
import { MediaTokens } from '../security/MediaTokens.ts';
import { DOTM_VERSION } from '../version.ts';
import { buildWebAssets } from '../web/WebAssets.ts';
import { ControllerHttpServer, type HttpMount } from './ControllerHttpServer.ts';
import { Defragmenter } from './Defragmenter.ts';
import { HttpNodeCommander } from './HttpNodeCommander.ts';
import type { JoinAdmission } from './JoinAdmission.ts';
import { createNodeAdminApi } from './NodeAdminApi.ts';
import { NodeDrainer } from './NodeDrainer.ts';
import { NodeWatcher } from './NodeWatcher.ts';
import { leastLoaded } from './placement/leastLoaded.ts';
import type { PlacementPolicy } from './placement/PlacementPolicy.ts';
import { pack } from './placement/pack.ts';
import { regionAware } from './placement/regionAware.ts';
import { spread } from './placement/spread.ts';
import { RoomHomes } from './RoomHomes.ts';
import type { RoomObserver } from './RoomObserver.ts';
import { RoomService } from './RoomService.ts';
import { SignallingServer } from './SignallingServer.ts';

/** A node missing from the cluster state is asked once, this long, before it is declared lost. */
const NODE_PROBE_TIMEOUT_MS = 500;

const POLICIES: Record<
  DotmConfig['controller']['placementPolicy'],
  (config: DotmConfig['controller']) => PlacementPolicy
> = {
  'least-loaded': () => leastLoaded,
  'region-aware': (config) => regionAware({ distances: config.regionDistances }),
  pack: (config) => pack({ headroom: config.packHeadroom }),
  spread: () => spread,
};

export interface ControllerOptions {
  config: DotmConfig;
  clusterState: ClusterState;
  clusterBus: ClusterBus;
  tokenSecret: string;
  apiKeys: string[];
  log: Logger;
  /**
   * Adds a front door to the controller (the BigBlueButton portal), given the controller's rooms
   * and where rooms homed on other controllers live.
   */
  extend?: (rooms: RoomService, homes: RoomHomes) => ControllerExtension;
  /**
   * Where each room's home controller and snapshot are kept. Shared (Redis) when several
   * controllers serve one cluster; by default an in-memory one, this controller being every room's home.
   */
  roomDirectory?: RoomDirectory;
  /** How other controllers reach this one; default http://<listen host, or this host's name>:<port>. */
  internalUrl?: string;
  /**
   * On close, leave the rooms to the other controllers (snapshots written, leases released,
   * clients told to reconnect, OTMs kept) instead of ending them. For cluster mode.
   */
  handOverOnClose?: boolean;
  /** Lease and sweep timings of RoomHomes (tests shorten them). */
  homeTimings?: { leaseMs?: number; renewMs?: number; sweepMs?: number };
}

/** What an extension brings: who may join, what it wants to hear, what HTTP it answers. */
export interface ControllerExtension {
  admission?: JoinAdmission;
  observer?: RoomObserver;
  mounts?: HttpMount[];
  /** Called when the controller closes, after its rooms. */
  close?(): Promise<void>;
  /** More Prometheus text for /metrics (complete HELP/TYPE blocks), after the controller's own. */
  metrics?(): Promise<string>;
}

/**
 * The control layer: rooms, OTM placement and lifecycle, resource monitoring (the seed paper's
 * Controller). Closing it closes the HTTP server and sockets, then every room's OTMs.
 */
export class Controller {
  readonly rooms: RoomService;
  readonly homes: RoomHomes;
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  #http: ControllerHttpServer | undefined;
  #signalling: SignallingServer | undefined;
  #unsubscribe: (() => void) | undefined;
  #nodeWatch: NodeJS.Timeout | undefined;
  readonly #nodeWatcher: NodeWatcher;
  readonly #drainer: NodeDrainer;
  /** A drain check is running: the next tick skips rather than piling up. */
  #drainChecking = false;
  #defragmenter: Defragmenter | undefined;
  #defragmentTimer: NodeJS.Timeout | undefined;
  readonly #extension: ControllerExtension;
  #url = '';
  #internalUrl = '';
  readonly #directory: RoomDirectory;
  readonly #ownsDirectory: boolean;

  private constructor(options: ControllerOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'controller' });
    this.#directory = options.roomDirectory ?? new MemoryRoomDirectory();
    this.#ownsDirectory = options.roomDirectory === undefined;
    const commander = new HttpNodeCommander(new ClusterAuth(options.config.cluster.secret));
    const { controller: settings } = options.config;
    this.rooms = new RoomService({
      onRoomChanged: (room) => this.homes.changed(room),
      clusterState: options.clusterState,
      commander,
      defaultRegion: settings.region,
      migration: {
        connectTimeoutMs: settings.migrationConnectTimeoutMs,
        handoverTimeoutMs: settings.migrationHandoverMs,
      },
      placement: POLICIES[options.config.controller.placementPolicy](options.config.controller),
      tokens: new MediaTokens(options.tokenSecret, options.config.controller.tokenTtlSeconds),
      iceServers: options.config.controller.iceServers,
      rejoinGraceMs: options.config.controller.rejoinGraceMs,
      log: options.log,
    });
    this.homes = new RoomHomes({
      directory: this.#directory,
      controllerId: `${hostname()}-${randomUUID().slice(0, 8)}`,
      internalUrl: '',
      version: DOTM_VERSION,
      host: {
        hasRoom: (room) => this.rooms.rooms.has(room),
        snapshotOf: (room) => this.rooms.snapshotOf(room),
        adopt: (snapshot) => this.rooms.adopt(snapshot),
        evict: (room) => this.rooms.evict(room, 'the room moved to another controller'),
      },
      log: options.log,
      ...options.homeTimings,
    });
    this.#drainer = new NodeDrainer({
      clusterState: options.clusterState,
      commander,
      rooms: this.rooms,
      log: options.log,
    });
    this.#extension = options.extend?.(this.rooms, this.homes) ?? {};
    if (this.#extension.observer) this.rooms.observe(this.#extension.observer);
    this.#nodeWatcher = new NodeWatcher(options.clusterState, {
      onNodeLost: (nodeId) => {
        this.#log.warn('media node lost', { nodeId });
        return this.rooms.handleNodeLost(nodeId);
      },
      onNodeRestarted: (nodeId, startedAt) => {
        this.#log.warn('media node restarted: its OTMs are gone', { nodeId });
        return this.rooms.handleNodeLost(nodeId, startedAt);
      },
      // After a Redis restart every node is missing until its next heartbeat: only one that does
      // not answer is lost (a killed node refuses the connection at once).
      stillAlive: async (report) => {
        const response = await internalRequest(new URL('/health', report.url), {
          timeoutMs: NODE_PROBE_TIMEOUT_MS,
        });
        return isSuccess(response);
      },
    });
  }

  static async start(options: ControllerOptions): Promise<Controller> {
    const controller = new Controller(options);
    try {
      await controller.#start();
    } catch (error) {
      await controller.close();
      throw error;
    }
    return controller;
  }

  get url(): string {
    return this.#url;
  }

  /** How other controllers reach this one. */
  get internalUrl(): string {
    return this.#internalUrl;
  }

  async #start(): Promise<void> {
    const { config, clusterBus, clusterState } = this.#options;
    this.#unsubscribe = await clusterBus.subscribe(NODE_EVENTS_CHANNEL, (message) => {
      this.rooms
        .handleNodeEvent(message as NodeEvent)
        .catch((error) => this.#log.error('node event failed', { error }));
    });
    this.#signalling = new SignallingServer(
      this.rooms,
      this.#options.log,
      this.#extension.admission,
      this.homes,
    );
    this.#http = await ControllerHttpServer.listen({
      listenHost: config.controller.listenHost,
      port: config.controller.port,
      apiKeys: this.#options.apiKeys,
      maxBodyBytes: config.controller.maxBodyBytes,
      rooms: this.rooms,
      signalling: this.#signalling,
      clusterState,
      assets: await buildWebAssets(),
      mounts: [
        createNodeAdminApi({
          drainer: this.#drainer,
          authorize: new ApiKeys(this.#options.apiKeys).authorize,
          maxBodyBytes: config.controller.maxBodyBytes,
          log: this.#options.log,
        }),
        ...(this.#extension.mounts ?? []),
      ],
      homes: this.homes,
      extraMetrics: this.#extension.metrics?.bind(this.#extension),
      log: this.#options.log,
    });
    this.#url = config.controller.publicUrl || `http://localhost:${this.#http.port}`;
    this.#internalUrl =
      this.#options.internalUrl ||
      config.controller.internalUrl ||
      internalUrlOf(config.controller.listenHost, this.#http.port);
    this.homes.setInternalUrl(this.#internalUrl);
    await this.homes.start();
    this.#nodeWatch = setInterval(
      () => {
        // One listing per look serves both the watch for lost nodes and the drains.
        clusterState.listNodes().then(
          (nodes) => {
            this.#nodeWatcher.check(nodes).catch((error) => this.#log.warn('node watch failed', { error }));
            this.#checkDrains(nodes);
          },
          (error) => this.#log.warn('node watch failed', { error }),
        );
      },
      Math.max(100, Math.floor(config.cluster.nodeTimeoutMs / 10)),
    );
    this.#startDefragmenting();
    this.#log.info('controller ready', {
      url: this.#url,
      controllerId: this.homes.controllerId,
      internalUrl: this.#internalUrl,
    });
  }

  /** controller.defragmentIntervalMs > 0: empty nearly empty nodes, one controller of the cluster at a time. */
  #startDefragmenting(): void {
    const settings = this.#options.config.controller;
    if (settings.defragmentIntervalMs <= 0) return;
    const defragmenter = new Defragmenter({
      clusterState: this.#options.clusterState,
      commands: this.#drainer,
      holder: this.homes.controllerId,
      settings: {
        intervalMs: settings.defragmentIntervalMs,
        maxOtms: settings.defragmentMaxOtms,
        maxUtilization: settings.defragmentMaxUtilization,
        targetUtilization: settings.defragmentTargetUtilization,
      },
      log: this.#options.log,
    });
    this.#defragmenter = defragmenter;
    let running = false;
    this.#defragmentTimer = setInterval(() => {
      if (running) return;
      running = true;
      defragmenter
        .tick()
        .catch((error) => this.#log.warn('defragmenting failed', { error }))
        .finally(() => {
          running = false;
        });
    }, settings.defragmentIntervalMs);
  }

  /** Streams of this controller's rooms leave draining nodes (NodeDrainer). */
  #checkDrains(nodes: readonly NodeReport[]): void {
    if (this.#drainChecking) return;
    this.#drainChecking = true;
    this.#drainer
      .check(nodes)
      .catch((error) => this.#log.warn('drain check failed', { error }))
      .finally(() => {
        this.#drainChecking = false;
      });
  }

  async close(): Promise<void> {
    clearInterval(this.#nodeWatch);
    clearInterval(this.#defragmentTimer);
    await this.#defragmenter?.close();
    this.#unsubscribe?.();
    if (this.#options.handOverOnClose) {
      // Snapshots written and leases released first: then the rooms are forgotten here, their
      // clients told to reconnect (another controller adopts them), their OTMs left running.
      await this.homes.close(true);
      this.rooms.handOver();
      await this.#signalling?.close(true);
      await this.#http?.close();
    } else {
      await this.#signalling?.close();
      await this.#http?.close();
      await this.rooms.close();
      await this.homes.close(false);
    }
    if (this.#ownsDirectory) await this.#directory.close();
    await this.#extension.close?.();
    this.#log.info('controller closed');
  }
}

/** The controller's own address for its peers: the listen address, or this host's name when it listens on all. */
function internalUrlOf(listenHost: string, port: number): string {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '';
  const host = wildcard ? hostname() : listenHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
