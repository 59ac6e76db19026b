import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reached } from '../controller/RoomHomes.ts';
import type { Participant } from '../controller/rooms/Participant.ts';
import { isRoomSnapshot, type RoomSnapshot } from '../controller/rooms/RoomSnapshot.ts';
import { FORWARDED_HEADER } from '../controller/SignallingProxy.ts';
import { HttpError } from '../http/HttpError.ts';
import { sendJson } from '../http/httpIo.ts';
import { internalRequest, isSuccess } from '../http/internalRequest.ts';
import type { Logger } from '../log/Logger.ts';
import type { ClusterAuth } from '../security/ClusterAuth.ts';
import type { LiveParticipant, LiveRoom, MeetingRuntime } from './MeetingRuntime.ts';

/** What the portal needs of this controller's own rooms. */
export interface PortalRooms {
  endRoom(room: string, reason: string): Promise<boolean>;
  roomMembers(room: string): { participant: Participant; hasAudio: boolean; hasVideo: boolean }[] | undefined;
}

/**
 * How a controller of a cluster reaches rooms homed on the others (RoomHomes and the RoomDirectory
 * give it), and how the controllers prove to each other who is calling.
 */
export interface PortalCluster {
  homes: {
    readonly controllerId: string;
    holds(room: string): boolean;
    reach<T>(
      room: string,
      claim: boolean,
      viaPeer: (url: string, controllerId: string) => Promise<T | undefined>,
    ): Promise<Reached<T>>;
  };
  /** The room's snapshot as its home last saved it (after every change, before answering). */
  loadSnapshot(room: string): Promise<unknown | undefined>;
  /** Every room's snapshot, for cluster-wide counts. */
  listSnapshots(): Promise<Array<{ room: string; snapshot: unknown }>>;
  auth: ClusterAuth;
}

export const ENDED_BY_PORTAL = 'the meeting was ended';
/** Where a controller asks a room's home to end it (cluster-token protected). */
export const END_ROOM_PATH = /^\/internal\/v1\/portal\/rooms\/([^/?]+)\/end$/;
const END_ROOM_TIMEOUT_MS = 5000;

/**
 * The portal's MeetingRuntime over the controller's rooms. On its own (the embedded default) every
 * room is here. In a cluster a room lives on its home controller: who is in it is read from the
 * snapshot the home writes after every change (so any controller answers getMeetingInfo, and a
 * dead home's room still counts until it is adopted), and ending it is asked of the home, wherever
 * it is then (a dead home's room is adopted first, then ended).
 */
export class ControllerRuntime implements MeetingRuntime {
  readonly #rooms: PortalRooms;
  readonly #cluster: PortalCluster | undefined;
  readonly #log: Logger;

  constructor(rooms: PortalRooms, cluster: PortalCluster | undefined, log: Logger) {
    this.#rooms = rooms;
    this.#cluster = cluster;
    this.#log = log.child({ component: 'portal-runtime' });
  }

  // The room opens when its first participant arrives; nothing to prepare ahead.
  async ensureRoom(): Promise<void> {}

