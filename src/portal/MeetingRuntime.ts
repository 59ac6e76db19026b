import type { Role } from '../protocol/roomSignalling.ts';

/** What the live system is told when a portal creates a meeting. */
export interface RoomSettings {
  room: string;
  tenantId: string;
  /** The tenant's region: where placement should prefer to put the meeting's streams. */
  region: string;
  meetingName: string;
  welcome: string;
  /** 0 means no limit. */
  maxParticipants: number;
  /** 0 means no limit. */
  durationMinutes: number;
  record: boolean;
  /** Every effective create parameter (BBB names), for settings the runtime understands later. */
  createParams: Readonly<Record<string, string>>;
}

export interface LiveParticipant {
  participantId: string;
  /** The portal's userID, when the participant came in through a join token. */
  userId?: string;
  fullName: string;
  role: Role;
  /** Publishes audio. */
  hasAudio: boolean;
  /** Publishes a camera. */
  hasVideo: boolean;
  /** When the participant came into the room, when the runtime knows. */
  joinedAt?: number;
}

export interface LiveRoom {
  participants: LiveParticipant[];
}

/**
 * The portal's view of the live system (rooms, participants, streams). The controller's rooms
 * implement it; tests use a fake. Every call may cross the network in cluster mode, hence async.
 */
export interface MeetingRuntime {
  /** Prepares the room of a meeting just created. Rejecting fails the create. */
  ensureRoom(settings: RoomSettings): Promise<void>;
  /** Ends the room for everyone in it (BBB's end call, or the meeting's duration ran out). */
  endRoom(room: string): Promise<void>;
  /** Who is in the room now; undefined when the room is not open. */
  liveRoom(room: string): Promise<LiveRoom | undefined>;
}
