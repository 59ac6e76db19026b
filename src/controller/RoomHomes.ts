import type { ControllerPresence, RoomDirectory } from '../cluster/RoomDirectory.ts';
import type { Logger } from '../log/Logger.ts';
import { ControllerError } from './ControllerError.ts';
import { RoomSnapshotWriter } from './RoomSnapshotWriter.ts';
import { isRoomSnapshot, type RoomSnapshot } from './rooms/RoomSnapshot.ts';

/** What RoomHomes needs from the rooms it keeps (RoomService, through the Controller). */
export interface RoomHost {
  hasRoom(room: string): boolean;
  snapshotOf(room: string): RoomSnapshot | undefined;
  /**
   * Carries on a room whose home died, from its snapshot: participants wait for their rejoin, the
   * streams are checked against the nodes (their OTMs never stopped).
   */
  adopt(snapshot: RoomSnapshot): Promise<void>;
  /** Another controller is the room's home now: forget it here, leave its OTMs alone, send its clients there. */
  evict(room: string): void;
}

export interface RoomHomesOptions {
  directory: RoomDirectory;
  controllerId: string;
  /** How other controllers reach this one (its own address, not a load balancer's). */
  internalUrl: string;
  version: string;
  host: RoomHost;
  log: Logger;
  /** A home that stops renewing loses its rooms after this long. */
  leaseMs?: number;
  /** Leases are renewed and presence announced this often. */
  renewMs?: number;
  /** Rooms whose home died are looked for this often. */
  sweepMs?: number;
  /** How long a request waits for a room's home (its takeover included) before giving up. */
  reachTimeoutMs?: number;
}

export const DEFAULT_LEASE_MS = 3000;
export const DEFAULT_RENEW_MS = 1000;
export const DEFAULT_SWEEP_MS = 2000;

/** Where a room lives, as seen from this controller. */
export type RoomRoute =
  | { at: 'here' }
  | { at: 'peer'; controllerId: string; url: string }
  /** A controller holds the room's lease but has not announced itself (it died, or Redis restarted). */
  | { at: 'unreachable'; controllerId: string }
  /** Nobody holds the room and it has no snapshot: it is not open anywhere. */
  | { at: 'nowhere' };

/** The answer of `reach`: served here, forwarded to the home (with what the forwarder returned), or no such room. */
export type Reached<T> = { at: 'here' } | { at: 'peer'; value: T } | { at: 'nowhere' };

/** A claimed room without a Room object (its join was refused) is let go after this long. */
const EMPTY_CLAIM_MS = 10_000;
const RETRY_MS = 200;
const MAX_ADOPTIONS_KEPT = 100;

/**
 * Every room runs on exactly one controller, its home (see RoomDirectory). This class is one
 * controller's side of that: it claims rooms when their first client arrives, keeps their leases
 * and the controller's presence alive, writes their snapshots, adopts rooms whose home died (on a
 * client's rejoin or by a periodic sweep) and tells the caller where a room it does not hold lives.
 */
export class RoomHomes {
  readonly controllerId: string;
  readonly writer: RoomSnapshotWriter;
  readonly #options: RoomHomesOptions;
  readonly #log: Logger;
  readonly #directory: RoomDirectory;
  readonly #leaseMs: number;
  /** room → when this controller claimed it. */
  readonly #held = new Map<string, number>();
  /** Claims in flight, one per room, so that concurrent joins adopt a room once. */
  readonly #acquiring = new Map<string, Promise<RoomRoute>>();
  readonly #startedAt = Date.now();
  #beatTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #sweeping: Promise<void> | undefined;
  #closed = false;
  #beatFailureLogged = false;
  #internalUrl: string;
  /** The directory's epoch last seen; a new one means its data (every lease) was lost. */
  #epoch: string | undefined;
  /** Until then no room is started afresh or adopted: the homes are taking their leases back. */
  #recoveringUntil = 0;
  /** Adoptions so far, with how long each took: for logs, metrics and tests. */
  readonly adoptions: Array<{
    room: string;
    at: number;
    tookMs: number;
    participants: number;
    streams: number;
  }> = [];

