import type { ChatMessage, ServerMessage } from '../../protocol/roomSignalling.ts';
import { Participant } from './Participant.ts';
import { ROOM_SNAPSHOT_VERSION, type RoomSnapshot, SNAPSHOT_CHAT_MESSAGES } from './RoomSnapshot.ts';
import { StreamRecord } from './StreamRecord.ts';

const CHAT_HISTORY = 200;

/** The scope of publish/subscribe: participants, their streams, and the chat. */
export class Room {
  readonly name: string;
  readonly createdAt: number;
  readonly participants = new Map<string, Participant>();
  readonly streams = new Map<string, StreamRecord>();
  readonly chat: ChatMessage[] = [];

  constructor(name: string, createdAt = Date.now()) {
    this.name = name;
    this.createdAt = createdAt;
  }

  get isEmpty(): boolean {
    return this.participants.size === 0;
  }

  addChat(message: ChatMessage): void {
    this.chat.push(message);
    if (this.chat.length > CHAT_HISTORY) this.chat.splice(0, this.chat.length - CHAT_HISTORY);
  }

  broadcast(message: ServerMessage, exceptParticipantId?: string): void {
    for (const participant of this.participants.values()) {
      if (participant.participantId !== exceptParticipantId) participant.sink?.send(message);
    }
  }

  /** Everything another controller needs to carry the room on; sockets and timers stay behind. */
  toSnapshot(): RoomSnapshot {
    return {
      version: ROOM_SNAPSHOT_VERSION,
      room: this.name,
      createdAt: this.createdAt,
      savedAt: Date.now(),
      participants: [...this.participants.values()].map((p) => ({
        participantId: p.participantId,
        name: p.name,
        role: p.role,
        joinedAt: p.joinedAt,
        rejoinSecret: p.rejoinSecret,
        headless: p.headless,
        ...(p.externalUserId === undefined ? {} : { externalUserId: p.externalUserId }),
        ...(p.region === undefined ? {} : { region: p.region }),
        ...(p.locks === undefined ? {} : { locks: { ...p.locks } }),
      })),
      streams: [...this.streams.values()].map((s) => ({
        streamId: s.streamId,
        participantId: s.participantId,
        kind: s.kind,
        hasAudio: s.hasAudio,
        hasVideo: s.hasVideo,
        audioMuted: s.audioMuted,
        videoMuted: s.videoMuted,
        nodeId: s.nodeId,
        nodeUrl: s.nodeUrl,
        nodeStartedAt: s.nodeStartedAt,
        live: s.live,
        ...(s.startBy === undefined ? {} : { startBy: s.startBy }),
      })),
      chat: this.chat.slice(-SNAPSHOT_CHAT_MESSAGES),
    };
  }

  /** The room as its snapshot describes it: nobody connected, no timer running (the caller starts them). */
  static fromSnapshot(snapshot: RoomSnapshot): Room {
    const room = new Room(snapshot.room, snapshot.createdAt);
    for (const p of snapshot.participants) {
      room.participants.set(
        p.participantId,
        new Participant({
          participantId: p.participantId,
          name: p.name,
          role: p.role,
          rejoinSecret: p.rejoinSecret,
          headless: p.headless,
          externalUserId: p.externalUserId,
          region: p.region,
          locks: p.locks,
          joinedAt: p.joinedAt,
        }),
      );
    }
    for (const s of snapshot.streams) {
      const participant = room.participants.get(s.participantId);
      // A stream always belongs to a participant; one that does not was saved mid-leave.
      if (!participant) continue;
      const stream = new StreamRecord(s);
      stream.audioMuted = s.audioMuted;
      stream.videoMuted = s.videoMuted;
      stream.live = s.live;
      stream.subscribersKnown = false;
      room.streams.set(stream.streamId, stream);
      participant.streamIds.add(stream.streamId);
    }
    for (const message of snapshot.chat) room.addChat(message);
    return room;
  }
}
