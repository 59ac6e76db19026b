import { type ClusterBus, NODE_EVENTS_CHANNEL } from '../cluster/ClusterBus.ts';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { NodeEvent } from '../cluster/NodeEvent.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import type { Logger } from '../log/Logger.ts';
import { ClusterAuth } from '../security/ClusterAuth.ts';
import { MediaTokens } from '../security/MediaTokens.ts';
import { buildWebAssets } from '../web/WebAssets.ts';
import { ControllerHttpServer, type HttpMount } from './ControllerHttpServer.ts';
import { HttpNodeCommander } from './HttpNodeCommander.ts';
import type { JoinAdmission } from './JoinAdmission.ts';
import { NodeWatcher } from './NodeWatcher.ts';
import { leastLoaded } from './placement/leastLoaded.ts';
import type { PlacementPolicy } from './placement/PlacementPolicy.ts';
import type { RoomObserver } from './RoomObserver.ts';
import { RoomService } from './RoomService.ts';
import { SignallingServer } from './SignallingServer.ts';

const POLICIES: Record<DotmConfig['controller']['placementPolicy'], PlacementPolicy> = {
  'least-loaded': leastLoaded,
};

export interface ControllerOptions {
  config: DotmConfig;
  clusterState: ClusterState;
  clusterBus: ClusterBus;
  tokenSecret: string;
  apiKeys: string[];
  log: Logger;
  /** Adds a front door to the controller (the BigBlueButton portal), given the controller's rooms. */
  extend?: (rooms: RoomService) => ControllerExtension;
}

/** What an extension brings: who may join, what it wants to hear, what HTTP it answers. */
export interface ControllerExtension {
  admission?: JoinAdmission;
  observer?: RoomObserver;
  mounts?: HttpMount[];
  /** Called when the controller closes, after its rooms. */
  close?(): Promise<void>;
}

/**
 * The control layer: rooms, OTM placement and lifecycle, resource monitoring (the seed paper's
 * Controller). Closing it closes the HTTP server and sockets, then every room's OTMs.
 */
export class Controller {
  readonly rooms: RoomService;
  readonly #options: ControllerOptions;
  readonly #log: Logger;
  #http: ControllerHttpServer | undefined;
  #signalling: SignallingServer | undefined;
  #unsubscribe: (() => void) | undefined;
  #nodeWatch: NodeJS.Timeout | undefined;
  readonly #nodeWatcher: NodeWatcher;
  readonly #extension: ControllerExtension;
  #url = '';

  private constructor(options: ControllerOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'controller' });
    this.rooms = new RoomService({
      clusterState: options.clusterState,
      commander: new HttpNodeCommander(new ClusterAuth(options.config.cluster.secret)),
      placement: POLICIES[options.config.controller.placementPolicy],
      tokens: new MediaTokens(options.tokenSecret, options.config.controller.tokenTtlSeconds),
      iceServers: options.config.controller.iceServers,
      rejoinGraceMs: options.config.controller.rejoinGraceMs,
      log: options.log,
    });
    this.#extension = options.extend?.(this.rooms) ?? {};
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

  async #start(): Promise<void> {
    const { config, clusterBus, clusterState } = this.#options;
    this.#unsubscribe = await clusterBus.subscribe(NODE_EVENTS_CHANNEL, (message) => {
      this.rooms
        .handleNodeEvent(message as NodeEvent)
        .catch((error) => this.#log.error('node event failed', { error }));
    });
    this.#signalling = new SignallingServer(this.rooms, this.#options.log, this.#extension.admission);
    this.#http = await ControllerHttpServer.listen({
      listenHost: config.controller.listenHost,
      port: config.controller.port,
      apiKeys: this.#options.apiKeys,
      maxBodyBytes: config.controller.maxBodyBytes,
      rooms: this.rooms,
      signalling: this.#signalling,
      clusterState,
      assets: await buildWebAssets(),
      mounts: this.#extension.mounts,
      log: this.#options.log,
    });
    this.#url = config.controller.publicUrl || `http://localhost:${this.#http.port}`;
    this.#nodeWatch = setInterval(
      () => {
        this.#nodeWatcher.check().catch((error) => this.#log.warn('node watch failed', { error }));
      },
      Math.max(100, Math.floor(config.cluster.nodeTimeoutMs / 10)),
    );
    this.#log.info('controller ready', { url: this.#url });
  }

  async close(): Promise<void> {
    clearInterval(this.#nodeWatch);
    this.#unsubscribe?.();
    await this.#signalling?.close();
    await this.#http?.close();
    await this.rooms.close();
    await this.#extension.close?.();
    this.#log.info('controller closed');
  }
}
