/** Each event name maps to the tuple of arguments its listeners receive. */
export type EventArgs<Events> = { [K in keyof Events]: unknown[] };

type Listener = (...args: never[]) => void;

/**
 * A minimal typed event emitter: browsers have no node:events, and EventTarget would force every
 * payload into a CustomEvent.
 */
export class TypedEmitter<Events extends EventArgs<Events>> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>();

  /** Returns a function that removes the listener again. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as (...args: Events[K]) => void)(...args);
      } catch (error) {
        // One faulty listener must not starve the others or corrupt the emitter's caller;
        // rethrowing later still reports it (console in browsers, uncaughtException in tests).
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
