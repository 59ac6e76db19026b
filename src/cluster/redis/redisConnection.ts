import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** redis://[:password@]host:port[/db] */
  url: string;
  /** Prefix of every key and channel, so several clusters can share one Redis. */
  keyPrefix: string;
}

/**
 * A connection that never gives up: Redis restarts are part of normal life (the cluster recovers
 * its state from the nodes' next heartbeats), so commands wait in the offline queue while it
 * reconnects instead of failing the caller at once.
 */
export function openRedis(url: string, connectionName: string): Redis {
  const redis = new Redis(url, {
    connectionName,
    lazyConnect: false,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
  });
  // ioredis emits 'error' on every failed reconnect; callers see failures through their commands.
  redis.on('error', () => {});
  return redis;
}
