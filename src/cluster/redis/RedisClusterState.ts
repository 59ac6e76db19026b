import type { Redis } from 'ioredis';
import type { ClusterState } from '../ClusterState.ts';
import type { NodeReport } from '../NodeReport.ts';
import { openRedis, type RedisConnectionOptions } from './redisConnection.ts';

/** Takes the lease when free, renews it when the caller holds it; 1 = held by the caller now. */
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * ClusterState over Redis for several machines. Each node's report is a key with the TTL of a
 * heartbeat, so a crashed node disappears on its own, and an index set lets controllers list
 * nodes without SCAN. Index members whose key expired are pruned when read.
 */
/**
 * A command that got no answer in this long fails instead of waiting for ever on a connection whose
 * peer vanished without a reset (a partition): placement, /metrics and the node list must answer,
 * with an error, while Redis is out of reach. Longer than a Redis restart's reconnect, so a restart
 * is still bridged by the offline queue.
 */
const COMMAND_TIMEOUT_MS = 3000;

export class RedisClusterState implements ClusterState {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisConnectionOptions) {
    this.#redis = openRedis(options.url, 'dotm-cluster-state', { commandTimeoutMs: COMMAND_TIMEOUT_MS });
    this.#prefix = options.keyPrefix;
  }

  async putNode(report: NodeReport, ttlMs: number): Promise<void> {
    await this.#redis
      .multi()
      .set(this.#nodeKey(report.nodeId), JSON.stringify(report), 'PX', ttlMs)
      .sadd(this.#indexKey(), report.nodeId)
      .exec();
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.#redis.multi().del(this.#nodeKey(nodeId)).srem(this.#indexKey(), nodeId).exec();
  }

  async listNodes(): Promise<NodeReport[]> {
    const ids = await this.#redis.smembers(this.#indexKey());
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#nodeKey(id)));
    const live: NodeReport[] = [];
    const expired: string[] = [];
    values.forEach((value, i) => {
      if (value === null) expired.push(ids[i]!);
      else live.push(JSON.parse(value) as NodeReport);
    });
    if (expired.length > 0) await this.#redis.srem(this.#indexKey(), ...expired);
    return live;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (
      (await this.#redis.eval(ACQUIRE, 1, this.#leaseKey(name), holder, Math.max(1, Math.round(ttlMs)))) === 1
    );
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#leaseKey(name), holder);
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #nodeKey(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}`;
  }

  #leaseKey(name: string): string {
    return `${this.#prefix}lease:${name}`;
  }

  #indexKey(): string {
    return `${this.#prefix}nodes`;
  }
}
