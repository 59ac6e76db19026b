import type { ClusterBus } from '../cluster/ClusterBus.ts';
import type { ClusterState } from '../cluster/ClusterState.ts';
import { RedisClusterBus } from '../cluster/redis/RedisClusterBus.ts';
import { RedisClusterState } from '../cluster/redis/RedisClusterState.ts';
import { ConfigError } from '../config/ConfigError.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';

export interface ClusterConnections {
  state: ClusterState;
  bus: ClusterBus;
  close(): Promise<void>;
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
