import type { ChatMessage, ServerMessage } from '../../protocol/roomSignalling.ts';
import type { Participant } from './Participant.ts';
import type { StreamRecord } from './StreamRecord.ts';

const CHAT_HISTORY = 200;

/** The scope of publish/subscribe: participants, their streams, and the chat. */
export class Room {
  readonly name: string;
  readonly createdAt = Date.now();
  readonly participants = new Map<string, Participant>();
  readonly streams = new Map<string, StreamRecord>();
  readonly chat: ChatMessage[] = [];

  constructor(name: string) {
    this.name = name;
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
}
