import { randomBytes } from 'node:crypto';
import type { ClusterBus } from '../cluster/ClusterBus.ts';
import type { ClusterState } from '../cluster/ClusterState.ts';
import { MemoryClusterBus } from '../cluster/memory/MemoryClusterBus.ts';
import { MemoryClusterState } from '../cluster/memory/MemoryClusterState.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import { Controller } from '../controller/Controller.ts';
import type { Database } from '../db/Database.ts';
import type { Logger } from '../log/Logger.ts';
import { NodeAgent } from '../node/NodeAgent.ts';
import { mediaTokenSecret } from './clusterConnections.ts';
import { controllerExtensions, openConfiguredDatabase, preparePortal } from './portalSetup.ts';

/**
 * `dotm start`: a controller and `start.nodes` media nodes in one process, sharing in-memory
 * cluster state. The nodes still talk to the controller over HTTP and events, exactly as in
 * cluster mode, so the distributed path is the one in use.
 */
export class EmbeddedCluster {
  readonly controller: Controller;
  readonly nodes: NodeAgent[];
  readonly apiKey: string;
  readonly #clusterState: ClusterState;
  readonly #clusterBus: ClusterBus;
  readonly #db: Database;

  private constructor(
    controller: Controller,
    nodes: NodeAgent[],
    apiKey: string,
    state: ClusterState,
    bus: ClusterBus,
    db: Database,
  ) {
    this.#db = db;
    this.controller = controller;
    this.nodes = nodes;
    this.apiKey = apiKey;
    this.#clusterState = state;
    this.#clusterBus = bus;
  }

  static async start(config: DotmConfig, log: Logger): Promise<EmbeddedCluster> {
    const secret = config.cluster.secret || randomBytes(24).toString('base64url');
    const effective: DotmConfig = { ...config, cluster: { ...config.cluster, secret } };
    const tokenSecret = mediaTokenSecret(config, secret);
    const apiKey = config.controller.apiKeys[0] ?? randomBytes(18).toString('base64url');
    const apiKeys = config.controller.apiKeys.length > 0 ? config.controller.apiKeys : [apiKey];
    const clusterState = new MemoryClusterState();
    const clusterBus = new MemoryClusterBus();
    const nodes: NodeAgent[] = [];
    let controller: Controller | undefined;
    let db: Database | undefined;
    try {
      db = await openConfiguredDatabase(effective);
      const portal = await preparePortal(effective, db, secret, apiKeys, () => controller?.url ?? '', log);
      const extend = controllerExtensions(effective, db, clusterState, apiKeys, portal, log);
      for (let i = 0; i < config.start.nodes; i++) {
        const nodeConfig: DotmConfig = {
          ...effective,
          node: {
            ...effective.node,
            id: effective.node.id ? `${effective.node.id}-${i + 1}` : `node-${i + 1}`,
            port: 0,
          },
        };
        nodes.push(await NodeAgent.start({ config: nodeConfig, clusterState, clusterBus, tokenSecret, log }));
      }
      controller = await Controller.start({
        config: effective,
        clusterState,
        clusterBus,
        tokenSecret,
        apiKeys,
        log,
        extend,
      });
    } catch (error) {
      await controller?.close();
      await Promise.all(nodes.map((n) => n.close()));
      await db?.close();
      throw error;
    }
    return new EmbeddedCluster(controller, nodes, apiKey, clusterState, clusterBus, db);
  }

  /** The database the controller keeps history, tenants and portal meetings in. */
  get database(): Database {
    return this.#db;
  }

  async close(): Promise<void> {
    await this.controller.close();
    await this.#db.close();
    await Promise.all(this.nodes.map((n) => n.close()));
    await this.#clusterBus.close();
    await this.#clusterState.close();
  }
}
