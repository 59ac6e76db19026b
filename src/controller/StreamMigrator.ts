import type { NodeEvent } from '../cluster/NodeEvent.ts';
import type { NodeReport } from '../cluster/NodeReport.ts';
import type { Logger } from '../log/Logger.ts';
import type { MediaGrant, StreamRemovedReason } from '../protocol/roomSignalling.ts';
import { CLOSED_BY_CONTROLLER } from './NodeCommander.ts';
import type { Participant } from './rooms/Participant.ts';
import type { Room } from './rooms/Room.ts';
import type { OtmLocation, StreamMigration } from './rooms/StreamMigration.ts';
import type { StreamRecord } from './rooms/StreamRecord.ts';

export interface MigrationTimings {
  /** How long the publisher has to reach the new OTM before the stream moves as after a failure. */
  connectTimeoutMs: number;
  /** How long the old OTM keeps forwarding after `streamMoved`, at most, for subscribers to switch. */
  handoverTimeoutMs: number;
}

export const DEFAULT_MIGRATION: MigrationTimings = { connectTimeoutMs: 5000, handoverTimeoutMs: 4000 };

/** What migrateOff did with the streams it found on the node. */
export interface MigrationSummary {
  /** Streams whose migration started now. */
  started: number;
  /** Streams already moving. */
  moving: number;
  /** Streams of WHIP-only publishers (OBS), which cannot be told to move: they stay until they end. */
  whipOnly: Array<{ room: string; streamId: string }>;
  /** Streams of WHIP-only publishers removed because the drain was forced. */
  removed: number;
}

/** What the migrator needs of the rooms it moves streams in (RoomService gives it). */
export interface MigrationHost {
  readonly rooms: ReadonlyMap<string, Room>;
  placeOtm(
    roomName: string,
    streamId: string,
    publisher: Pick<Participant, 'participantId' | 'region'>,
    exceptNodeId?: string,
  ): Promise<NodeReport>;
  /** Moves the stream as after a failure (break-before-make). */
  replaceOtm(
    room: Room,
    stream: StreamRecord,
    reason: string,
    exceptNodeId?: string,
    draining?: boolean,
  ): Promise<void>;
  removeStream(room: Room, stream: StreamRecord, reason: StreamRemovedReason): Promise<void>;
  closeOtm(nodeUrl: string, streamId: string): Promise<void>;
  publisherOf(room: Room, stream: StreamRecord): Pick<Participant, 'participantId' | 'region'>;
  /** A WHIP grant for the stream's publisher at `nodeUrl`. */
  publishGrant(roomName: string, stream: StreamRecord, nodeUrl: string): MediaGrant;
  /** The room changed: its snapshot is written. */
  changed(roomName: string): void;
  countMigration(fromNodeId: string): void;
  countFallback(): void;
}

/**
 * Moves streams off a draining node make-before-break (see migrateOff), one StreamMigration per
 * stream on its record. Room management stays RoomService's: this class only drives a stream from
 * its old OTM to its new one and tells the publisher and the room when.
 */
export class StreamMigrator {
  readonly #host: MigrationHost;
  readonly #timings: MigrationTimings;
  readonly #log: Logger;

  constructor(host: MigrationHost, timings: Partial<MigrationTimings> | undefined, log: Logger) {
    this.#host = host;
    this.#timings = { ...DEFAULT_MIGRATION, ...timings };
    this.#log = log;
  }