  async endRoom(room: string): Promise<void> {
    const cluster = this.#cluster;
    if (!cluster) {
      await this.#rooms.endRoom(room, ENDED_BY_PORTAL);
      return;
    }
    const reached = await cluster.homes.reach(room, false, (url) => this.#askHomeToEnd(url, room));
    if (reached.at === 'here') await this.#rooms.endRoom(room, ENDED_BY_PORTAL);
  }

  /** Who is in the room when this controller is its home; undefined when the room is not here. */
  localRoom(room: string): LiveRoom | undefined {
    const members = this.#rooms.roomMembers(room);
    return members ? { participants: members.map(liveParticipantOf) } : undefined;
  }

  async liveRoom(room: string): Promise<LiveRoom | undefined> {
    const here = this.localRoom(room);
    if (here) return here;
    if (!this.#cluster) return undefined;
    const snapshot = await this.#cluster.loadSnapshot(room);
    return isRoomSnapshot(snapshot) ? liveRoomOfSnapshot(snapshot) : undefined;
  }

  /**
   * Who is in each of `rooms` (those open): this controller's as they are, the others' from their
   * snapshots, read in one go (for counts over every meeting, e.g. metrics).
   */
  async liveRooms(rooms: readonly string[]): Promise<Map<string, LiveRoom>> {
    const snapshots = new Map<string, RoomSnapshot>();
    if (this.#cluster && rooms.some((room) => !this.#rooms.roomMembers(room))) {
      for (const { snapshot } of await this.#cluster.listSnapshots()) {
        if (isRoomSnapshot(snapshot)) snapshots.set(snapshot.room, snapshot);
      }
    }
    const live = new Map<string, LiveRoom>();
    for (const room of rooms) {
      const members = this.#rooms.roomMembers(room);
      const snapshot = snapshots.get(room);
      if (members) live.set(room, { participants: members.map(liveParticipantOf) });
      else if (snapshot) live.set(room, liveRoomOfSnapshot(snapshot));
    }
    return live;
  }

  /** The home's side of endRoom: mount it on the controller. True when it answered the request. */
  readonly endRoomHandler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const cluster = this.#cluster;
    if (!cluster || req.method !== 'POST') return false;
    const match = END_ROOM_PATH.exec((req.url ?? '').split('?', 1)[0]!);
    if (!match) return false;
    cluster.auth.check(req);
    let room: string;
    try {
      room = decodeURIComponent(match[1]!);
    } catch {
      throw new HttpError(400, 'bad-request', 'the room name is not valid');
    }
    if (await this.#rooms.endRoom(room, ENDED_BY_PORTAL)) {
      this.#log.info('room ended at the request of another controller', { room });
      sendJson(res, 200, { ended: true });
    } else if (cluster.homes.holds(room)) {
      sendJson(res, 200, { ended: false }); // claimed here, but nobody is in it
    } else {
      // Not (or no longer) its home: the asker looks for the home again.
      sendJson(res, 409, { error: { code: 'moved', message: `room "${room}" is not homed here` } });
    }
    return true;
  };

  /** True once the home answered; undefined makes RoomHomes.reach look for the home again. */
  async #askHomeToEnd(homeUrl: string, room: string): Promise<true | undefined> {
    const cluster = this.#cluster!;
    try {
      const response = await internalRequest(
        new URL(`/internal/v1/portal/rooms/${encodeURIComponent(room)}/end`, homeUrl),
        {
          method: 'POST',
          headers: { Authorization: cluster.auth.header(), [FORWARDED_HEADER]: cluster.homes.controllerId },
          timeoutMs: END_ROOM_TIMEOUT_MS,
        },
      );
      if (isSuccess(response)) return true;
      this.#log.debug('the room’s home did not end it; looking again', { room, status: response.status });
      return undefined;
    } catch (error) {
      this.#log.debug('the room’s home did not answer; looking again', { room, error });
      return undefined;
    }
  }
}

function liveParticipantOf({
  participant,
  hasAudio,
  hasVideo,
}: {
  participant: Participant;
  hasAudio: boolean;
  hasVideo: boolean;
}): LiveParticipant {
  return {
    participantId: participant.participantId,
    userId: participant.externalUserId,
    fullName: participant.name,
    role: participant.role,
    hasAudio,
    hasVideo,
    joinedAt: participant.joinedAt,
  };
}

/** As RoomService.roomMembers counts them: a live camera stream with audio or video. */
export function liveRoomOfSnapshot(snapshot: RoomSnapshot): LiveRoom {
  return {
    participants: snapshot.participants.map((p) => {
      const cameras = snapshot.streams.filter(
        (s) => s.participantId === p.participantId && s.kind === 'camera' && s.live,
      );
      return {
        participantId: p.participantId,
        userId: p.externalUserId,
        fullName: p.name,
        role: p.role,
        hasAudio: cameras.some((s) => s.hasAudio),
        hasVideo: cameras.some((s) => s.hasVideo),
        joinedAt: p.joinedAt,
      };
    }),
  };
}
