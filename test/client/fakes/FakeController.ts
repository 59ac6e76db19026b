import { DotmError } from '../../../src/client/DotmError.ts';
import type { WebSocketConstructor } from '../../../src/client/SignallingChannel.ts';
import type {
  ChatMessage,
  JoinResult,
  MediaGrant,
  MediaLocks,
  ParticipantInfo,
  RejoinTicket,
  ServerMessage,
  StreamInfo,
  StreamKind,
} from '../../../src/protocol/roomSignalling.ts';
import { type FakeWebSocket, fakeWebSocketClass } from './FakeWebSocket.ts';

export type FakeRequest = Record<string, unknown> & { id: number; type: string };
type Handler = (request: FakeRequest, socket: FakeWebSocket) => unknown;

/**
 * The controller's side of the socket with a tiny room model, enough to drive DotmClient: joins
 * (resuming a known ticket), publish/republish/subscribe grants, chat. `handlers` override any
 * request type; a handler that throws a DotmError answers with that error.
 */
export class FakeController {
  readonly WebSocket: WebSocketConstructor;
  readonly sockets: FakeWebSocket[];
  readonly requests: FakeRequest[] = [];
  readonly handlers: Partial<Record<string, Handler>> = {};
  readonly participants = new Map<string, ParticipantInfo>();
  readonly streams = new Map<string, StreamInfo>();
  readonly tickets = new Map<string, RejoinTicket>();
  chat: ChatMessage[] = [];
  /** Whether new sockets open by themselves. */
  autoOpen = true;
  selfId: string | undefined;
  /**
   * What the admission tells a join it admits now (a portal meeting's welcome and logout URL); a
   * resumed join is not admitted again and carries none of it, as on the controller.
   */
  admitted: Pick<JoinResult, 'welcome' | 'logoutUrl'> = {};
  /** The lock settings a fresh join is admitted with (a portal meeting's, for a viewer). */
  locks: MediaLocks | undefined;
  #nextId = 1;

  constructor() {
    const { WebSocket, sockets } = fakeWebSocketClass((socket) => {
      socket.onSend = (message) => this.#handle(socket, message as FakeRequest);
      if (this.autoOpen) queueMicrotask(() => socket.open());
    });
    this.WebSocket = WebSocket;
    this.sockets = sockets;
  }

  get socket(): FakeWebSocket {
    return this.sockets[this.sockets.length - 1];
  }

  requestsOf(type: string): FakeRequest[] {
    return this.requests.filter((request) => request.type === type);
  }

  /** A room event to the client. */
  send(event: ServerMessage): void {
    this.socket.receive(event);
  }

  addParticipant(name: string): ParticipantInfo {
    const participant: ParticipantInfo = {
      participantId: `p${this.#nextId++}`,
      name,
      role: 'viewer',
      joinedAt: 1_000,
    };
    this.participants.set(participant.participantId, participant);
    return participant;
  }

  addStream(participantId: string, kind: StreamKind = 'camera', nodeId = 'node-a'): StreamInfo {
    const stream: StreamInfo = {
      streamId: `s${this.#nextId++}`,
      participantId,
      kind,
      hasAudio: kind === 'camera',
      hasVideo: true,
      audioMuted: false,
      videoMuted: false,
      nodeId,
    };
    this.streams.set(stream.streamId, stream);
    return stream;
  }

  grant(streamId: string, protocol: 'whip' | 'whep'): MediaGrant {
    const nodeId = this.streams.get(streamId)?.nodeId ?? 'node-a';
    return {
      streamId,
      url: `https://${nodeId}.test/${protocol}/${streamId}`,
      token: `${protocol}-${streamId}-${this.#nextId++}`,
      expiresAt: Date.now() + 60_000,
      iceServers: [],
    };
  }

  #handle(socket: FakeWebSocket, request: FakeRequest): void {
    this.requests.push(request);
    const handler = this.handlers[request.type] ?? this.#defaultHandler(request.type);
    if (!handler) return;
    queueMicrotask(() => {
      try {
        socket.respond(request.id, handler(request, socket));
      } catch (error) {
        if (!(error instanceof DotmError)) throw error;
        socket.respondError(request.id, error.code, error.message);
      }
    });
  }

  #defaultHandler(type: string): Handler | undefined {
    switch (type) {
      case 'join':
        return (request) => this.#join(request);
      case 'publish':
        return (request) => {
          const stream = this.addStream(this.selfId ?? 'nobody', request.kind as StreamKind);
          stream.hasAudio = Boolean(request.audio);
          stream.hasVideo = Boolean(request.video);
          return this.grant(stream.streamId, 'whip');
        };
      case 'republish':
        return (request) => {
          const stream = this.streams.get(String(request.streamId));
          if (!stream || stream.participantId !== this.selfId) {
            throw new DotmError('not-found', `no stream ${String(request.streamId)} of yours`);
          }
          return this.grant(stream.streamId, 'whip');
        };
      case 'subscribe':
        return (request) => this.grant(String(request.streamId), 'whep');
      case 'unpublish':
        return (request) => {
          this.streams.delete(String(request.streamId));
          return {};
        };
      case 'mediaState':
      case 'leave':
      case 'muteParticipant':
      case 'removeParticipant':
      case 'endMeeting':
        return () => ({});
      case 'ping':
        return () => ({ now: Date.now() });
      case 'chat':
        return (request) => {
          const self = this.participants.get(this.selfId ?? '');
          const message: ChatMessage = {
            messageId: `m${this.#nextId++}`,
            participantId: this.selfId ?? '',
            name: self?.name ?? '',
            text: String(request.text),
            sentAt: Date.now(),
          };
          this.chat.push(message);
          return message;
        };
      default:
        return undefined;
    }
  }

  #join(request: FakeRequest): JoinResult {
    const rejoin = request.rejoin as RejoinTicket | undefined;
    const known = rejoin ? this.tickets.get(rejoin.participantId) : undefined;
    const resumed =
      known !== undefined && known.secret === rejoin?.secret && this.participants.has(known.participantId);
    let self: ParticipantInfo;
    if (resumed && known) {
      self = this.participants.get(known.participantId) as ParticipantInfo;
    } else {
      self = this.addParticipant(String(request.name));
      self.role = this.locks ? 'viewer' : 'moderator';
      if (this.locks) self.locks = this.locks;
    }
    this.selfId = self.participantId;
    const ticket = { participantId: self.participantId, secret: `secret-${self.participantId}` };
    this.tickets.set(self.participantId, ticket);
    return {
      room: String(request.room),
      self,
      rejoin: ticket,
      participants: [...this.participants.values()],
      streams: [...this.streams.values()],
      chat: [...this.chat],
      resumed,
      ...(resumed ? {} : this.admitted),
    };
  }
}
