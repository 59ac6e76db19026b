import type {
  LiveParticipant,
  LiveRoom,
  MeetingRuntime,
  RoomSettings,
} from '../../src/portal/MeetingRuntime.ts';

/** Rooms as the portal sees them, set by the test. */
export class FakeRuntime implements MeetingRuntime {
  readonly ensured: RoomSettings[] = [];
  readonly ended: string[] = [];
  readonly rooms = new Map<string, LiveParticipant[]>();
  failEnsure = false;
  failLive = false;

  async ensureRoom(settings: RoomSettings): Promise<void> {
    if (this.failEnsure) throw new Error('cluster full');
    this.ensured.push(settings);
  }

  async endRoom(room: string): Promise<void> {
    this.ended.push(room);
    this.rooms.delete(room);
  }

  async liveRoom(room: string): Promise<LiveRoom | undefined> {
    if (this.failLive) throw new Error('state store unreachable');
    const participants = this.rooms.get(room);
    return participants ? { participants } : undefined;
  }

  addParticipant(room: string, participant: Partial<LiveParticipant> & { participantId: string }): void {
    const list = this.rooms.get(room) ?? [];
    list.push({
      fullName: participant.participantId,
      role: 'viewer',
      hasAudio: false,
      hasVideo: false,
      ...participant,
    });
    this.rooms.set(room, list);
  }
}
