import type { RoomDirectory } from '../cluster/RoomDirectory.ts';
import type { Logger } from '../log/Logger.ts';
import type { RoomSnapshot } from './rooms/RoomSnapshot.ts';

export interface RoomSnapshotWriterOptions {
  /** Where snapshots go: the room directory, or (RoomHomes) its writes fenced by the room's lease. */
  directory: Pick<RoomDirectory, 'saveSnapshot' | 'deleteSnapshot'>;
  /** The room's state now, or undefined when the room is closed (its snapshot is then deleted). */
  snapshotOf(room: string): RoomSnapshot | undefined;
  /** After a closed room's snapshot was deleted (the lease can go). */
  afterDelete(room: string): Promise<void>;
  /** A request waits this long at most for its change to be written (Redis may be down). */
  flushTimeoutMs: number;
  log: Logger;
}

interface RoomWrites {
  /** Writes of this room run one after the other: a late save must never resurrect a deleted room. */
  tail: Promise<void>;
  /** A write is queued and has not read the room yet: later changes ride along with it. */
  queued: boolean;
  /** Changes counted so far, and the count the last successful write covered. */
  changes: number;
  written: number;
  failed: boolean;
  waiters: Array<{ upTo: number; done: () => void }>;
}

/**
 * Keeps each room's snapshot in the RoomDirectory up to date with the room. Changes are coalesced:
 * a write reads the room when it runs, so a burst of changes costs one or two writes. A request
 * handler calls flush() before answering, so what a client was told survives the home's crash.
 * When Redis is down the meeting goes on: a write that fails releases its waiters, flush gives
 * up after flushTimeoutMs, requests stop waiting at all until a write succeeds again, and the
 * failed rooms are written again by retryFailed() (durability is what a Redis outage costs).
 */
export class RoomSnapshotWriter {
  readonly #options: RoomSnapshotWriterOptions;
  readonly #rooms = new Map<string, RoomWrites>();
  /** The last write failed (Redis down): requests stop waiting for writes until one succeeds again. */
  #failing = false;

  constructor(options: RoomSnapshotWriterOptions) {
    this.#options = options;
  }

  /** The room changed (or closed): its snapshot will be written (or deleted). */
  changed(room: string): void {
    let writes = this.#rooms.get(room);
    if (!writes) {
      writes = { tail: Promise.resolve(), queued: false, changes: 0, written: 0, failed: false, waiters: [] };
      this.#rooms.set(room, writes);
    }
    writes.changes++;
    if (writes.queued) return;
    writes.queued = true;
    const entry = writes;
    writes.tail = writes.tail.then(() => this.#write(room, entry));
  }

  /** Resolves once every change made before the call is written, or the write failed, or timed out. */
  flush(room: string): Promise<void> {
    const writes = this.#rooms.get(room);
    if (!writes || writes.written >= writes.changes || this.#failing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#options.log.warn('room snapshot not written in time; answering anyway', { room });
        resolve();
      }, this.#options.flushTimeoutMs);
      writes.waiters.push({
        upTo: writes.changes,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** No write of the room is queued, failed or waited for. */
  isIdle(room: string): boolean {
    return !this.#rooms.has(room);
  }

  /** Writes again the rooms whose last write failed (called on the lease keeper's beat). */
  retryFailed(): void {
    for (const [room, writes] of this.#rooms) if (writes.failed && !writes.queued) this.changed(room);
  }

  /** Waits for every queued write (shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.#rooms.values()].map((writes) => writes.tail));
  }

  async #write(room: string, writes: RoomWrites): Promise<void> {
    writes.queued = false;
    const upTo = writes.changes;
    const snapshot = this.#options.snapshotOf(room);
    try {
      if (snapshot) await this.#options.directory.saveSnapshot(room, snapshot);
      else {
        await this.#options.directory.deleteSnapshot(room);
        await this.#options.afterDelete(room);
      }
      writes.written = Math.max(writes.written, upTo);
      writes.failed = false;
      if (this.#failing) {
        this.#failing = false;
        this.#options.log.info('room snapshots are written again');
      }
    } catch (error) {
      writes.failed = true;
      if (!this.#failing) {
        this.#failing = true;
        this.#options.log.warn('could not write a room snapshot; the room goes on, retrying', {
          room,
          error,
        });
      }
    }
    // A failed write still releases its waiters: the change is live in memory, only not yet durable.
    const settled = writes.failed ? writes.waiters.filter((w) => w.upTo <= upTo) : [];
    writes.waiters = writes.waiters.filter((w) => {
      const done = w.upTo <= writes.written || settled.includes(w);
      if (done) w.done();
      return !done;
    });
    if (!snapshot && !writes.queued && !writes.failed && writes.waiters.length === 0) {
      this.#rooms.delete(room);
    }
  }
}
