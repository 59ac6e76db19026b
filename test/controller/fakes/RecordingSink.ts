import type { ParticipantSink } from '../../../src/controller/rooms/Participant.ts';
import type { ServerMessage } from '../../../src/protocol/roomSignalling.ts';

/** A participant's socket that keeps what the room sent it. */
export class RecordingSink implements ParticipantSink {
  readonly messages: ServerMessage[] = [];
  /** Set when the controller ended the connection (with the WebSocket close code it chose). */
  closed: { code: number; reason: string } | undefined;

  send(message: ServerMessage): void {
    // As the socket would: a copy, not the controller's object.
    this.messages.push(structuredClone(message));
  }

  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }

  of<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }

  types(): string[] {
    return this.messages.map((m) => m.type);
  }

  clear(): void {
    this.messages.length = 0;
  }
}
