/**
 * Runs async work one at a time per key, in the order it was given, and different keys side by side.
 * A room's join must be recorded before its leave (both cross the database, and the leave may be
 * quicker), and a tenant's events must reach its hooks in the order they happened.
 */
export class KeyedSerialQueue {
  readonly #tails = new Map<string, Promise<void>>();
  #pending = 0;

  /** Work not yet finished, over every key. */
  get pending(): number {
    return this.#pending;
  }

  /** Runs `work` after everything given earlier for `key`; a failure is the caller's, never the queue's. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    this.#pending++;
    const result = previous.then(work);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      this.#pending--;
      // The last link of an idle key is dropped, so keys that come and go (rooms) leave nothing behind.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves once everything given so far has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