  constructor(options: RoomHomesOptions) {
    this.#options = options;
    this.controllerId = options.controllerId;
    this.#directory = options.directory;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#internalUrl = options.internalUrl;
    this.#log = options.log.child({ component: 'homes', controllerId: options.controllerId });
    this.writer = new RoomSnapshotWriter({
      directory: options.directory,
      snapshotOf: (room) => options.host.snapshotOf(room),
      afterDelete: (room) => this.#releaseIfGone(room),
      flushTimeoutMs: Math.max(250, Math.floor(this.#leaseMs / 3)),
      log: this.#log,
    });
  }

  /** Known once the controller listens (its port may have been chosen by the system). */
  setInternalUrl(url: string): void {
    this.#internalUrl = url;
  }

  /** Announces the controller and starts the lease and orphan timers. */
  async start(): Promise<void> {
    await this.#beat();
    const renewMs = this.#options.renewMs ?? DEFAULT_RENEW_MS;
    const sweepMs = this.#options.sweepMs ?? DEFAULT_SWEEP_MS;
    const beatLoop = () => {
      this.#beatTimer = setTimeout(() => {
        this.#beating = this.#beat().finally(() => {
          this.#beating = undefined;
          if (!this.#closed) beatLoop();
        });
      }, renewMs);
    };
    const sweepLoop = () => {
      this.#sweepTimer = setTimeout(() => {
        this.#sweeping = this.sweep().finally(() => {
          this.#sweeping = undefined;
          if (!this.#closed) sweepLoop();
        });
      }, sweepMs);
    };
    beatLoop();
    sweepLoop();
  }

  /** Rooms this controller is the home of. */
  get heldRooms(): string[] {
    return [...this.#held.keys()];
  }

  holds(room: string): boolean {
    return this.#held.has(room);
  }

  /**
   * Where `room` lives. With `claim`, a room nobody holds becomes this controller's (restored
   * from its snapshot when it has one); without, only an existing room is looked up (and a
   * dead home's room adopted).
   */
  async route(room: string, claim: boolean): Promise<RoomRoute> {
    // An adoption in flight holds the lease before the room is restored: wait for the room.
    const pending = this.#acquiring.get(room);
    if (pending) return pending;
    if (this.#held.has(room)) return { at: 'here' };
    if (!claim) {
      const holder = await this.#directory.home(room);
      if (holder === undefined) {
        if ((await this.#directory.loadSnapshot(room)) === undefined) return { at: 'nowhere' };
      } else if (holder !== this.controllerId) return this.#peerRoute(holder);
    }
    return this.#acquire(room);
  }

  /**
   * Serves a request for `room`: 'here' when this controller is (or has just become) its home,
   * else `viaPeer(url)` forwards it to the home; undefined from it means the home did not answer,
   * and the home is asked for again (a dead home's lease lapses, the room is adopted) until
   * reachTimeoutMs, then the request fails as unavailable.
   */
  async reach<T>(
    room: string,
    claim: boolean,
    viaPeer: (url: string, controllerId: string) => Promise<T | undefined>,
  ): Promise<Reached<T>> {
    const deadline = Date.now() + (this.#options.reachTimeoutMs ?? this.#leaseMs + 3000);
    for (;;) {
      let route: RoomRoute | undefined;
      try {
        route = await this.route(room, claim);
      } catch (error) {
        // Redis down or restarting: asked again until the deadline, then the client hears it.
        this.#log.debug('room directory unavailable', { room, error });
      }
      if (route?.at === 'here' || route?.at === 'nowhere') return route;
      if (route?.at === 'peer') {
        const value = await viaPeer(route.url, route.controllerId);
        if (value !== undefined) return { at: 'peer', value };
      }
      if (this.#closed || Date.now() >= deadline) {
        throw new ControllerError(
          'unavailable',
          `the controller of room "${room}" cannot be reached right now; try again shortly`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** The room changed: its snapshot is written (or, when it closed, deleted and its lease released). */
  changed(room: string): void {
    if (this.#held.has(room)) this.writer.changed(room);
  }

  /** Resolves once the room's changes so far are written (call before answering the request that made them). */
  flush(room: string): Promise<void> {
    return this.writer.flush(room);
  }

  /** Every room's snapshot as its home last wrote it (unreadable ones left out). */
  async snapshots(): Promise<RoomSnapshot[]> {
    const all = await this.#directory.listSnapshots();
    return all.map((entry) => entry.snapshot).filter(isRoomSnapshot);
  }

  /** Every controller alive, this one included. */
  async controllers(): Promise<ControllerPresence[]> {
    return this.#directory.listControllers();
  }

  /**
   * Looks for rooms with a snapshot and no home (their controller died) and adopts them, so that
   * their participants' grace periods still run out and nothing leaks when nobody comes back.
   */
  async sweep(): Promise<void> {
    if (Date.now() < this.#recoveringUntil) return;
    let orphans: string[];
    try {
      orphans = await this.#directory.listOrphans();
    } catch (error) {
      this.#log.debug('orphan sweep failed', { error });
      return;
    }
    for (const room of orphans) {
      if (this.#closed) return;
      if (this.#held.has(room) || this.#acquiring.has(room)) continue;
      await this.#acquire(room).catch((error) => this.#log.warn('adopting a room failed', { room, error }));
    }
  }

  /**
   * Leaves the cluster. With `handOver`, every room's latest snapshot is written and its lease
   * released, so another controller adopts it at once (the clients reconnect there); without, the
   * rooms were closed by the caller and only the presence goes.
   */
  async close(handOver: boolean): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#beatTimer);
    clearTimeout(this.#sweepTimer);
    await this.#beating;
    await this.#sweeping;
    await Promise.allSettled([...this.#acquiring.values()]);
    if (handOver) for (const room of this.#held.keys()) this.writer.changed(room);
    await this.writer.drain();
    await Promise.allSettled(
      [...this.#held.keys()].map((room) => this.#directory.release(room, this.controllerId)),
    );
    this.#held.clear();
    await this.#directory.removeController(this.controllerId).catch(() => undefined);
  }

  async #acquire(room: string): Promise<RoomRoute> {
    const pending = this.#acquiring.get(room);
    if (pending) return pending;
    const acquiring = this.#claim(room).finally(() => this.#acquiring.delete(room));
    this.#acquiring.set(room, acquiring);
    return acquiring;
  }

  async #claim(room: string): Promise<RoomRoute> {
    if (this.#closed) throw new ControllerError('unavailable', 'this controller is shutting down');
    const started = Date.now();
    await this.#checkEpoch();
    if (Date.now() < this.#recoveringUntil) {
      // The room's home, if it has one, is taking its lease back: starting it here would split it.
      const holder = await this.#directory.home(room);
      return holder === undefined ? { at: 'unreachable', controllerId: '' } : this.#peerRoute(holder);
    }
    const holder = await this.#directory.claim(room, this.controllerId, this.#leaseMs);
    if (holder !== this.controllerId) return this.#peerRoute(holder);
    this.#held.set(room, Date.now());
    if (this.#options.host.hasRoom(room)) return { at: 'here' };
    const snapshot = await this.#directory.loadSnapshot(room);
    if (snapshot === undefined) return { at: 'here' };
    if (!isRoomSnapshot(snapshot)) {
      this.#log.error('room snapshot unreadable (another version?); the room starts afresh', { room });
      return { at: 'here' };
    }
    try {
      await this.#options.host.adopt(snapshot);
    } catch (error) {
      // Never let a room start afresh over a snapshot it failed to restore: let go, ask again later.
      this.#held.delete(room);
      this.#options.host.evict(room);
      await this.#directory.release(room, this.controllerId).catch(() => undefined);
      throw error;
    }
    const tookMs = Date.now() - started;
    if (this.adoptions.length >= MAX_ADOPTIONS_KEPT) this.adoptions.shift();
    this.adoptions.push({
      room,
      at: Date.now(),
      tookMs,
      participants: snapshot.participants.length,
      streams: snapshot.streams.length,
    });
    this.#log.warn('room adopted: its home controller is gone', {
      room,
      participants: snapshot.participants.length,
      streams: snapshot.streams.length,
      snapshotAgeMs: Date.now() - snapshot.savedAt,
      tookMs,
    });
    this.writer.changed(room);
    return { at: 'here' };
  }

  async #peerRoute(controllerId: string): Promise<RoomRoute> {
    const peer = (await this.#directory.listControllers()).find((c) => c.controllerId === controllerId);
    return peer ? { at: 'peer', controllerId, url: peer.internalUrl } : { at: 'unreachable', controllerId };
  }

  /** The lease keeper's beat: presence, leases (lost ones taken back or given up), failed writes. */
  async #beat(): Promise<void> {
    try {
      await this.#checkEpoch();
      await this.#directory.putController(
        {
          controllerId: this.controllerId,
          internalUrl: this.#internalUrl,
          version: this.#options.version,
          startedAt: this.#startedAt,
        },
        this.#leaseMs,
      );
      const rooms = [...this.#held.keys()];
      const lost = await this.#directory.renew(rooms, this.controllerId, this.#leaseMs);
      for (const room of lost) await this.#lost(room);
      this.#letGoOfEmptyClaims();
      this.writer.retryFailed();
      if (this.#beatFailureLogged) {
        this.#beatFailureLogged = false;
        this.#log.info('room directory reachable again');
      }
    } catch (error) {
      if (!this.#beatFailureLogged) {
        this.#beatFailureLogged = true;
        this.#log.warn('room directory unreachable: rooms stay here, leases will be taken back', { error });
      }
    }
  }

  /** A lease this controller held lapsed: after a Redis restart take it back, else the room moved. */
  async #lost(room: string): Promise<void> {
    if (!this.#held.has(room) || this.#acquiring.has(room)) return;
    const holder = await this.#directory.claim(room, this.controllerId, this.#leaseMs);
    if (holder === this.controllerId) {
      this.#log.warn('room lease had lapsed (Redis restarted?); taken back and snapshot written again', {
        room,
      });
      this.writer.changed(room);
      return;
    }
    this.#held.delete(room);
    this.#log.warn('room lease lost to another controller: the room moves there', { room, holder });
    this.#options.host.evict(room);
  }

  async #checkEpoch(): Promise<void> {
    const epoch = await this.#directory.epoch();
    if (this.#epoch !== undefined && epoch !== this.#epoch) {
      this.#recoveringUntil = Date.now() + this.#leaseMs + (this.#options.renewMs ?? DEFAULT_RENEW_MS);
      this.#log.warn('the room directory lost its data (Redis restarted?): homes take their rooms back', {
        recoveryMs: this.#recoveringUntil - Date.now(),
      });
    }
    this.#epoch = epoch;
  }

  #letGoOfEmptyClaims(): void {
    const now = Date.now();
    for (const [room, claimedAt] of this.#held) {
      if (now - claimedAt < EMPTY_CLAIM_MS || this.#options.host.hasRoom(room)) continue;
      if (this.#acquiring.has(room) || !this.writer.isIdle(room)) continue;
      this.#held.delete(room);
      this.#directory.release(room, this.controllerId).catch(() => undefined);
    }
  }

  async #releaseIfGone(room: string): Promise<void> {
    if (this.#options.host.hasRoom(room) || !this.#held.has(room)) return;
    this.#held.delete(room);
    await this.#directory.release(room, this.controllerId);
  }
}
