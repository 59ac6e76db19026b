import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../log/Logger.ts';
import { isValidRoomName } from '../protocol/roomName.ts';
import type { ClientRequest, JoinResult, ServerMessage } from '../protocol/roomSignalling.ts';
import { ControllerError } from './ControllerError.ts';
import { type JoinAdmission, openAdmission } from './JoinAdmission.ts';
import type { RoomHomes } from './RoomHomes.ts';
import type { RoomService } from './RoomService.ts';
import {
  FORWARDED_HEADER,
  forwardedHeaders,
  RECONNECT_CLOSE_CODE,
  SignallingProxy,
} from './SignallingProxy.ts';

const MAX_MESSAGE_BYTES = 16 * 1024;
/** A socket that has not joined by then is closed: no idle unauthenticated sockets. */
const JOIN_TIMEOUT_MS = 15_000;
const PING_INTERVAL_MS = 15_000;

/**
 * One participant's WebSocket: parses requests, calls the room service, answers each by id. When
 * the room's home is another controller, the session becomes a pipe to it (SignallingProxy) at
 * the join, and everything after goes there untouched.
 */
class SignallingSession {
  readonly #socket: WebSocket;
  readonly #request: IncomingMessage;
  readonly #rooms: RoomService;
  readonly #admission: JoinAdmission;
  readonly #homes: RoomHomes | undefined;
  readonly #log: Logger;
  #room: string | undefined;
  #participantId: string | undefined;
  /** Room events held back until the join is answered (see send). */
  #heldEvents: ServerMessage[] | undefined;
  #alive = true;
  readonly #joinTimer: NodeJS.Timeout;
  /** Set once the room's home turned out to be another controller. */
  #proxy: SignallingProxy | undefined;
  /** Frames that arrived while the join was looking for the room's home, in order. */
  #held: Array<{ data: RawData; isBinary: boolean }> | undefined;

  constructor(
    socket: WebSocket,
    request: IncomingMessage,
    rooms: RoomService,
    admission: JoinAdmission,
    homes: RoomHomes | undefined,
    log: Logger,
  ) {
    this.#socket = socket;
    this.#request = request;
    this.#rooms = rooms;
    this.#admission = admission;
    this.#homes = homes;
    this.#log = log;
    this.#joinTimer = setTimeout(() => {
      if (!this.#participantId) socket.close(4000, 'join timeout');
    }, JOIN_TIMEOUT_MS);
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    socket.on('pong', () => {
      this.#alive = true;
    });
    socket.on('close', () => this.#onClose());
    socket.on('error', () => socket.terminate());
  }

  /** Called by the server's ping timer: a socket that missed a pong is dead (browser vanished). */
  checkAlive(): void {
    if (!this.#alive) {
      this.#socket.terminate();
      return;
    }
    this.#alive = false;
    this.#socket.ping();
  }

  send(message: ServerMessage): void {
    // Room events that happen while the join's answer is on its way (it waits for the room's
    // snapshot) come after that answer: they are changes to the state the answer describes.
    if (this.#heldEvents && message.type !== 'response') {
      this.#heldEvents.push(message);
      return;
    }
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #releaseHeldEvents(): void {
    const held = this.#heldEvents;
    this.#heldEvents = undefined;
    for (const message of held ?? []) this.send(message);
  }

