import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** redis://[:password@]host:port[/db] */
  url: string;
  /** Prefix of every key and channel, so several clusters can share one Redis. */
  keyPrefix: string;
}

/** The longest wait between two reconnect attempts. */
const RECONNECT_MAX_DELAY_MS = 200;

/**
 * A connection that never gives up: Redis restarts are part of normal life (the cluster recovers
 * its state from the nodes' next heartbeats), so commands wait in the offline queue while it
 * reconnects instead of failing the caller at once.
 */
export function openRedis(
  url: string,
  connectionName: string,
  options: { commandTimeoutMs?: number } = {},
): Redis {
  const redis = new Redis(url, {
    connectionName,
    lazyConnect: false,
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    // Reconnect attempts stay frequent: room homes must renew their leases within a few seconds of
    // Redis coming back (see RoomHomes), and an attempt on loopback or a LAN costs next to nothing.
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, RECONNECT_MAX_DELAY_MS),
    ...(options.commandTimeoutMs ? { commandTimeout: options.commandTimeoutMs } : {}),
  });
  // ioredis emits 'error' on every failed reconnect; callers see failures through their commands.
  redis.on('error', () => {});
  return redis;
}