  /**
   * Moves every stream of this controller's rooms off `nodeId` (a draining node; placement no longer
   * chooses it). For each stream whose publisher has a socket: a new OTM on another node, the
   * publisher told to publish there too (`streamMigrating`), and once its media reached the new
   * OTM the room is told `streamMoved` (live) and subscribers switch while the old OTM still
   * forwards; the old OTM closes when they left it or after `handoverTimeoutMs`. A stream not live
   * yet simply moves. WHIP-only publishers (OBS) cannot be told anything: their streams stay
   * (listed in the answer) unless `force`, which removes them. Idempotent: call it on every look
   * at a draining node; streams already moving are left alone.
   */
  async migrateOff(nodeId: string, options: { force?: boolean } = {}): Promise<MigrationSummary> {
    const summary: MigrationSummary = { started: 0, moving: 0, whipOnly: [], removed: 0 };
    const work: Promise<void>[] = [];
    for (const room of this.#host.rooms.values()) {
      for (const stream of room.streams.values()) {
        if (stream.nodeId !== nodeId) continue;
        if (stream.migration || stream.relocating) {
          summary.moving++;
          continue;
        }
        const publisher = room.participants.get(stream.participantId);
        if (publisher?.headless) {
          if (options.force) {
            summary.removed++;
            work.push(this.#host.removeStream(room, stream, 'publisher-lost'));
          } else {
            summary.whipOnly.push({ room: room.name, streamId: stream.streamId });
          }
          continue;
        }
        summary.started++;
        work.push(
          stream.live
            ? this.#migrate(room, stream)
            : this.#host.replaceOtm(room, stream, `node ${nodeId} draining`, undefined, true),
        );
      }
    }
    await Promise.all(work);
    return summary;
  }

  async #migrate(room: Room, stream: StreamRecord): Promise<void> {
    const from: OtmLocation = {
      nodeId: stream.nodeId,
      nodeUrl: stream.nodeUrl,
      nodeStartedAt: stream.nodeStartedAt,
    };
    const migration: StreamMigration = {
      phase: 'placing',
      from,
      to: undefined,
      waiting: new Set(),
      startedAt: Date.now(),
      timer: undefined,
    };
    stream.migration = migration;
    let node: NodeReport;
    try {
      node = await this.#host.placeOtm(
        room.name,
        stream.streamId,
        this.#host.publisherOf(room, stream),
        from.nodeId,
      );
    } catch (error) {
      if (stream.migration === migration) stream.migration = undefined;
      this.#log.warn('could not place a draining node’s stream elsewhere; trying again later', {
        room: room.name,
        streamId: stream.streamId,
        error,
      });
      return;
    }
    if (
      stream.migration !== migration ||
      room.streams.get(stream.streamId) !== stream ||
      this.#host.rooms.get(room.name) !== room
    ) {
      // The stream ended, failed over or went to another controller while the new OTM was made.
      await this.#host.closeOtm(node.url, stream.streamId);
      return;
    }
    migration.phase = 'connecting';
    migration.to = { nodeId: node.nodeId, nodeUrl: node.url, nodeStartedAt: node.startedAt };
    migration.timer = setTimeout(() => {
      this.#migrationFallback(room, stream, migration).catch((error) =>
        this.#log.error('moving a stream whose publisher did not follow failed', { error }),
      );
    }, this.#timings.connectTimeoutMs);
    this.#log.info('stream migrating', {
      room: room.name,
      streamId: stream.streamId,
      from: from.nodeId,
      to: node.nodeId,
    });
    room.participants.get(stream.participantId)?.sink?.send({
      type: 'streamMigrating',
      streamId: stream.streamId,
      grant: this.#host.publishGrant(room.name, stream, node.url),
    });
  }

  /** The publisher reached the new OTM: the stream is there now, subscribers follow. */
  #handOver(room: Room, stream: StreamRecord, event: { hasAudio: boolean; hasVideo: boolean }): void {
    const migration = stream.migration;
    if (!migration?.to || migration.phase !== 'connecting') return;
    clearTimeout(migration.timer);
    migration.phase = 'handing-over';
    this.#moveRecord(stream, migration.to);
    stream.hasAudio = event.hasAudio;
    stream.hasVideo = event.hasVideo;
    stream.live = true;
    clearTimeout(stream.publisherLostTimer);
    stream.publisherLostTimer = undefined;
    // The old OTM's subscribers are who the hand-over waits for; the new OTM starts with none. A
    // room taken over from a snapshot does not know them: everyone else with a socket may be one.
    migration.waiting = stream.subscribersKnown ? stream.subscribers : this.#othersWithSockets(room, stream);
    stream.subscribers = new Set();
    stream.subscribersKnown = true;
    this.#host.countMigration(migration.from.nodeId);
    this.#log.info('stream migrated: subscribers switching', {
      room: room.name,
      streamId: stream.streamId,
      from: migration.from.nodeId,
      to: migration.to.nodeId,
      ms: Date.now() - migration.startedAt,
    });
    room.broadcast({ type: 'streamMoved', stream: stream.info() });
    this.#host.changed(room.name);
    if (migration.waiting.size === 0) {
      this.#endMigration(room, stream, migration);
      return;
    }
    migration.timer = setTimeout(
      () => this.#endMigration(room, stream, migration),
      this.#timings.handoverTimeoutMs,
    );
  }

  /** Subscribers left the old OTM (or the time is up): it closes, and the publisher's old connection with it. */
  #endMigration(room: Room, stream: StreamRecord, migration: StreamMigration): void {
    if (stream.migration !== migration) return;
    clearTimeout(migration.timer);
    stream.migration = undefined;
    if (migration.waiting.size > 0)
      this.#log.info('old OTM closed with subscribers still on it', {
        streamId: stream.streamId,
        waiting: migration.waiting.size,
      });
    room.participants
      .get(stream.participantId)
      ?.sink?.send({ type: 'streamMigrated', streamId: stream.streamId });
    void this.#host.closeOtm(migration.from.nodeUrl, stream.streamId);
  }

  /**
   * The publisher did not reach the new OTM in time (an older client, a failed connection): the
   * stream moves there as after a node failure, its publisher republishing, subscribers waiting.
   */
  async #migrationFallback(room: Room, stream: StreamRecord, migration: StreamMigration): Promise<void> {
    if (stream.migration !== migration || !migration.to || migration.phase !== 'connecting') return;
    stream.migration = undefined;
    if (room.streams.get(stream.streamId) !== stream || this.#host.rooms.get(room.name) !== room) return;
    this.#moveRecord(stream, migration.to);
    stream.subscribers = new Set();
    stream.subscribersKnown = true;
    stream.live = false;
    clearTimeout(stream.publisherLostTimer);
    stream.publisherLostTimer = undefined;
    this.#host.countFallback();
    this.#log.warn('publisher did not follow its migrating stream: moved as after a failure', {
      room: room.name,
      streamId: stream.streamId,
      from: migration.from.nodeId,
      to: migration.to.nodeId,
    });
    room.broadcast({ type: 'streamMoved', stream: stream.info() });
    this.#host.changed(room.name);
    await this.#host.closeOtm(migration.from.nodeUrl, stream.streamId);
  }

  /** Stops a migration (the stream ends or fails over): the OTM its record does not point at closes. */
  cancel(stream: StreamRecord): Promise<void> {
    const migration = stream.migration;
    if (!migration) return Promise.resolve();
    clearTimeout(migration.timer);
    stream.migration = undefined;
    const other = migration.phase === 'handing-over' ? migration.from : migration.to;
    return other && other.nodeId !== stream.nodeId
      ? this.#host.closeOtm(other.nodeUrl, stream.streamId)
      : Promise.resolve();
  }

  /** Node events of the other OTM of a migrating stream; true when handled. */
  handleNodeEvent(room: Room, stream: StreamRecord, event: NodeEvent): boolean {
    const migration = stream.migration;
    if (!migration) return false;
    if (migration.phase === 'connecting' && migration.to?.nodeId === event.nodeId) {
      if (event.type === 'publisherConnected') this.#handOver(room, stream, event);
      else if (event.type === 'otmClosed' && event.reason !== CLOSED_BY_CONTROLLER) {
        // The new OTM's worker died: the next look at the draining node starts over.
        clearTimeout(migration.timer);
        stream.migration = undefined;
      }
      return true;
    }
    if (migration.phase === 'handing-over' && migration.from.nodeId === event.nodeId) {
      if (event.type === 'subscriberDisconnected') {
        migration.waiting.delete(event.participantId);
        if (migration.waiting.size === 0) this.#endMigration(room, stream, migration);
      }
      return true;
    }
    return false;
  }

  #othersWithSockets(room: Room, stream: StreamRecord): Set<string> {
    const ids = new Set<string>();
    for (const participant of room.participants.values()) {
      if (participant.participantId !== stream.participantId && participant.sink && !participant.headless)
        ids.add(participant.participantId);
    }
    return ids;
  }

  #moveRecord(stream: StreamRecord, to: OtmLocation): void {
    stream.nodeId = to.nodeId;
    stream.nodeUrl = to.nodeUrl;
    stream.nodeStartedAt = to.nodeStartedAt;
  }
}