  close(code: number, reason: string): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(code, reason);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#proxy) {
      this.#proxy.forward(data, isBinary);
      return;
    }
    if (this.#held) {
      this.#held.push({ data, isBinary });
      return;
    }
    let request: ClientRequest;
    // Answer with the request's own id whenever it can be read, so the client's pending call settles.
    let id = -1;
    try {
      if (isBinary) throw new Error('binary frames are not accepted; send JSON text');
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString('utf8'));
      } catch {
        throw new Error('a message must be valid JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('a message is a JSON object with a "type"');
      }
      const candidate = parsed as { id?: unknown; type?: unknown };
      if (typeof candidate.id !== 'number' || !Number.isSafeInteger(candidate.id)) {
        throw new Error('a request needs a numeric "id"');
      }
      id = candidate.id;
      if (typeof candidate.type !== 'string') throw new Error('a message is a JSON object with a "type"');
      if (!Object.hasOwn(REQUEST_TYPES, candidate.type)) {
        throw new Error(`unknown request type ${quoteType(candidate.type)}`);
      }
      request = parsed as ClientRequest;
    } catch (error) {
      this.send({
        type: 'response',
        id,
        ok: false,
        error: { code: 'bad-request', message: (error as Error).message },
      });
      return;
    }
    // A join whose room name is refused anyway is answered here, without looking for a home.
    if (request.type === 'join' && this.#homes && !this.#participantId && isValidRoomName(request.room)) {
      this.#findHome(request, data, isBinary);
      return;
    }
    this.#answer(request);
  }

  /**
   * The join decides where this socket is served: here when this controller is (or becomes) the
   * room's home, else piped to the home. Frames arriving meanwhile wait, in order.
   */
  #findHome(request: ClientRequest & { type: 'join' }, data: Buffer, isBinary: boolean): void {
    const homes = this.#homes!;
    const forwarded = this.#request.headers[FORWARDED_HEADER] !== undefined;
    this.#held = [];
    homes
      .reach(request.room, true, async (url) => {
        // A join forwarded by another controller is never forwarded again: the client re-routes.
        if (forwarded) return 'moved' as const;
        const headers = forwardedHeaders(
          this.#request.headers,
          this.#request.socket.remoteAddress,
          homes.controllerId,
        );
        return SignallingProxy.connect(url, headers);
      })
      .then(
        (reached) => {
          const held = this.#held ?? [];
          this.#held = undefined;
          if (reached.at === 'peer') {
            const upstream = reached.value;
            if (upstream === 'moved') {
              this.close(RECONNECT_CLOSE_CODE, 'the room moved to another controller');
              return;
            }
            clearTimeout(this.#joinTimer);
            if (this.#socket.readyState !== WebSocket.OPEN) {
              upstream.close();
              return;
            }
            this.#proxy = new SignallingProxy(this.#socket, upstream, [{ data, isBinary }, ...held]);
            return;
          }
          this.#answer(request);
          for (const frame of held) this.#onMessage(frame.data as Buffer, frame.isBinary);
        },
        (error: unknown) => {
          const held = this.#held ?? [];
          this.#held = undefined;
          this.#reply(request, Promise.reject(error));
          for (const frame of held) this.#onMessage(frame.data as Buffer, frame.isBinary);
        },
      );
  }

  #answer(request: ClientRequest): void {
    this.#reply(request, this.#handle(request));
  }

  #reply(request: ClientRequest, handled: Promise<unknown>): void {
    handled
      .then(async (data) => {
        // What the client is told must survive this controller's crash: the room's snapshot first.
        if (this.#room && this.#homes) await this.#homes.flush(this.#room);
        return data;
      })
      .then(
        (data) => {
          this.send({ type: 'response', id: request.id, ok: true, data });
          if (request.type === 'join') this.#releaseHeldEvents();
        },
        (error: unknown) => {
          if (request.type === 'join') this.#releaseHeldEvents();
          if (!(error instanceof ControllerError))
            this.#log.error('signalling request failed', { error, type: request.type });
          const body =
            error instanceof ControllerError
              ? { code: error.code, message: error.message }
              : { code: 'internal', message: 'internal error' };
          this.send({ type: 'response', id: request.id, ok: false, error: body });
        },
      );
  }

  async #handle(request: ClientRequest): Promise<unknown> {
    if (request.type === 'ping') return { now: Date.now() };
    if (request.type === 'join') {
      if (this.#participantId) throw new ControllerError('conflict', 'this socket already joined a room');
      const room = stringParam(request, 'room');
      const rejoin = validTicket(request.rejoin);
      const joinToken = request.joinToken === undefined ? undefined : stringParam(request, 'joinToken');
      const name = stringParam(request, 'name');
      // A participant resuming its place was admitted when it first came (its invitation may be spent).
      const admitted = this.#rooms.canResume(room, rejoin)
        ? {
            name,
            role: undefined,
            externalUserId: undefined,
            region: undefined,
            welcome: undefined,
            logoutUrl: undefined,
            meetingName: undefined,
            layout: undefined,
            presentation: undefined,
            locks: undefined,
          }
        : await this.#admission.admit({ room, name, joinToken });
      // The socket may have joined through a concurrent request while admission was checked.
      if (this.#participantId) throw new ControllerError('conflict', 'this socket already joined a room');
      this.#heldEvents = [];
      const result = this.#rooms.join(room, admitted.name, this, {
        rejoin,
        role: admitted.role,
        externalUserId: admitted.externalUserId,
        region: admitted.region,
        locks: admitted.locks,
      });
      clearTimeout(this.#joinTimer);
      this.#room = result.room;
      this.#participantId = result.self.participantId;
      // The client went away while its join was on its way: its place is kept as for any drop.
      if (this.#socket.readyState !== WebSocket.OPEN)
        this.#rooms.disconnected(room, result.self.participantId, this);
      // What the admission knows of the meeting goes to the page; a resumed join was not admitted
      // again, and its client keeps what it was told at first.
      return {
        ...result,
        ...(admitted.welcome ? { welcome: admitted.welcome } : {}),
        ...(admitted.logoutUrl ? { logoutUrl: admitted.logoutUrl } : {}),
        ...(admitted.meetingName ? { meetingName: admitted.meetingName } : {}),
        ...(admitted.layout ? { layout: admitted.layout } : {}),
        ...(admitted.presentation ? { presentation: admitted.presentation } : {}),
      } satisfies JoinResult;
    }
    const room = this.#room;
    const participantId = this.#participantId;
    if (!room || !participantId) throw new ControllerError('forbidden', 'join a room first');
    switch (request.type) {
      case 'publish':
        if (request.kind !== 'camera' && request.kind !== 'screen')
          throw new ControllerError('bad-request', 'kind is camera or screen');
        return this.#rooms.publish(
          room,
          participantId,
          request.kind,
          request.audio === true,
          request.video === true,
        );
      case 'republish':
        return this.#rooms.republish(room, participantId, stringParam(request, 'streamId'));
      case 'refreshGrant':
        return this.#rooms.refreshGrant(room, participantId, stringParam(request, 'streamId'));
      case 'unpublish':
        await this.#rooms.unpublish(room, participantId, stringParam(request, 'streamId'));
        return {};
      case 'subscribe':
        return this.#rooms.subscribe(room, participantId, stringParam(request, 'streamId'));
      case 'mediaState':
        this.#rooms.setMediaState(
          room,
          participantId,
          stringParam(request, 'streamId'),
          request.audioMuted === true,
          request.videoMuted === true,
        );
        return {};
      case 'chat':
        return this.#rooms.chat(room, participantId, request.text);
      case 'leave':
        this.#participantId = undefined;
        await this.#rooms.leave(room, participantId, 'left');
        return {};
      case 'muteParticipant':
        this.#rooms.muteParticipant(room, participantId, stringParam(request, 'participantId'), {
          audio: request.audio === true,
          video: request.video === true,
        });
        return {};
      case 'removeParticipant':
        await this.#rooms.removeParticipant(room, participantId, stringParam(request, 'participantId'));
        return {};
      case 'endMeeting':
        await this.#rooms.endMeeting(room, participantId);
        return {};
      default:
        throw new ControllerError(
          'bad-request',
          `unknown request type "${(request as { type: string }).type}"`,
        );
    }
  }

  #onClose(): void {
    clearTimeout(this.#joinTimer);
    this.#proxy?.close();
    if (this.#room && this.#participantId) this.#rooms.disconnected(this.#room, this.#participantId, this);
  }
}

