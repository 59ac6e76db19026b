import { randomUUID } from 'node:crypto';
import type { ControllerPresence, RoomDirectory } from '../RoomDirectory.ts';

interface Lease {
  controllerId: string;
  expiresAt: number;
}

/** RoomDirectory for one process (`dotm start`): maps with expiry times, copies in and out. */
export class MemoryRoomDirectory implements RoomDirectory {
  readonly #leases = new Map<string, Lease>();
  readonly #snapshots = new Map<string, string>();
  readonly #controllers = new Map<string, { presence: ControllerPresence; expiresAt: number }>();
  readonly #now: () => number;
  readonly #epoch = randomUUID();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async claim(room: string, controllerId: string, leaseMs: number): Promise<string> {
    const lease = this.#live(room);
    if (lease && lease.controllerId !== controllerId) return lease.controllerId;
    this.#leases.set(room, { controllerId, expiresAt: this.#now() + leaseMs });
    return controllerId;
  }

  async renew(rooms: string[], controllerId: string, leaseMs: number): Promise<string[]> {
    const lost: string[] = [];
    for (const room of rooms) {
      const lease = this.#live(room);
      if (lease?.controllerId === controllerId) lease.expiresAt = this.#now() + leaseMs;
      else lost.push(room);
    }
    return lost;
  }

  async release(room: string, controllerId: string): Promise<void> {
    if (this.#leases.get(room)?.controllerId === controllerId) this.#leases.delete(room);
  }

  async home(room: string): Promise<string | undefined> {
    return this.#live(room)?.controllerId;
  }

  async saveSnapshot(room: string, snapshot: unknown): Promise<void> {
    this.#snapshots.set(room, JSON.stringify(snapshot));
  }

  async saveSnapshotIfHolder(room: string, snapshot: unknown, holder: string): Promise<boolean> {
    if (this.#live(room)?.controllerId !== holder) return false;
    await this.saveSnapshot(room, snapshot);
    return true;
  }

  async loadSnapshot(room: string): Promise<unknown | undefined> {
    const text = this.#snapshots.get(room);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async deleteSnapshot(room: string): Promise<void> {
    this.#snapshots.delete(room);
  }

  async deleteSnapshotIfHolder(room: string, holder: string): Promise<boolean> {
    if (this.#live(room)?.controllerId !== holder) return false;
    await this.deleteSnapshot(room);
    return true;
  }

  async listOrphans(): Promise<string[]> {
    return [...this.#snapshots.keys()].filter((room) => this.#live(room) === undefined);
  }

  async listSnapshots(): Promise<Array<{ room: string; snapshot: unknown }>> {
    return [...this.#snapshots].map(([room, text]) => ({ room, snapshot: JSON.parse(text) }));
  }

  async epoch(): Promise<string> {
    return this.#epoch;
  }

  async putController(presence: ControllerPresence, ttlMs: number): Promise<void> {
    this.#controllers.set(presence.controllerId, {
      presence: { ...presence },
      expiresAt: this.#now() + ttlMs,
    });
  }

  async removeController(controllerId: string): Promise<void> {
    this.#controllers.delete(controllerId);
  }

  async listControllers(): Promise<ControllerPresence[]> {
    const now = this.#now();
    const live: ControllerPresence[] = [];
    for (const [id, entry] of this.#controllers) {
      if (entry.expiresAt <= now) this.#controllers.delete(id);
      else live.push({ ...entry.presence });
    }
    return live;
  }

  async close(): Promise<void> {
    this.#leases.clear();
    this.#snapshots.clear();
    this.#controllers.clear();
  }

  #live(room: string): Lease | undefined {
    const lease = this.#leases.get(room);
    if (lease && lease.expiresAt <= this.#now()) {
      this.#leases.delete(room);
      return undefined;
    }
    return lease;
  }
}
