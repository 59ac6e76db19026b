import type { ChatMessage, MediaLocks, Role, StreamKind } from '../../protocol/roomSignalling.ts';

/** Bumped when the shape changes incompatibly; a controller refuses snapshots of a version it does not know. */
export const ROOM_SNAPSHOT_VERSION = 1;

/**
 * What a room's home writes to the RoomDirectory after every change, so that another controller can
 * carry the room on when the home dies: everything that is not a socket or a timer. Plain JSON.
 * Made by Room.toSnapshot() and read back by Room.fromSnapshot(), nowhere else.
 */
export interface RoomSnapshot {
  version: typeof ROOM_SNAPSHOT_VERSION;
  room: string;
  createdAt: number;
  savedAt: number;
  participants: ParticipantSnapshot[];
  streams: StreamSnapshot[];
  /** The most recent messages only: a newcomer after a takeover sees this much history. */
  chat: ChatMessage[];
}

export interface ParticipantSnapshot {
  participantId: string;
  name: string;
  role: Role;
  joinedAt: number;
  rejoinSecret: string;
  headless: boolean;
  externalUserId?: string;
  /** See Participant.region. */
  region?: string;
  /** See Participant.locks. */
  locks?: MediaLocks;
}

export interface StreamSnapshot {
  streamId: string;
  participantId: string;
  kind: StreamKind;
  hasAudio: boolean;
  hasVideo: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  nodeId: string;
  nodeUrl: string;
  nodeStartedAt: number;
  live: boolean;
  /** See StreamRecord.startBy. */
  startBy?: number;
}

/** Chat messages kept in a snapshot (the room itself keeps more). */
export const SNAPSHOT_CHAT_MESSAGES = 50;

/** Checks the parts a takeover relies on; anything else in a snapshot is taken as written by a peer. */
export function isRoomSnapshot(value: unknown): value is RoomSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const snapshot = value as Partial<RoomSnapshot>;
  return (
    snapshot.version === ROOM_SNAPSHOT_VERSION &&
    typeof snapshot.room === 'string' &&
    Array.isArray(snapshot.participants) &&
    Array.isArray(snapshot.streams) &&
    Array.isArray(snapshot.chat)
  );
}
