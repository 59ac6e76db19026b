import { MemoryRoomDirectory } from '../../../src/cluster/memory/MemoryRoomDirectory.ts';
import type { ControllerPresence, RoomDirectory } from '../../../src/cluster/RoomDirectory.ts';

/** The directory every controller of a test shares; `wipe()` is a Redis restart (all data gone, new epoch). */
export class SharedDirectory {
  current: RoomDirectory = new MemoryRoomDirectory();

  wipe(): void {
    this.current = new MemoryRoomDirectory();
  }
}

/**
 * A controller's view of the shared RoomDirectory that can be cut off: while `cut`, every call
 * fails, as for a controller that froze or lost its network. Its leases then lapse like a dead
 * controller's, and it learns what happened when the cut is mended.
 */
export class CuttableDirectory implements RoomDirectory {
  readonly #shared: SharedDirectory;
  cut = false;
  /** Reading a snapshot takes this long (a slow Redis), to open the window of an adoption. */
  loadDelayMs = 0;

  constructor(shared: SharedDirectory) {
    this.#shared = shared;
  }

  get #inner(): RoomDirectory {
    return this.#shared.current;
  }

  #pass<T>(call: () => Promise<T>): Promise<T> {
    return this.cut ? Promise.reject(new Error('directory unreachable')) : call();
  }

  claim(room: string, controllerId: string, leaseMs: number): Promise<string> {
    return this.#pass(() => this.#inner.claim(room, controllerId, leaseMs));
  }
  renew(rooms: string[], controllerId: string, leaseMs: number): Promise<string[]> {
    return this.#pass(() => this.#inner.renew(rooms, controllerId, leaseMs));
  }
  release(room: string, controllerId: string): Promise<void> {
    return this.#pass(() => this.#inner.release(room, controllerId));
  }
  home(room: string): Promise<string | undefined> {
    return this.#pass(() => this.#inner.home(room));
  }
  saveSnapshot(room: string, snapshot: unknown): Promise<void> {
    return this.#pass(() => this.#inner.saveSnapshot(room, snapshot));
  }
  saveSnapshotIfHolder(room: string, snapshot: unknown, holder: string): Promise<boolean> {
    return this.#pass(() => this.#inner.saveSnapshotIfHolder(room, snapshot, holder));
  }
  loadSnapshot(room: string): Promise<unknown | undefined> {
    return this.#pass(async () => {
      if (this.loadDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.loadDelayMs));
      return this.#inner.loadSnapshot(room);
    });
  }
  deleteSnapshot(room: string): Promise<void> {
    return this.#pass(() => this.#inner.deleteSnapshot(room));
  }
  deleteSnapshotIfHolder(room: string, holder: string): Promise<boolean> {
    return this.#pass(() => this.#inner.deleteSnapshotIfHolder(room, holder));
  }
  listOrphans(): Promise<string[]> {
    return this.#pass(() => this.#inner.listOrphans());
  }
  listSnapshots(): Promise<Array<{ room: string; snapshot: unknown }>> {
    return this.#pass(() => this.#inner.listSnapshots());
  }
  epoch(): Promise<string> {
    return this.#pass(() => this.#inner.epoch());
  }
  putController(presence: ControllerPresence, ttlMs: number): Promise<void> {
    return this.#pass(() => this.#inner.putController(presence, ttlMs));
  }
  removeController(controllerId: string): Promise<void> {
    return this.#pass(() => this.#inner.removeController(controllerId));
  }
  listControllers(): Promise<ControllerPresence[]> {
    return this.#pass(() => this.#inner.listControllers());
  }
  async close(): Promise<void> {}
}
