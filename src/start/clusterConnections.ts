import type { ClusterBus } from '../cluster/ClusterBus.ts';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { RoomDirectory } from '../cluster/RoomDirectory.ts';
import { RedisClusterBus } from '../cluster/redis/RedisClusterBus.ts';
import { RedisClusterState } from '../cluster/redis/RedisClusterState.ts';
import { RedisRoomDirectory } from '../cluster/redis/RedisRoomDirectory.ts';
import { ConfigError } from '../config/ConfigError.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';

export interface ClusterConnections {
  state: ClusterState;
  bus: ClusterBus;
  close(): Promise<void>;
}

/** A controller's connections: also the room directory every controller shares. */
export interface ControllerConnections extends ClusterConnections {
  directory: RoomDirectory;
}

/**
 * The shared state and bus of a multi-machine cluster, for `dotm controller` and `dotm node`.
 * Refuses what cannot work across machines: memory state, or a secret every process would
 * generate differently.
 */
export function openClusterConnections(config: DotmConfig): ClusterConnections {
  if (config.cluster.state !== 'redis')
    throw new ConfigError(
      'cluster mode needs cluster.state = "redis" (DOTM_CLUSTER_STATE=redis); "memory" only works inside `dotm start`',
    );
  if (!config.cluster.secret)
    throw new ConfigError(
      'cluster mode needs cluster.secret (DOTM_CLUSTER_SECRET), the same on every controller and node',
    );
  const options = { url: config.cluster.redisUrl, keyPrefix: config.cluster.redisKeyPrefix };
  const state = new RedisClusterState(options);
  const bus = new RedisClusterBus(options);
  return {
    state,
    bus,
    close: async () => {
      await bus.close();
      await state.close();
    },
  };
}

/** The secret media tokens are signed with, the same in every process of a cluster. */
export function mediaTokenSecret(config: DotmConfig, clusterSecret: string): string {
  return config.controller.tokenSecret || `${clusterSecret}:media`;
}

/** The cluster connections of `dotm controller`: the room directory on the same Redis. */
export function openControllerConnections(config: DotmConfig): ControllerConnections {
  const connections = openClusterConnections(config);
  const directory = new RedisRoomDirectory({
    url: config.cluster.redisUrl,
    keyPrefix: config.cluster.redisKeyPrefix,
  });
  return {
    ...connections,
    directory,
    close: async () => {
      await directory.close();
      await connections.close();
    },
  };
}
