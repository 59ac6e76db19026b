import type { ClusterBus } from '../ClusterBus.ts';

/**
 * ClusterBus for a single process. Delivery is asynchronous (next microtask) and messages are
 * cloned, so code behaves as it will over Redis: no shared objects, no re-entrancy.
 */
export class MemoryClusterBus implements ClusterBus {
  readonly #handlers = new Map<string, Set<(message: unknown) => void>>();

  async publish(channel: string, message: unknown): Promise<void> {
    const handlers = this.#handlers.get(channel);
    if (!handlers) return;
    const copy = JSON.stringify(message);
    queueMicrotask(() => {
      for (const handler of handlers) handler(JSON.parse(copy));
    });
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => void> {
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
    }
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.#handlers.clear();
  }
}
