import type { Redis } from 'ioredis';
import type { ClusterBus } from '../ClusterBus.ts';
import { openRedis, type RedisConnectionOptions } from './redisConnection.ts';

/**
 * ClusterBus over Redis pub/sub. A subscribed Redis connection can do nothing else, so publishing
 * and subscribing use two connections; ioredis re-subscribes by itself after a reconnect.
 */
export class RedisClusterBus implements ClusterBus {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  readonly #handlers = new Map<string, Set<(message: unknown) => void>>();

  constructor(options: RedisConnectionOptions) {
    this.#prefix = options.keyPrefix;
    this.#publisher = openRedis(options.url, 'dotm-bus-pub');
    this.#subscriber = openRedis(options.url, 'dotm-bus-sub');
    this.#subscriber.on('message', (channel: string, text: string) => {
      const handlers = this.#handlers.get(channel);
      if (!handlers) return;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return; // not ours: someone else publishing on our prefix
      }
      for (const handler of handlers) handler(message);
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.#publisher.publish(this.#prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => void> {
    const key = this.#prefix + channel;
    let handlers = this.#handlers.get(key);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(key, handlers);
      await this.#subscriber.subscribe(key);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#handlers.get(key) === handlers) {
        this.#handlers.delete(key);
        this.#subscriber.unsubscribe(key).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.#handlers.clear();
    await Promise.all([this.#publisher, this.#subscriber].map((r) => r.quit().catch(() => r.disconnect())));
  }
}
