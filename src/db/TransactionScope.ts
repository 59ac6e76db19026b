import { AsyncLocalStorage } from 'node:async_hooks';

interface OpenTransaction {
  open: boolean;
}

/**
 * Knows whether the calling code runs inside the work of one of its database's open transactions, so
 * that a statement sent to the database itself from there fails at once, the same way on both
 * engines. Otherwise SQLite would wait for its own transaction forever (one connection, one mutex),
 * and PostgreSQL would run the statement on another connection, outside the transaction, where it
 * may wait for the transaction's own row locks.
 */
export class TransactionScope {
  readonly #current = new AsyncLocalStorage<OpenTransaction>();

  async run<T>(work: () => Promise<T>): Promise<T> {
    const transaction: OpenTransaction = { open: true };
    try {
      return await this.#current.run(transaction, work);
    } finally {
      // Callbacks the work left behind keep this context; once the transaction ended they are free.
      transaction.open = false;
    }
  }

  assertOutside(): void {
    if (this.#current.getStore()?.open) {
      throw new Error(
        'a transaction does not nest: inside transaction(work), run statements on the handle work was given',
      );
    }
  }
}
