import { randomBytes, randomUUID } from 'node:crypto';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { NodeEvent } from '../cluster/NodeEvent.ts';
import { type NodeReport, protocolOf } from '../cluster/NodeReport.ts';
import type { NodeOtmList, OtmListing } from '../cluster/OtmListing.ts';
import type { Logger } from '../log/Logger.ts';
import { isValidRoomName, ROOM_NAME_ERROR_CODE, ROOM_NAME_RULE } from '../protocol/roomName.ts';
import {
  type ChatMessage,
  ENDED_BY_MODERATOR,
  type JoinResult,
  type MediaGrant,
  type MediaLocks,
  type RejoinTicket,
  type Role,
  type RTCIceServerLike,
  type StreamKind,
  type StreamRemovedReason,
} from '../protocol/roomSignalling.ts';
import type { MediaTokens } from '../security/MediaTokens.ts';
import { ControllerError } from './ControllerError.ts';
import { LeftoverOtmSweeper } from './LeftoverOtmSweeper.ts';
import { CLOSED_BY_CONTROLLER, type NodeCommander } from './NodeCommander.ts';
import { NodeLoadTracker } from './placement/NodeLoadTracker.ts';
import type { PlacementPolicy } from './placement/PlacementPolicy.ts';
import type { RoomObserver } from './RoomObserver.ts';
import { Participant, type ParticipantSink } from './rooms/Participant.ts';
import { Room } from './rooms/Room.ts';
import type { RoomSnapshot } from './rooms/RoomSnapshot.ts';
import { StreamRecord } from './rooms/StreamRecord.ts';
import { RECONNECT_CLOSE_CODE } from './SignallingProxy.ts';
import { type MigrationSummary, type MigrationTimings, StreamMigrator } from './StreamMigrator.ts';

export interface RoomServiceOptions {
  clusterState: ClusterState;
  commander: NodeCommander;
  placement: PlacementPolicy;
  tokens: MediaTokens;
  iceServers: RTCIceServerLike[];
  rejoinGraceMs: number;
  log: Logger;
  /**
   * Called after every change of a room that another controller would need to carry it on (and
   * when it closes): the controller writes the room's snapshot.
   */
  onRoomChanged?: (room: string) => void;
  /**
   * The region placement assumes for a publisher whose admission named none (controller.region);
   * empty or undefined: unknown, and region-aware placement acts as least-loaded for it.
   */
  defaultRegion?: string;
  /** Timings of a drain's make-before-break migration (see migrateOff). */
  migration?: Partial<MigrationTimings>;
}

const MAX_NAME = 100;
const MAX_CHAT = 2000;
const MAX_STREAMS_PER_PARTICIPANT = 4;
/** Nodes tried, one after the other, before a publish is refused with cluster-full. */
const MAX_PLACEMENT_ATTEMPTS = 3;

export interface RoomServiceStats {
  rooms: number;
  participants: number;
  streams: number;
  placements: number;
  placementFailures: number;
  replacements: number;
  /** Streams moved make-before-break off a draining node. */
  migrations: number;
  /** Migrations whose publisher did not reach the new OTM in time: moved as after a failure. */
  migrationFallbacks: number;
  /** The same decisions by node (counters since this controller started; nodes gone stay). */
  byNode: Map<string, NodeDecisions>;
}

export interface NodeDecisions {
  /** OTMs placed on the node. */
  placements: number;
  /** OTMs placed again elsewhere because the node (or its worker) was lost. */
  failoversFrom: number;
  /** Streams migrated off the node (drain, defragmenting). */
  migrationsFrom: number;
}

/**
 * Room management and OTM management of the seed paper's Controller. Media never passes here: it
 * places an OTM per published stream, hands out WHIP/WHEP grants for the OTM's node, and tells the
 * room what changed.
 */
export class RoomService {
  readonly rooms = new Map<string, Room>();
  readonly stats: RoomServiceStats = {
    rooms: 0,
    participants: 0,
    streams: 0,
    placements: 0,
    placementFailures: 0,
    replacements: 0,
    migrations: 0,
    migrationFallbacks: 0,
    byNode: new Map(),
  };
  readonly #options: RoomServiceOptions;
  readonly #log: Logger;
  readonly #load = new NodeLoadTracker({ onUnspokenProtocol: (report) => this.#unspokenProtocol(report) });
  /** `nodeId protocol` pairs already logged as not spoken: said once per node, not per placement. */
  readonly #unspokenLogged = new Set<string>();
  readonly #migrator: StreamMigrator;
  readonly #leftovers: LeftoverOtmSweeper;
  /** `nodeUrl streamId` of the OTMs this controller is closing now. */
  readonly #closingOtms = new Set<string>();
  readonly #sweeps = new Set<Promise<unknown>>();
  /** streamId → room name, for node events that only know the stream. */
  readonly #streamRooms = new Map<string, string>();

  #observer: RoomObserver | undefined;

