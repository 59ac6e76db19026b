/**
 * Serialises async work. The embedded engine has one connection: while a transaction is open across
 * awaits, another caller's statement must not run on that connection inside it.
 */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T> | T): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
