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
  /**
   * A home that stops renewing loses its rooms after this long; a home that could not renew for
   * this long (cut off from the directory) stops acting as home (see RoomHomes' fencing).
   */
  leaseMs?: number;
  /** Leases are renewed and presence announced this often: a fraction of leaseMs, so that a short directory outage is survived. */
  renewMs?: number;
  /** Rooms whose home died are looked for this often. */
  sweepMs?: number;
  /** How long a request waits for a room's home (its takeover included) before giving up. */
  reachTimeoutMs?: number;
}

export const DEFAULT_LEASE_MS = 3000;
/**
 * A sixth of the lease: a home fences itself leaseMs after the last renewal it sent, so a directory
 * (Redis) outage of up to about leaseMs - renewMs - a reconnect (~2.3 s) passes unnoticed by clients.
 */
export const DEFAULT_RENEW_MS = 500;
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
 *
 * Fencing: a home cut off from the directory (Redis) cannot tell whether its leases lapsed and
 * another controller adopted its rooms. Its snapshot writes are fenced by the directory (written
 * only while it holds the lease, atomically), and leaseMs after the last renewal it sent it stops
 * acting as home: its rooms are evicted (clients reconnect through the load balancer to a
 * controller that can reach Redis, which adopts the rooms; OTMs stay on the nodes) and it homes no
 * room until it reaches the directory again. It keeps the evicted rooms' last state: when the
 * directory comes back empty (Redis restarted without persistence), it restores them from that.
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
  /** By our own clock our leases last until then: the last renewal was sent leaseMs earlier. */
  #leasedUntil = 0;
  #fenceTimer: NodeJS.Timeout | undefined;
  /** Could not renew within the lease: no room is homed here until the directory answers again. */
  #fenced = false;
  /** The rooms given up when fenced, as they were, and the directory's epoch then (see #unfence). */
  readonly #fencedCopies = new Map<string, RoomSnapshot>();
  #fencedAtEpoch: string | undefined;
  /** The other controllers as last read from the directory: a fenced controller relays its clients to them. */
  #knownPeers: ControllerPresence[] = [];
  /** Times this controller fenced itself, and snapshot writes the directory refused (lease not ours). */
  readonly fencing = { fenced: 0, refusedWrites: 0 };
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
    // The writer's saves and deletes go through the fence: only while this controller holds the lease.
    const directory = options.directory;
    this.writer = new RoomSnapshotWriter({
      directory: {
        saveSnapshot: async (room, snapshot) =>
          this.#refused(room, await directory.saveSnapshotIfHolder(room, snapshot, this.controllerId)),
        deleteSnapshot: async (room) =>
          this.#refused(room, await directory.deleteSnapshotIfHolder(room, this.controllerId)),
      },
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

  /** Cut off from the directory for longer than a lease: this controller homes no room now. */
  get fenced(): boolean {
    return this.#fenced;
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
      if (this.#fenced) return this.#relayWhileFenced(viaPeer);
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

  /**
   * Cut off from the directory, this controller cannot know where the room lives, but a peer that
   * reached it lately can: the request goes there (which serves it, or tells the client to
   * reconnect). Without one, it is refused at once, so the client tries again through the load
   * balancer and lands on a controller that can serve it.
   */
  async #relayWhileFenced<T>(
    viaPeer: (url: string, controllerId: string) => Promise<T | undefined>,
  ): Promise<Reached<T>> {
    const peers = [...this.#knownPeers].sort(() => Math.random() - 0.5);
    for (const peer of peers) {
      const value = await viaPeer(peer.internalUrl, peer.controllerId);
      if (value !== undefined) return { at: 'peer', value };
    }
    throw new ControllerError(
      'unavailable',
      'this controller cannot reach the room directory right now; try again (another controller can serve you)',
    );
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
    const all = await this.#directory.listControllers();
    this.#knownPeers = all.filter((c) => c.controllerId !== this.controllerId);
    return all;
  }

  /**
   * Looks for rooms with a snapshot and no home (their controller died) and adopts them, so that
   * their participants' grace periods still run out and nothing leaks when nobody comes back.
   */
  async sweep(): Promise<void> {
    if (this.#fenced || Date.now() < this.#recoveringUntil) return;
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
    clearTimeout(this.#fenceTimer);
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
    if (this.#fenced)
      throw new ControllerError('unavailable', 'this controller cannot reach the room directory');
    const started = Date.now();
    await this.#checkEpoch();
    if (Date.now() < this.#recoveringUntil) {
      // The room's home, if it has one, is taking its lease back: starting it here would split it.
      const holder = await this.#directory.home(room);
      return holder === undefined ? { at: 'unreachable', controllerId: '' } : this.#peerRoute(holder);
    }
    const holder = await this.#directory.claim(room, this.controllerId, this.#leaseMs);
    if (holder !== this.controllerId) return this.#peerRoute(holder);
    if (this.#fenced) {
      // Fenced while the claim was in flight: the room goes to a controller whose leases are sure.
      await this.#directory.release(room, this.controllerId).catch(() => undefined);
      throw new ControllerError('unavailable', 'this controller cannot reach the room directory');
    }
    this.#held.set(room, Date.now());
    if (this.#options.host.hasRoom(room)) return { at: 'here' };
    const snapshot = await this.#directory.loadSnapshot(room);
    if (snapshot === undefined) return { at: 'here' };
    if (!isRoomSnapshot(snapshot)) {
      this.#log.error('room snapshot unreadable (another version?); the room starts afresh', { room });
      return { at: 'here' };
    }
    await this.#adoptOrLetGo(room, snapshot);
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
      const epochChanged = await this.#checkEpoch();
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
      const sentAt = Date.now();
      const leasedUntil = this.#leasedUntil;
      const lost = await this.#directory.renew(rooms, this.controllerId, this.#leaseMs);
      // Our leases were surely alive when Redis renewed them unless the renewal came back too late.
      const leasesWereAlive = Date.now() < leasedUntil;
      this.#renewed(sentAt);
      for (const room of lost) await this.#lost(room, epochChanged || leasesWereAlive);
      if (this.#fenced) await this.#unfence();
      await this.controllers();
      this.#letGoOfEmptyClaims();
      this.writer.retryFailed();
      if (this.#beatFailureLogged) {
        this.#beatFailureLogged = false;
        // How close the outage came to fencing this controller (it fences at leaseMs).
        this.#log.info('room directory reachable again', {
          unrenewedMs: Date.now() - (leasedUntil - this.#leaseMs),
          leaseMs: this.#leaseMs,
        });
      }
    } catch (error) {
      if (!this.#beatFailureLogged) {
        this.#beatFailureLogged = true;
        this.#log.warn('room directory unreachable: rooms stay here while their leases last', { error });
      }
    }
  }

  /**
   * A lease this controller held lapsed: after a Redis restart take it back, else the room moved.
   * `mayTakeBack` is false when the lease may have expired (not renewed in time): another controller
   * may have adopted the room and even closed it since, so our state of it is not to be trusted.
   */
  async #lost(room: string, mayTakeBack: boolean): Promise<void> {
    if (!this.#held.has(room) || this.#acquiring.has(room)) return;
    const holder = mayTakeBack
      ? await this.#directory.claim(room, this.controllerId, this.#leaseMs)
      : await this.#directory.home(room);
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

  /** The directory answered a renewal sent at `sentAt`: the leases last leaseMs from then, the fence moves on. */
  #renewed(sentAt: number): void {
    this.#leasedUntil = Math.max(this.#leasedUntil, sentAt + this.#leaseMs);
    this.#armFence();
  }

  #armFence(): void {
    clearTimeout(this.#fenceTimer);
    if (this.#closed) return;
    // A timer may fire a millisecond before Date.now() says it is due: #fence arms it again then.
    this.#fenceTimer = setTimeout(() => this.#fence(), Math.max(1, this.#leasedUntil - Date.now()));
    this.#fenceTimer.unref?.();
  }

  /** Never let a room start afresh over a snapshot it failed to restore: let go, ask again later. */
  async #adoptOrLetGo(room: string, snapshot: RoomSnapshot): Promise<void> {
    try {
      await this.#options.host.adopt(snapshot);
    } catch (error) {
      this.#held.delete(room);
      this.#options.host.evict(room);
      await this.#directory.release(room, this.controllerId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * No renewal got through within a lease: another controller may be adopting our rooms now. Stop
   * acting as their home before two homes act for one room: evict them (their clients reconnect
   * through the load balancer, their OTMs stay on the nodes for the adopter to take over).
   */
  #fence(): void {
    if (this.#closed) return;
    if (Date.now() < this.#leasedUntil) {
      this.#armFence();
      return;
    }
    if (!this.#fenced) {
      this.#fenced = true;
      this.#fencedAtEpoch = this.#epoch;
      this.fencing.fenced++;
      this.#log.error(
        'room directory unreachable for longer than a lease: this controller stops homing rooms until it answers again',
        { rooms: this.#held.size, lastRenewalSentMsAgo: Date.now() - (this.#leasedUntil - this.#leaseMs) },
      );
    }
    for (const room of [...this.#held.keys()]) {
      const acquiring = this.#acquiring.get(room);
      if (acquiring) {
        // An adoption in flight finishes first; then the room goes like the others.
        acquiring.catch(() => undefined).finally(() => this.#fenced && this.#fence());
        continue;
      }
      const snapshot = this.#options.host.snapshotOf(room);
      if (snapshot) this.#fencedCopies.set(room, snapshot);
      this.#held.delete(room);
      this.#options.host.evict(room);
    }
  }

  /**
   * The directory answers again. If it lost its data meanwhile (a new epoch: Redis restarted), no
   * other controller can have adopted our rooms (they wait out the recovery), and our copies are
   * the latest state there is: the rooms come back here. Otherwise the directory's snapshots are
   * the truth and other controllers adopt from them.
   */
  async #unfence(): Promise<void> {
    this.#fenced = false;
    const copies = [...this.#fencedCopies.values()];
    this.#fencedCopies.clear();
    const restore = this.#epoch !== this.#fencedAtEpoch;
    this.#log.warn('room directory reachable again: homing rooms again', {
      restoringRooms: restore ? copies.length : 0,
    });
    if (!restore) return;
    for (const snapshot of copies) {
      if (this.#held.has(snapshot.room) || this.#acquiring.has(snapshot.room)) continue;
      const restoring = this.#restore(snapshot).finally(() => this.#acquiring.delete(snapshot.room));
      this.#acquiring.set(snapshot.room, restoring);
      await restoring.catch((error) =>
        this.#log.warn('restoring a room after the directory lost it failed', { room: snapshot.room, error }),
      );
    }
  }

  async #restore(snapshot: RoomSnapshot): Promise<RoomRoute> {
    const { room } = snapshot;
    if ((await this.#directory.loadSnapshot(room)) !== undefined) return this.#route(room);
    const holder = await this.#directory.claim(room, this.controllerId, this.#leaseMs);
    if (holder !== this.controllerId) return this.#peerRoute(holder);
    this.#held.set(room, Date.now());
    await this.#adoptOrLetGo(room, snapshot);
    this.#log.warn('room restored from this controller’s copy: the directory lost it while we were cut off', {
      room,
      participants: snapshot.participants.length,
      streams: snapshot.streams.length,
    });
    this.writer.changed(room);
    return { at: 'here' };
  }

  /** Someone else restored the room first: where it lives now. */
  async #route(room: string): Promise<RoomRoute> {
    const holder = await this.#directory.home(room);
    return holder === undefined ? { at: 'nowhere' } : this.#peerRoute(holder);
  }

  /** A fenced write the directory refused: the lease is not ours any more (renewal will tell us whose). */
  #refused(room: string, written: boolean): void {
    if (written) return;
    this.fencing.refusedWrites++;
    this.#log.warn('room snapshot not written: this controller no longer holds the room’s lease', { room });
  }

  /** Answers whether the epoch changed (the directory lost its data). */
  async #checkEpoch(): Promise<boolean> {
    const epoch = await this.#directory.epoch();
    const changed = this.#epoch !== undefined && epoch !== this.#epoch;
    if (changed) {
      this.#recoveringUntil = Date.now() + this.#leaseMs + (this.#options.renewMs ?? DEFAULT_RENEW_MS);
      this.#log.warn('the room directory lost its data (Redis restarted?): homes take their rooms back', {
        recoveryMs: this.#recoveringUntil - Date.now(),
      });
    }
    this.#epoch = epoch;
    return changed;
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
