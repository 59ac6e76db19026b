import type { ClusterState } from '../cluster/ClusterState.ts';
import type { Database } from '../db/Database.ts';
import { HOUR_MS, NodeSampleRepository } from '../db/NodeSampleRepository.ts';
import { RoomNodeRepository } from '../db/RoomNodeRepository.ts';
import { RoomSessionRepository } from '../db/RoomSessionRepository.ts';
import { str } from '../db/rowValues.ts';
import type { Logger } from '../log/Logger.ts';

/** A room this controller is the home of, as the sampler needs to see it. */
export interface LiveRoomLoad {
  room: string;
  /** The nodes hosting the room's streams' OTMs right now. */
  nodeIds: string[];
}

/**
 * Reads the controller's rooms. Structural, so the controller's RoomService itself fits
 * (`liveRoomsOf(rooms)`), and tests pass a plain object.
 */
export interface RoomsLike {
  readonly rooms: ReadonlyMap<string, { readonly streams: ReadonlyMap<string, { readonly nodeId: string }> }>;
}

export function liveRoomsOf(rooms: RoomsLike): () => LiveRoomLoad[] {
  return () =>
    [...rooms.rooms].map(([room, state]) => ({
      room,
      nodeIds: [...new Set([...state.streams.values()].map((stream) => stream.nodeId))],
    }));
}

export interface LoadSamplerOptions {
  db: Database;
  clusterState: ClusterState;
  /** How often to sample, and the bucket a node's samples are keyed by (one per node per interval). */
  intervalMs: number;
  /** Samples older than this are deleted (checked hourly); 0 keeps them forever. */
  sampleRetentionMs: number;
  /** Hourly sums and which nodes carried which meetings are kept this long; 0 keeps them forever. */
  hourRetentionMs: number;
  /**
   * This controller's rooms: which nodes carry each meeting (meetings per node), and proof of life
   * for rooms outside the portal. Without it only node load is sampled, and sessions of rooms
   * outside the portal are never closed as abandoned (nobody would vouch for the live ones).
   */
  liveRooms?: () => LiveRoomLoad[];
  /** A session of a room outside the portal not seen alive for this long is closed as abandoned. */
  abandonedAfterMs?: number;
  log: Logger;
  now?: () => number;
}

const PRUNE_EVERY_MS = 60 * 60_000;
/** Hours summed in one round at most, so catching up on a long history does not hold a tick for long. */
const HOURS_PER_ROUND = 48;

/**
 * Writes the load history: every interval, each live node's last report (CPU, memory, Mbit/s in
 * and out, OTMs, subscribers), and which nodes carry this controller's rooms. Every controller of a
 * cluster runs one; the rows are keyed so the history holds each fact once (NodeSampleRepository,
 * RoomNodeRepository). A tick still running when the next is due makes that one skip.
 */
export class LoadSampler {
  readonly #options: LoadSamplerOptions;
  readonly #samples: NodeSampleRepository;
  readonly #roomNodes: RoomNodeRepository;
  readonly #sessions: RoomSessionRepository;
  readonly #log: Logger;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #lastPrune = Number.NEGATIVE_INFINITY;
  /** The start of the next hour to sum; unknown until the first round asks the database. */
  #nextHour: number | undefined;

  constructor(options: LoadSamplerOptions) {
    if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs < 100) {
      throw new RangeError(`stats sample interval must be at least 100 ms, got ${options.intervalMs}`);
    }
    this.#options = options;
    this.#samples = new NodeSampleRepository(options.db);
    this.#roomNodes = new RoomNodeRepository(options.db);
    this.#sessions = new RoomSessionRepository(options.db);
    this.#log = options.log.child({ component: 'stats-sampler' });
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#options.intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  /** Resolves once no round is in progress (the next may start at the next interval). */
  async whenIdle(): Promise<void> {
    await this.#running;
  }