/** Every request type of the protocol: anything else is refused as unknown, before the join check. */
const REQUEST_TYPES = {
  join: true,
  publish: true,
  republish: true,
  refreshGrant: true,
  unpublish: true,
  subscribe: true,
  mediaState: true,
  chat: true,
  leave: true,
  ping: true,
  muteParticipant: true,
  removeParticipant: true,
  endMeeting: true,
} satisfies Record<ClientRequest['type'], true>;

function quoteType(type: string): string {
  return JSON.stringify(type.length > 40 ? `${type.slice(0, 40)}...` : type);
}

/** A string field as sent, so that a missing or non-string value is refused instead of becoming "undefined". */
function stringParam(request: ClientRequest, name: string): string {
  const value = (request as unknown as Record<string, unknown>)[name];
  if (typeof value !== 'string') throw new ControllerError('bad-request', `"${name}" must be a string`);
  return value;
}

function validTicket(value: unknown): { participantId: string; secret: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { participantId, secret } = value as Record<string, unknown>;
  return typeof participantId === 'string' && typeof secret === 'string'
    ? { participantId, secret }
    : undefined;
}

/** The controller's WebSocket endpoint for participants. */
export class SignallingServer {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  readonly #sessions = new Set<SignallingSession>();
  readonly #pinger: NodeJS.Timeout;

  constructor(
    rooms: RoomService,
    log: Logger,
    admission: JoinAdmission = openAdmission,
    homes: RoomHomes | undefined = undefined,
  ) {
    const sessionLog = log.child({ component: 'signalling' });
    this.#wss.on('connection', (socket, req: IncomingMessage) => {
      const session = new SignallingSession(socket, req, rooms, admission, homes, sessionLog);
      this.#sessions.add(session);
      socket.on('close', () => this.#sessions.delete(session));
    });
    this.#pinger = setInterval(() => {
      for (const session of this.#sessions) session.checkAlive();
    }, PING_INTERVAL_MS);
  }

  get connections(): number {
    return this.#sessions.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
  }

  /**
   * Closes every socket. With `reconnect`, clients are told to reconnect (their rooms carry on at
   * another controller) and given a moment for the close handshake.
   */
  async close(reconnect = false): Promise<void> {
    clearInterval(this.#pinger);
    if (reconnect) {
      for (const client of this.#wss.clients) client.close(RECONNECT_CLOSE_CODE, 'controller shutting down');
      const deadline = Date.now() + 1000;
      while (this.#wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