  constructor(options: RoomServiceOptions) {
    this.#options = options;
    this.#log = options.log.child({ component: 'rooms' });
    this.#leftovers = new LeftoverOtmSweeper(options.clusterState, options.commander, this.#log);
    this.#migrator = new StreamMigrator(
      {
        rooms: this.rooms,
        placeOtm: (roomName, streamId, publisher, exceptNodeId) =>
          this.#placeOtm(roomName, streamId, publisher, exceptNodeId),
        replaceOtm: (room, stream, reason, exceptNodeId, draining) =>
          this.#replaceOtm(room, stream, reason, exceptNodeId, draining),
        removeStream: (room, stream, reason) => this.#removeStream(room, stream, reason),
        closeOtm: (nodeUrl, streamId) => this.#closeOtm(nodeUrl, streamId),
        publisherOf: (room, stream) => this.#publisherOf(room, stream),
        publishGrant: (roomName, stream, nodeUrl) =>
          this.#grantAt(roomName, stream, nodeUrl, stream.participantId, 'publish'),
        changed: (roomName) => this.#changed(roomName),
        countMigration: (fromNodeId) => {
          this.stats.migrations++;
          this.#decisionsOf(fromNodeId).migrationsFrom++;
        },
        countFallback: () => {
          this.stats.migrationFallbacks++;
        },
      },
      options.migration,
      this.#log,
    );
  }

  /** Tells `observer` what happens in rooms from now on (portal meetings, webhooks, statistics). */
  observe(observer: RoomObserver): void {
    this.#observer = observer;
  }

  // ── step 1: join ─────────────────────────────────────────────────────────────────

  join(
    roomName: string,
    name: string,
    sink: ParticipantSink | undefined,
    options: {
      rejoin?: RejoinTicket;
      role?: Role;
      headless?: boolean;
      externalUserId?: string;
      /** Where the participant is (JoinAdmission's Admitted.region): its streams' OTMs are placed near it. */
      region?: string;
      /** What it may not publish (JoinAdmission's Admitted.locks). */
      locks?: MediaLocks;
    } = {},
  ): JoinResult {
    checkRoomName(roomName);
    const displayName = checkText('name', name, MAX_NAME);
    let room = this.rooms.get(roomName);
    const previous = options.rejoin ? room?.participants.get(options.rejoin.participantId) : undefined;
    if (room && previous && previous.rejoinSecret === options.rejoin?.secret) {
      clearTimeout(previous.graceTimer);
      previous.graceTimer = undefined;
      previous.sink = sink;
      this.#log.info('participant resumed', { room: roomName, participantId: previous.participantId });
      return this.#joinResult(room, previous, true);
    }
    if (!room) {
      room = new Room(roomName);
      this.rooms.set(roomName, room);
      this.#log.info('room opened', { room: roomName });
    }
    const participant = new Participant({
      participantId: randomUUID(),
      name: displayName,
      role: options.role ?? 'moderator',
      rejoinSecret: randomBytes(18).toString('base64url'),
      headless: options.headless ?? false,
      externalUserId: options.externalUserId,
      region: options.region,
      locks: options.locks,
    });
    participant.sink = sink;
    room.participants.set(participant.participantId, participant);
    room.broadcast({ type: 'participantJoined', participant: participant.info() }, participant.participantId);
    this.#log.info('participant joined', { room: roomName, participantId: participant.participantId });
    this.#observe((o) =>
      o.participantJoined?.(roomName, {
        participantId: participant.participantId,
        name: participant.name,
        role: participant.role,
        externalUserId: participant.externalUserId,
      }),
    );
    this.#refreshStats();
    this.#changed(roomName);
    return this.#joinResult(room, participant, false);
  }

  /** True when `ticket` would resume a participant still holding its place in the room. */
  canResume(roomName: string, ticket: RejoinTicket | undefined): boolean {
    if (!ticket) return false;
    const previous = this.rooms.get(roomName)?.participants.get(ticket.participantId);
    return previous !== undefined && previous.rejoinSecret === ticket.secret;
  }

  // ── steps 2–3: a new OTM for each published stream, its access point for the publisher ──

  async publish(
    roomName: string,
    participantId: string,
    kind: StreamKind,
    hasAudio: boolean,
    hasVideo: boolean,
  ): Promise<MediaGrant> {
    const { participant } = this.#member(roomName, participantId);
    if (!hasAudio && !hasVideo)
      throw new ControllerError('bad-request', 'a stream needs audio, video or both');
    // Lock settings bind cameras and microphones; a screen share is not a camera.
    if (kind === 'camera' && hasVideo && participant.locks?.camera)
      throw new ControllerError('forbidden', 'cameras are locked for viewers in this meeting');
    if (kind === 'camera' && hasAudio && participant.locks?.microphone)
      throw new ControllerError('forbidden', 'microphones are locked for viewers in this meeting');
    if (participant.streamIds.size + participant.pendingPublishes >= MAX_STREAMS_PER_PARTICIPANT) {
      throw new ControllerError(
        'bad-request',
        `a participant may publish at most ${MAX_STREAMS_PER_PARTICIPANT} streams`,
      );
    }
    const streamId = randomUUID();
    participant.pendingPublishes++;
    let node: NodeReport;
    try {
      node = await this.#placeOtm(roomName, streamId, participant);
    } finally {
      participant.pendingPublishes--;
    }
    const room = this.rooms.get(roomName);
    if (!room || room.participants.get(participantId) !== participant) {
      // The publisher left (or its room closed) while the node was creating the OTM.
      await this.#closeOtm(node.url, streamId);
      throw new ControllerError('not-found', 'you left the room while publishing');
    }
    const stream = new StreamRecord({
      streamId,
      participantId,
      kind,
      hasAudio,
      hasVideo,
      nodeId: node.nodeId,
      nodeUrl: node.url,
      nodeStartedAt: node.startedAt,
    });
    room.streams.set(streamId, stream);
    participant.streamIds.add(streamId);
    this.#streamRooms.set(streamId, room.name);
    this.#refreshStats();
    const grant = this.#grant(room.name, stream, participantId, 'publish');
    if (participant.headless) {
      // Setting up OBS may take a while, but past its token's life the stream can never start.
      stream.startBy = grant.expiresAt;
      this.#giveUpUnstartedStream(room, stream);
    }
    this.#changed(room.name);
    return grant;
  }

  /** A fresh WHIP grant for the same stream: after the OTM moved, or when ICE restart failed. */
  republish(roomName: string, participantId: string, streamId: string): MediaGrant {
    const { room } = this.#member(roomName, participantId);
    const stream = room.streams.get(streamId);
    if (!stream || stream.participantId !== participantId)
      throw new ControllerError('not-found', `no stream ${streamId} of yours`);
    return this.#grant(room.name, stream, participantId, 'publish');
  }

  /**
   * A fresh token (and the current URL) for a stream the participant already publishes (WHIP) or
   * watches (WHEP): its token expired before an ICE restart or a new POST.
   */
  refreshGrant(roomName: string, participantId: string, streamId: string): MediaGrant {
    const { room } = this.#member(roomName, participantId);
    const stream = room.streams.get(streamId);
    if (!stream) throw new ControllerError('not-found', `no stream ${streamId} in room "${roomName}"`);
    const role = stream.participantId === participantId ? 'publish' : 'subscribe';
    return this.#grant(room.name, stream, participantId, role);
  }

  // ── steps 4–5: everyone else subscribes through WHEP on the OTM's node ──

  subscribe(roomName: string, participantId: string | undefined, streamId: string): MediaGrant {
    const room = this.rooms.get(roomName);
    if (!room) throw new ControllerError('not-found', `no room "${roomName}"`);
    if (participantId !== undefined && !room.participants.has(participantId)) {
      throw new ControllerError('not-found', 'you are not in this room');
    }
    const stream = room.streams.get(streamId);
    if (!stream) throw new ControllerError('not-found', `no stream ${streamId} in room "${roomName}"`);
    if (stream.participantId === participantId)
      throw new ControllerError('bad-request', 'you cannot subscribe to your own stream');
    return this.#grant(room.name, stream, participantId ?? `viewer-${randomUUID()}`, 'subscribe');
  }

  async unpublish(roomName: string, participantId: string, streamId: string): Promise<void> {
    const { room } = this.#member(roomName, participantId);
    const stream = room.streams.get(streamId);
    if (!stream || stream.participantId !== participantId)
      throw new ControllerError('not-found', `no stream ${streamId} of yours`);
    await this.#removeStream(room, stream, 'unpublished');
  }

  setMediaState(
    roomName: string,
    participantId: string,
    streamId: string,
    audioMuted: boolean,
    videoMuted: boolean,
  ): void {
    const { room } = this.#member(roomName, participantId);
    const stream = room.streams.get(streamId);
    if (!stream || stream.participantId !== participantId)
      throw new ControllerError('not-found', `no stream ${streamId} of yours`);
    stream.audioMuted = audioMuted;
    stream.videoMuted = videoMuted;
    if (stream.live) room.broadcast({ type: 'streamUpdated', stream: stream.info() });
    this.#changed(room.name);
  }

  chat(roomName: string, participantId: string, text: string): ChatMessage {
    const { room, participant } = this.#member(roomName, participantId);
    const message: ChatMessage = {
      messageId: randomUUID(),
      participantId,
      name: participant.name,
      text: checkText('text', text, MAX_CHAT),
      sentAt: Date.now(),
    };
    room.addChat(message);
    room.broadcast({ type: 'chat', message });
    this.#changed(room.name);
    return message;
  }

  async leave(
    roomName: string,
    participantId: string,
    reason: 'left' | 'timeout' | 'removed' = 'left',
  ): Promise<void> {
    const room = this.rooms.get(roomName);
    const participant = room?.participants.get(participantId);
    if (!room || !participant) return;
    clearTimeout(participant.graceTimer);
    room.participants.delete(participantId);
    participant.sink = undefined;
    this.#changed(roomName);
    await Promise.all(
      [...participant.streamIds].map((id) => {
        const stream = room.streams.get(id);
        return stream ? this.#removeStream(room, stream, 'publisher-left') : undefined;
      }),
    );
    room.broadcast({ type: 'participantLeft', participantId, reason });
    this.#log.info('participant left', { room: roomName, participantId, reason });
    this.#observe((o) => o.participantLeft?.(roomName, participantId, reason));
    if (room.isEmpty) this.#closeRoom(room);
    this.#refreshStats();
    this.#changed(roomName);
  }

  /**
   * The participant's socket dropped: keep its place for a rejoin, then let it go. With `sink`, only
   * if that socket is still the participant's: after a resume on a new socket, the old one's late
   * close (a dead socket is noticed a ping interval later) must not start the grace period.
   */
  disconnected(roomName: string, participantId: string, sink?: ParticipantSink): void {
    const participant = this.rooms.get(roomName)?.participants.get(participantId);
    if (!participant) return;
    if (sink !== undefined && participant.sink !== sink) return;
    participant.sink = undefined;
    this.#startGrace(roomName, participant);
  }

  // ── moderation: what moderators may do to others (roomSignalling.ts, ModeratorRequests) ──

  /** Marks the target's camera streams muted (as its own mediaState would) and asks its client to mute. */
  muteParticipant(
    roomName: string,
    moderatorId: string,
    targetId: string,
    parts: { audio: boolean; video: boolean },
  ): void {
    if (!parts.audio && !parts.video)
      throw new ControllerError('bad-request', 'say what to mute: audio, video or both');
    const { room, target } = this.#moderate(roomName, moderatorId, targetId, 'mute');
    for (const id of target.streamIds) {
      const stream = room.streams.get(id);
      if (stream?.kind !== 'camera') continue;
      if (parts.audio) stream.audioMuted = true;
      if (parts.video) stream.videoMuted = true;
      if (stream.live) room.broadcast({ type: 'streamUpdated', stream: stream.info() });
    }
    target.sink?.send({ type: 'muteRequested', by: moderatorId, audio: parts.audio, video: parts.video });
    this.#log.info('participant muted by a moderator', { room: roomName, moderatorId, targetId, ...parts });
    this.#changed(room.name);
  }

  /** The target is told, then leaves as on `leave` (reason 'removed'): its OTMs close, its ticket is void. */
  async removeParticipant(roomName: string, moderatorId: string, targetId: string): Promise<void> {
    const { target } = this.#moderate(roomName, moderatorId, targetId, 'remove');
    target.sink?.send({ type: 'removed', by: moderatorId });
    this.#log.info('participant removed by a moderator', { room: roomName, moderatorId, targetId });
    await this.leave(roomName, targetId, 'removed');
  }

  async endMeeting(roomName: string, moderatorId: string): Promise<void> {
    const { participant } = this.#member(roomName, moderatorId);
    if (participant.role !== 'moderator')
      throw new ControllerError('forbidden', 'only a moderator can end the meeting');
    await this.endRoom(roomName, ENDED_BY_MODERATOR);
  }

  #moderate(
    roomName: string,
    moderatorId: string,
    targetId: string,
    action: 'mute' | 'remove',
  ): { room: Room; target: Participant } {
    const { room, participant } = this.#member(roomName, moderatorId);
    if (participant.role !== 'moderator')
      throw new ControllerError('forbidden', `only a moderator can ${action} other participants`);
    if (targetId === moderatorId)
      throw new ControllerError(
        'bad-request',
        action === 'mute' ? 'mute yourself with mediaState' : 'leave the room with leave',
      );
    const target = room.participants.get(targetId);
    if (!target) throw new ControllerError('not-found', `no participant ${targetId} in this room`);
    return { room, target };
  }

  /** What nodes report about OTMs. */
  async handleNodeEvent(event: NodeEvent): Promise<void> {
    const roomName = this.#streamRooms.get(event.streamId);
    const room = roomName ? this.rooms.get(roomName) : undefined;
    const stream = room?.streams.get(event.streamId);
    if (!room || !stream) return;
    if (this.#migrator.handleNodeEvent(room, stream, event)) return;
    if (stream.nodeId !== event.nodeId) return;
    switch (event.type) {
      case 'publisherConnected': {
        clearTimeout(stream.publisherLostTimer);
        stream.publisherLostTimer = undefined;
        stream.hasAudio = event.hasAudio;
        stream.hasVideo = event.hasVideo;
        const wasLive = stream.live;
        stream.live = true;
        if (!wasLive) {
          this.#log.info('stream live', {
            room: room.name,
            streamId: stream.streamId,
            nodeId: stream.nodeId,
          });
          room.broadcast({ type: 'streamAdded', stream: stream.info() });
        }
        this.#changed(room.name);
        return;
      }
      case 'publisherDisconnected': {
        if (event.reason === 'deleted') {
          await this.#removeStream(room, stream, 'unpublished');
          return;
        }
        // OBS and the like do not come back on their own.
        if (room.participants.get(stream.participantId)?.headless) {
          await this.#removeStream(room, stream, 'publisher-lost');
          return;
        }
        // A network change: the publisher's SDK republishes; keep the stream for the grace period.
        this.#awaitPublisher(room, stream);
        return;
      }
      case 'subscriberConnected':
        stream.subscribers.add(event.participantId);
        return;
      case 'subscriberDisconnected':
        stream.subscribers.delete(event.participantId);
        return;
      case 'otmClosed':
        if (event.reason === CLOSED_BY_CONTROLLER) return;
        // Its worker died: the node itself may be unwell, so the stream goes elsewhere.
        await this.#replaceOtm(room, stream, event.reason, event.nodeId);
        return;
      default:
        return;
    }
  }

  /**
   * A node stopped reporting, or (with `restartedAt`, its new `startedAt`) came back as a new
   * process: either way the OTMs it carried are gone, and every stream on it is placed again. After
   * a restart, streams already placed on the new process stay, and the node may take streams back.
   */
  async handleNodeLost(nodeId: string, restartedAt?: number): Promise<void> {
    if (restartedAt === undefined) this.#load.forgetNode(nodeId);
    const why = restartedAt === undefined ? `node ${nodeId} lost` : `node ${nodeId} restarted`;
    const moves: Promise<void>[] = [];
    for (const room of this.rooms.values()) {
      for (const stream of room.streams.values()) {
        const migration = stream.migration;
        const otherNode = migration?.phase === 'handing-over' ? migration.from : migration?.to;
        if (otherNode?.nodeId === nodeId && stream.nodeId !== nodeId) {
          // The other end of a migration is gone: the stream stays where its record says.
          clearTimeout(migration!.timer);
          stream.migration = undefined;
          if (migration!.phase === 'handing-over')
            room.participants
              .get(stream.participantId)
              ?.sink?.send({ type: 'streamMigrated', streamId: stream.streamId });
        }
        if (stream.nodeId !== nodeId || stream.nodeStartedAt === restartedAt) continue;
        moves.push(this.#replaceOtm(room, stream, why, restartedAt === undefined ? nodeId : undefined));
      }
    }
    await Promise.all(moves);
  }

  /**
   * Ends a room for everyone in it (a moderator's or a portal's `end`, or its time ran out):
   * they are told why, their OTMs closed, the room forgotten.
   */
  async endRoom(roomName: string, reason: string): Promise<boolean> {
    const room = this.rooms.get(roomName);
    if (!room) return false;
    await this.#endRooms([room], reason);
    this.#sweepLeftovers(roomName);
    this.#log.info('room ended', { room: roomName, reason });
    return true;
  }

  /** Who is in a room now and what they publish; undefined when the room is not open. */
  roomMembers(
    roomName: string,
  ): { participant: Participant; hasAudio: boolean; hasVideo: boolean }[] | undefined {
    const room = this.rooms.get(roomName);
    if (!room) return undefined;
    return [...room.participants.values()].map((participant) => {
      const cameras = [...participant.streamIds]
        .map((id) => room.streams.get(id))
        .filter((s) => s !== undefined && s.kind === 'camera' && s.live);
      return {
        participant,
        hasAudio: cameras.some((s) => s!.hasAudio),
        hasVideo: cameras.some((s) => s!.hasVideo),
      };
    });
  }

  async close(): Promise<void> {
    await this.#endRooms([...this.rooms.values()], 'server shutting down');
    await this.leftoverSweepsDone();
  }

  // ── one home per room: snapshots, takeover, hand-over ───────────────────────────────

  snapshotOf(roomName: string): RoomSnapshot | undefined {
    return this.rooms.get(roomName)?.toSnapshot();
  }

  /**
   * Carries on a room whose home controller died, from the snapshot it left. Everyone starts as
   * disconnected within the rejoin grace period (their clients are reconnecting with their
   * tickets); streams stay where they are, since OTMs never depended on the controller, but each
   * is checked against its node: an OTM that is gone is placed again as on node loss, an OTM of
   * the room nobody recorded is closed, and the publisher's state is taken from the node.
   */
  async adopt(snapshot: RoomSnapshot): Promise<void> {
    if (this.rooms.has(snapshot.room)) return;
    const room = Room.fromSnapshot(snapshot);
    this.rooms.set(room.name, room);
    for (const stream of room.streams.values()) this.#streamRooms.set(stream.streamId, room.name);
    for (const participant of room.participants.values()) {
      if (!participant.headless) this.#startGrace(room.name, participant);
    }
    this.#refreshStats();
    await this.#reconcile(room);
    if (room.isEmpty) this.#closeRoom(room);
  }

  /**
   * Another controller is the room's home now (this one lost its lease): forget the room here
   * without touching its OTMs, and close its participants' sockets so they reconnect there.
   */
  evict(roomName: string, reason: string): void {
    const room = this.rooms.get(roomName);
    if (!room) return;
    this.rooms.delete(roomName);
    for (const stream of room.streams.values()) {
      clearTimeout(stream.publisherLostTimer);
      // Its other OTM is left to the new home: adopting, it closes OTMs of the room's streams
      // found on nodes other than the recorded one.
      clearTimeout(stream.migration?.timer);
      stream.migration = undefined;
      this.#streamRooms.delete(stream.streamId);
    }
    for (const participant of room.participants.values()) {
      clearTimeout(participant.graceTimer);
      const sink = participant.sink;
      participant.sink = undefined;
      sink?.close?.(RECONNECT_CLOSE_CODE, reason);
    }
    this.#refreshStats();
    this.#log.warn('room handed to another controller', { room: roomName, reason });
  }

  /** Shutting down in a cluster: every room stays open for another controller to adopt. */
  handOver(): void {
    for (const name of [...this.rooms.keys()]) this.evict(name, 'controller shutting down');
  }

  // ── drain: moving streams off a node, make-before-break (StreamMigrator) ─────────────

  /** See StreamMigrator.migrateOff. */
  migrateOff(nodeId: string, options: { force?: boolean } = {}): Promise<MigrationSummary> {
    return this.#migrator.migrateOff(nodeId, options);
  }

  /** Streams of this controller's rooms whose OTM is on `nodeId` (a migrating one counts where its record points). */
  streamsOn(nodeId: string): number {
    let count = 0;
    for (const room of this.rooms.values()) {
      for (const stream of room.streams.values()) if (stream.nodeId === nodeId) count++;
    }
    return count;
  }

  #publisherOf(room: Room, stream: StreamRecord): Pick<Participant, 'participantId' | 'region'> {
    return (
      room.participants.get(stream.participantId) ?? {
        participantId: stream.participantId,
        region: undefined,
      }
    );
  }

  #unspokenProtocol(report: NodeReport): void {
    const key = `${report.nodeId} ${protocolOf(report)}`;
    if (this.#unspokenLogged.has(key)) return;
    this.#unspokenLogged.add(key);
    this.#log.warn('not placing on a node of a wire protocol this controller does not speak', {
      nodeId: report.nodeId,
      protocol: protocolOf(report),
      version: report.version,
    });
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  async #placeOtm(
    roomName: string,
    streamId: string,
    publisher: Pick<Participant, 'participantId' | 'region'>,
    exceptNodeId?: string,
  ): Promise<NodeReport> {
    const publisherId = publisher.participantId;
    const region = publisher.region || this.#options.defaultRegion || undefined;
    const reports = (await this.#options.clusterState.listNodes()).filter((n) => n.nodeId !== exceptNodeId);
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_PLACEMENT_ATTEMPTS; attempt++) {
      const candidates = this.#load.candidates(reports.filter((r) => !tried.has(r.nodeId)));
      const chosen = this.#options.placement.choose(candidates, {
        room: roomName,
        ...(region === undefined ? {} : { region }),
      });
      if (!chosen) break;
      tried.add(chosen.report.nodeId);
      // Counted before the node answers, so that publishes arriving meanwhile go elsewhere.
      const reservation = this.#load.reserve(chosen.report.nodeId);
      try {
        await this.#options.commander.createOtm(chosen.report.url, { streamId, room: roomName, publisherId });
        reservation.confirm();
        this.stats.placements++;
        this.#decisionsOf(chosen.report.nodeId).placements++;
        this.#log.info('OTM placed', {
          room: roomName,
          streamId,
          nodeId: chosen.report.nodeId,
          utilization: round(chosen.utilization),
        });
        return chosen.report;
      } catch (error) {
        reservation.cancel();
        this.#log.warn('OTM placement failed on node, trying another', {
          nodeId: chosen.report.nodeId,
          error,
        });
      }
    }
    this.stats.placementFailures++;
    this.#log.warn('cluster full: no node can take a new OTM', {
      room: roomName,
      nodes: reports.length,
      refused: tried.size,
    });
    throw new ControllerError(
      'cluster-full',
      reports.length === 0
        ? 'no media node is running; try again shortly'
        : 'no media node has room for another stream right now; try again shortly',
    );
  }

  /** `closeOld`: the old OTM still runs (its node drains) and closes once the stream moved. */
  async #replaceOtm(
    room: Room,
    stream: StreamRecord,
    reason: string,
    exceptNodeId?: string,
    closeOld = false,
  ): Promise<void> {
    if (stream.relocating) return;
    // Not awaited: a second loss report must find the stream relocating at once.
    void this.#migrator.cancel(stream);
    // A WHIP-only publisher (OBS) never hears that its stream moved: there is nothing to keep.
    if (room.participants.get(stream.participantId)?.headless) {
      await this.#removeStream(room, stream, 'publisher-lost');
      return;
    }
    const from = stream.nodeId;
    const fromUrl = stream.nodeUrl;
    stream.relocating = true;
    let node: NodeReport;
    try {
      node = await this.#placeOtm(room.name, stream.streamId, this.#publisherOf(room, stream), exceptNodeId);
    } catch (error) {
      stream.relocating = false;
      this.#log.error('could not place a lost OTM again; removing the stream', {
        streamId: stream.streamId,
        error,
      });
      await this.#removeStream(room, stream, 'otm-lost');
      return;
    }
    stream.relocating = false;
    if (room.streams.get(stream.streamId) !== stream || this.rooms.get(room.name) !== room) {
      // Its publisher left meanwhile (or the room moved to another controller, which checks it).
      await this.#closeOtm(node.url, stream.streamId);
      return;
    }
    stream.nodeId = node.nodeId;
    stream.nodeUrl = node.url;
    stream.nodeStartedAt = node.startedAt;
    stream.subscribers = new Set();
    stream.subscribersKnown = true;
    stream.live = false;
    // The publisher gets a fresh start on the new node.
    clearTimeout(stream.publisherLostTimer);
    stream.publisherLostTimer = undefined;
    this.stats.replacements++;
    this.#decisionsOf(from).failoversFrom++;
    this.#log.warn('OTM placed again', {
      room: room.name,
      streamId: stream.streamId,
      from,
      to: node.nodeId,
      reason,
    });
    room.broadcast({ type: 'streamMoved', stream: stream.info() });
    this.#changed(room.name);
    if (closeOld) await this.#closeOtm(fromUrl, stream.streamId);
  }

  async #removeStream(room: Room, stream: StreamRecord, reason: StreamRemovedReason): Promise<void> {
    if (!room.streams.delete(stream.streamId)) return;
    clearTimeout(stream.publisherLostTimer);
    const migrationClosed = this.#migrator.cancel(stream);
    this.#streamRooms.delete(stream.streamId);
    const participant = room.participants.get(stream.participantId);
    participant?.streamIds.delete(stream.streamId);
    room.broadcast({ type: 'streamRemoved', streamId: stream.streamId, reason });
    this.#log.info('stream removed', { room: room.name, streamId: stream.streamId, reason });
    this.#changed(room.name);
    await Promise.all([this.#closeOtm(stream.nodeUrl, stream.streamId), migrationClosed]);
    if (participant?.headless && participant.streamIds.size === 0)
      await this.leave(room.name, participant.participantId, 'left');
    this.#refreshStats();
  }

  async #closeOtm(nodeUrl: string, streamId: string): Promise<void> {
    const key = `${nodeUrl} ${streamId}`;
    this.#closingOtms.add(key);
    await this.#options.commander
      .closeOtm(nodeUrl, streamId)
      .catch((error) => {
        this.#log.warn('could not close OTM on node', { streamId, error });
      })
      .finally(() => this.#closingOtms.delete(key));
  }

  /** Closes what the room left on the nodes (LeftoverOtmSweeper), in the background. */
  #sweepLeftovers(roomName: string): void {
    const sweep = this.#leftovers.sweep(roomName, Date.now(), (nodeUrl, streamId) =>
      this.#closingOtms.has(`${nodeUrl} ${streamId}`),
    );
    this.#sweeps.add(sweep);
    void sweep.finally(() => this.#sweeps.delete(sweep));
  }

  /** Resolves once the sweeps of ended rooms in flight are done (for shutdown and tests). */
  async leftoverSweepsDone(): Promise<void> {
    while (this.#sweeps.size > 0) await Promise.all(this.#sweeps);
  }

  /** The participant's place is kept for a rejoin until the grace period ends. */
  #startGrace(roomName: string, participant: Participant): void {
    clearTimeout(participant.graceTimer);
    participant.graceTimer = setTimeout(() => {
      this.leave(roomName, participant.participantId, 'timeout').catch((error) =>
        this.#log.error('leave after grace failed', { error }),
      );
    }, this.#options.rejoinGraceMs);
  }

  /** A publisher with a socket whose media went away gets the grace period to come back. */
  #awaitPublisher(room: Room, stream: StreamRecord): void {
    clearTimeout(stream.publisherLostTimer);
    stream.publisherLostTimer = setTimeout(() => {
      this.#removeStream(room, stream, 'publisher-lost').catch((error) =>
        this.#log.error('removing a lost stream failed', { error }),
      );
    }, this.#options.rejoinGraceMs);
  }

  /** A WHIP-only publisher that has not connected by its token's expiry never will. */
  #giveUpUnstartedStream(room: Room, stream: StreamRecord): void {
    clearTimeout(stream.publisherLostTimer);
    stream.publisherLostTimer = setTimeout(
      () => {
        this.#removeStream(room, stream, 'publisher-lost').catch((error) =>
          this.#log.error('removing a stream that never started failed', { error }),
        );
      },
      Math.max(0, (stream.startBy ?? Date.now()) - Date.now()),
    );
  }

  /** An adopted room's streams against what the nodes host now (see adopt). */
  async #reconcile(room: Room): Promise<void> {
    let nodes: NodeReport[];
    try {
      nodes = await this.#options.clusterState.listNodes();
    } catch (error) {
      this.#log.warn('could not check an adopted room against the nodes', { room: room.name, error });
      return;
    }
    const listings = new Map<string, NodeOtmList>();
    await Promise.all(
      nodes.map(async (node) => {
        try {
          listings.set(node.nodeId, await this.#options.commander.listOtms(node.url));
        } catch (error) {
          this.#log.warn('could not list a node’s OTMs', { nodeId: node.nodeId, error });
        }
      }),
    );
    const work: Promise<void>[] = [];
    for (const stream of room.streams.values()) {
      if (!nodes.some((n) => n.nodeId === stream.nodeId)) {
        work.push(this.#replaceOtm(room, stream, `node ${stream.nodeId} lost`, stream.nodeId));
        continue;
      }
      const listing = listings.get(stream.nodeId);
      // A node that does not answer keeps its streams as recorded; if it is gone, the NodeWatcher says so.
      if (!listing) continue;
      if (listing.startedAt !== stream.nodeStartedAt) {
        work.push(this.#replaceOtm(room, stream, `node ${stream.nodeId} restarted`));
        continue;
      }
      const otm = listing.otms.find((o) => o.streamId === stream.streamId);
      if (otm) this.#takePublisherState(room, stream, otm);
      else work.push(this.#replaceOtm(room, stream, 'its OTM is gone'));
    }
    for (const [nodeId, listing] of listings) {
      const node = nodes.find((n) => n.nodeId === nodeId)!;
      for (const otm of listing.otms) {
        const known = room.streams.get(otm.streamId);
        if (otm.room !== room.name || known?.nodeId === nodeId) continue;
        // Placed by the dead home after its last snapshot (nobody will ever publish to it), or the
        // other OTM of a migration it left half done.
        this.#log.warn(
          known ? 'closing the other OTM of a migrating stream' : 'closing an OTM the room does not know',
          {
            room: room.name,
            streamId: otm.streamId,
          },
        );
        work.push(this.#closeOtm(node.url, otm.streamId));
      }
    }
    await Promise.all(work);
    this.#changed(room.name);
  }

  /** The node saw the publisher's events, the dead home may not have: the node is right. */
  #takePublisherState(room: Room, stream: StreamRecord, otm: OtmListing): void {
    const headless = room.participants.get(stream.participantId)?.headless === true;
    if (otm.publisherConnected) {
      clearTimeout(stream.publisherLostTimer);
      stream.publisherLostTimer = undefined;
      stream.hasAudio = otm.hasAudio;
      stream.hasVideo = otm.hasVideo;
      stream.live = true;
    } else if (headless && stream.live) {
      this.#removeStream(room, stream, 'publisher-lost').catch((error) =>
        this.#log.error('removing a lost stream failed', { error }),
      );
    } else if (headless) {
      this.#giveUpUnstartedStream(room, stream);
    } else if (stream.live) {
      this.#awaitPublisher(room, stream);
    }
  }

  async #endRooms(rooms: Room[], reason: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const room of rooms) {
      room.broadcast({ type: 'roomClosed', reason });
      for (const participant of room.participants.values()) clearTimeout(participant.graceTimer);
      for (const stream of room.streams.values()) {
        clearTimeout(stream.publisherLostTimer);
        this.#streamRooms.delete(stream.streamId);
        closing.push(this.#closeOtm(stream.nodeUrl, stream.streamId), this.#migrator.cancel(stream));
      }
      this.rooms.delete(room.name);
      this.#observe((o) => o.roomClosed?.(room.name, reason));
      this.#changed(room.name);
    }
    this.#refreshStats();
    await Promise.all(closing);
  }

  #changed(roomName: string): void {
    this.#options.onRoomChanged?.(roomName);
  }

  /** Observers learn what happened; their failures are logged, never the room operation's. */
  #observe(notify: (observer: RoomObserver) => void): void {
    const observer = this.#observer;
    if (!observer) return;
    try {
      notify(observer);
    } catch (error) {
      this.#log.error('room observer failed', { error });
    }
  }

  #closeRoom(room: Room): void {
    // Someone may have joined (a new room of the same name) while the last one was leaving.
    if (this.rooms.get(room.name) !== room || !room.isEmpty) return;
    this.rooms.delete(room.name);
    this.#sweepLeftovers(room.name);
    this.#log.info('room closed', { room: room.name });
    this.#observe((o) => o.roomClosed?.(room.name, 'empty'));
    this.#changed(room.name);
  }

  #grant(
    roomName: string,
    stream: StreamRecord,
    participantId: string,
    role: 'publish' | 'subscribe',
  ): MediaGrant {
    return this.#grantAt(roomName, stream, stream.nodeUrl, participantId, role);
  }

  #grantAt(
    roomName: string,
    stream: StreamRecord,
    nodeUrl: string,
    participantId: string,
    role: 'publish' | 'subscribe',
  ): MediaGrant {
    const { token, expiresAt } = this.#options.tokens.issue({
      room: roomName,
      participantId,
      streamId: stream.streamId,
      role,
    });
    const path = `${role === 'publish' ? 'whip' : 'whep'}/${encodeURIComponent(stream.streamId)}`;
    return {
      streamId: stream.streamId,
      url: new URL(path, withSlash(nodeUrl)).toString(),
      token,
      expiresAt,
      iceServers: this.#options.iceServers,
    };
  }

  #member(roomName: string, participantId: string): { room: Room; participant: Participant } {
    const room = this.rooms.get(roomName);
    const participant = room?.participants.get(participantId);
    if (!room || !participant) throw new ControllerError('not-found', 'you are not in this room');
    return { room, participant };
  }

  #joinResult(room: Room, self: Participant, resumed: boolean): JoinResult {
    return {
      room: room.name,
      self: self.info(),
      rejoin: { participantId: self.participantId, secret: self.rejoinSecret },
      participants: [...room.participants.values()].map((p) => p.info()),
      streams: [...room.streams.values()].filter((s) => s.live).map((s) => s.info()),
      chat: [...room.chat],
      resumed,
    };
  }

  /** This node's line in stats.byNode (metrics per node). */
  #decisionsOf(nodeId: string): NodeDecisions {
    let decisions = this.stats.byNode.get(nodeId);
    if (!decisions) {
      decisions = { placements: 0, failoversFrom: 0, migrationsFrom: 0 };
      this.stats.byNode.set(nodeId, decisions);
    }
    return decisions;
  }

  #refreshStats(): void {
    let participants = 0;
    let streams = 0;
    for (const room of this.rooms.values()) {
      participants += room.participants.size;
      streams += room.streams.size;
    }
    this.stats.rooms = this.rooms.size;
    this.stats.participants = participants;
    this.stats.streams = streams;
  }
}

function checkRoomName(name: unknown): void {
  if (!isValidRoomName(name)) throw new ControllerError(ROOM_NAME_ERROR_CODE, ROOM_NAME_RULE);
}

function checkText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ControllerError('bad-request', `${field} must be a non-empty string`);
  if (value.length > max)
    throw new ControllerError('bad-request', `${field} is longer than ${max} characters`);
  return value.trim();
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