  /** Stops sampling and waits for a tick in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One round: node samples, room placements, abandoned sessions, hourly sums, retention. */
  async sampleOnce(): Promise<{ nodeSamples: number }> {
    const at = this.#now();
    const reports = await this.#options.clusterState.listNodes();
    const nodeSamples = await this.#samples.insertIfAbsent(
      reports.map((report) => ({
        nodeId: report.nodeId,
        region: report.region,
        sampledAt: report.reportedAt,
        cpu: report.load.cpu,
        memoryBytes: report.load.memoryRssBytes,
        bitrateInBps: report.load.bitrateInBps,
        bitrateOutBps: report.load.bitrateOutBps,
        packetsInPerSecond: report.load.packetsInPerSecond,
        packetsOutPerSecond: report.load.packetsOutPerSecond,
        otms: report.load.otms,
        subscribers: report.load.subscribers,
      })),
      this.#options.intervalMs,
    );
    if (this.#options.liveRooms) await this.#sampleRooms(this.#options.liveRooms(), at);
    await this.#rollUpHours(at);
    if (at - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = at;
      const { sampleRetentionMs, hourRetentionMs } = this.#options;
      if (sampleRetentionMs > 0) await this.#samples.pruneBefore(at - sampleRetentionMs);
      if (hourRetentionMs > 0) {
        await this.#samples.pruneHoursBefore(at - hourRetentionMs);
        await this.#roomNodes.pruneBefore(at - hourRetentionMs);
      }
    }
    return { nodeSamples };
  }

  /**
   * Sums every hour that is over into node_load_hours. An hour is over once no sample of it can still
   * arrive: two intervals (a controller's round may lag a report by one) and a minute of clock skew.
   */
  async #rollUpHours(at: number): Promise<void> {
    const closedBefore = Math.floor((at - 2 * this.#options.intervalMs - 60_000) / HOUR_MS) * HOUR_MS;
    if (this.#nextHour === undefined) {
      const last = await this.#samples.lastHourRolledUp();
      const first = await this.#samples.firstSampleAt();
      this.#nextHour =
        last !== undefined
          ? last + HOUR_MS
          : first !== undefined
            ? Math.floor(first / HOUR_MS) * HOUR_MS
            : closedBefore;
    }
    for (let done = 0; this.#nextHour < closedBefore && done < HOURS_PER_ROUND; done++) {
      await this.#samples.rollUpHour(this.#nextHour);
      this.#nextHour += HOUR_MS;
    }
  }

  async #sampleRooms(rooms: LiveRoomLoad[], at: number): Promise<void> {
    if (rooms.length > 0) {
      const sessionOf = await this.#openSessionsByRoom();
      const sightings: { sessionId: string; nodeId: string }[] = [];
      const direct: string[] = [];
      for (const { room, nodeIds } of rooms) {
        const session = sessionOf.get(room);
        if (!session) continue;
        if (!session.portal) direct.push(session.id);
        for (const nodeId of nodeIds) sightings.push({ sessionId: session.id, nodeId });
      }
      await this.#roomNodes.noteSeen(sightings, at);
      await this.#sessions.touch(direct, at);
    }
    const abandonedAfter =
      this.#options.abandonedAfterMs ?? Math.max(5 * 60_000, 10 * this.#options.intervalMs);
    const closed = await this.#sessions.closeAbandoned(at - abandonedAfter);
    if (closed > 0) this.#log.info('closed the history of rooms nobody saw alive', { rooms: closed });
  }

  /** Room name → its open history record: the active portal meeting, or else the open room session. */
  async #openSessionsByRoom(): Promise<Map<string, { id: string; portal: boolean }>> {
    const [meetings, sessions] = await Promise.all([
      this.#options.db.query('SELECT id, room FROM meetings WHERE ended_at IS NULL'),
      this.#options.db.query('SELECT id, room FROM room_sessions WHERE closed_at IS NULL'),
    ]);
    const byRoom = new Map<string, { id: string; portal: boolean }>();
    for (const row of sessions) byRoom.set(str(row.room), { id: str(row.id), portal: false });
    for (const row of meetings) byRoom.set(str(row.room), { id: str(row.id), portal: true });
    return byRoom;
  }

  #tick(): void {
    if (this.#running) return;
    this.#running = this.sampleOnce()
      .then(
        () => undefined,
        (error: unknown) => this.#log.warn('sampling the cluster load failed', { error }),
      )
      .finally(() => {
        this.#running = undefined;
      });
  }
}
