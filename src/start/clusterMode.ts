import { ConfigError } from '../config/ConfigError.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import { Controller } from '../controller/Controller.ts';
import type { Database } from '../db/Database.ts';
import type { Logger } from '../log/Logger.ts';
import { NodeAgent } from '../node/NodeAgent.ts';
import { mediaTokenSecret, openClusterConnections, openControllerConnections } from './clusterConnections.ts';
import { controllerExtensions, openConfiguredDatabase, preparePortal } from './portalSetup.ts';

/** A role of a multi-machine cluster, running in this process until closed. */
export interface ClusterRole {
  readonly url: string;
  close(): Promise<void>;
}

/** `dotm controller`: one controller over the shared Redis state. */
export async function startClusterController(config: DotmConfig, log: Logger): Promise<ClusterRole> {
  if (config.controller.apiKeys.length === 0)
    throw new ConfigError(
      'cluster mode needs controller.apiKeys (DOTM_CONTROLLER_API_KEYS=key1,key2), the same on every controller',
    );
  const connections = openControllerConnections(config);
  let controller: Controller | undefined;
  let db: Database | undefined;
  try {
    db = await openSharedDatabase(config, log);
    // The portal needs the shared database: every controller answers the BigBlueButton API over
    // it, seeing and ending rooms wherever they are homed.
    const portal = db
      ? await preparePortal(
          config,
          db,
          config.cluster.secret,
          config.controller.apiKeys,
          () => controller?.url || config.controller.publicUrl,
          log,
          connections.directory,
        )
      : undefined;
    // Every controller may serve every room: each room has one home among them (RoomDirectory),
    // and a controller that stops hands its rooms to the others.
    controller = await Controller.start({
      config,
      clusterState: connections.state,
      clusterBus: connections.bus,
      tokenSecret: mediaTokenSecret(config, config.cluster.secret),
      apiKeys: config.controller.apiKeys,
      log,
      roomDirectory: connections.directory,
      handOverOnClose: true,
      extend: db
        ? controllerExtensions(config, db, connections.state, config.controller.apiKeys, portal, log)
        : undefined,
    });
  } catch (error) {
    await db?.close();
    await connections.close();
    throw error;
  }
  log.info('controller ready', {
    url: controller.url,
    internalUrl: controller.internalUrl,
    redis: redactedUrl(config.cluster.redisUrl),
  });
  return {
    url: controller.url,
    close: async () => {
      await controller.close();
      await db?.close();
      await connections.close();
    },
  };
}

/**
 * Controllers of one cluster share one PostgreSQL database (statistics, tenants and the
 * BigBlueButton portal's meetings): a SQLite file would be one per controller, so cluster mode runs
 * without history and without the portal until database.engine is 'postgres', and says so.
 */
async function openSharedDatabase(config: DotmConfig, log: Logger): Promise<Database | undefined> {
  if (config.database.engine !== 'postgres') {
    log.warn(
      'no shared database: the BigBlueButton API, usage statistics and the dashboard are off (set database.engine = "postgres" and database.postgresUrl)',
    );
    return undefined;
  }
  if (!config.database.postgresUrl)
    throw new ConfigError('database.engine is "postgres" but database.postgresUrl is empty');
  return openConfiguredDatabase(config);
}

/** `dotm node`: one media node that registers itself in the shared Redis state. */
export async function startClusterNode(config: DotmConfig, log: Logger): Promise<ClusterRole> {
  const connections = openClusterConnections(config);
  let node: NodeAgent;
  try {
    node = await NodeAgent.start({
      config,
      clusterState: connections.state,
      clusterBus: connections.bus,
      tokenSecret: mediaTokenSecret(config, config.cluster.secret),
      log,
    });
  } catch (error) {
    await connections.close();
    throw error;
  }
  return {
    url: node.url,
    close: async () => {
      await node.close();
      await connections.close();
    },
  };
}

/** Logs must not leak a Redis password. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
