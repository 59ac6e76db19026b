import type { Role } from '../protocol/roomSignalling.ts';

export interface ObservedParticipant {
  participantId: string;
  name: string;
  role: Role;
  externalUserId?: string;
}

/**
 * What happens in rooms, for the parts of the system that keep history or tell others (portal
 * meetings, webhooks, statistics). Internal: clients get their events over signalling instead.
 * Called after the change; an observer's failure never fails the room operation.
 */
export interface RoomObserver {
  participantJoined?(room: string, participant: ObservedParticipant): void;
  participantLeft?(room: string, participantId: string, reason: string): void;
  roomClosed?(room: string, reason: string): void;
}
