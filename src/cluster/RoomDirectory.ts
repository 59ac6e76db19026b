/**
 * Where each room lives. A room's state and timers run on exactly one controller at a time, its
 * home, so no two controllers ever mutate one room. The home holds a lease it renews; when the
 * home dies the lease lapses and another controller claims the room and restores it from the
 * snapshot the home saved after every change. Every controller can therefore accept any client:
 * it serves rooms it owns and routes the rest to their home.
 * Implementations: MemoryRoomDirectory (one process) and RedisRoomDirectory (several machines).
 */
export interface RoomDirectory {
  /**
   * Makes `controllerId` the room's home unless another live controller holds it.
   * Returns the home after the call (the caller when it won or already held it).
   */
  claim(room: string, controllerId: string, leaseMs: number): Promise<string>;
  /** Extends the caller's leases; returns the rooms it no longer holds (lost to a Redis restart, say). */
  renew(rooms: string[], controllerId: string, leaseMs: number): Promise<string[]>;
  /** Gives the room up (it closed, or the controller is shutting down cleanly). */
  release(room: string, controllerId: string): Promise<void>;
  /** The room's current home, or undefined when nobody holds it. */
  home(room: string): Promise<string | undefined>;

  /** The room's state as its home last saved it (opaque to the directory). */
  saveSnapshot(room: string, snapshot: unknown): Promise<void>;
  loadSnapshot(room: string): Promise<unknown | undefined>;
  deleteSnapshot(room: string): Promise<void>;
  /**
   * The home's writes, fenced by its lease: saved only if `holder` holds the room's lease, checked
   * atomically with the write, so a home cut off past its lease can never overwrite the state of
   * the controller that adopted the room. Answers whether it wrote.
   */
  saveSnapshotIfHolder(room: string, snapshot: unknown, holder: string): Promise<boolean>;
  /** Deleted only if `holder` holds the room's lease, like saveSnapshotIfHolder. */
  deleteSnapshotIfHolder(room: string, holder: string): Promise<boolean>;
  /** Rooms that have a snapshot but no home: their controller died; someone must adopt them. */
  listOrphans(): Promise<string[]>;
  /** Every room's snapshot (room listings across controllers read these). */
  listSnapshots(): Promise<Array<{ room: string; snapshot: unknown }>>;

  /**
   * An id of the directory's current life: the same for every caller until the store loses its
   * data (a Redis restart without persistence), then a new one. A controller that sees it change
   * knows every lease is gone and gives the homes a moment to take theirs back before it starts
   * rooms afresh.
   */
  epoch(): Promise<string>;

  /** Controllers announce themselves so others can route to them (and so the dead are noticed). */
  putController(controller: ControllerPresence, ttlMs: number): Promise<void>;
  removeController(controllerId: string): Promise<void>;
  listControllers(): Promise<ControllerPresence[]>;
  close(): Promise<void>;
}

export interface ControllerPresence {
  controllerId: string;
  /** Base URL other controllers use to reach this one (its HTTP API and /ws). */
  internalUrl: string;
  version: string;
  startedAt: number;
}
