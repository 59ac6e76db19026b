import { ConfigError } from '../config/ConfigError.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import { Controller } from '../controller/Controller.ts';
import type { Logger } from '../log/Logger.ts';
import { NodeAgent } from '../node/NodeAgent.ts';
import { mediaTokenSecret, openClusterConnections, openControllerConnections } from './clusterConnections.ts';

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
  let controller: Controller;
  try {
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
    });
  } catch (error) {
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
      await connections.close();
    },
  };
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
