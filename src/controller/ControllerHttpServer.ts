import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ClusterState } from '../cluster/ClusterState.ts';
import { HttpError } from '../http/HttpError.ts';
import { readText, requireContentType, sendError, sendJson, stringField } from '../http/httpIo.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../http/httpServerLifecycle.ts';
import { Router, safePathname } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import type { PublishResponse, RoomView, SubscribeResponse } from '../protocol/httpApi.ts';
import { isValidRoomName } from '../protocol/roomName.ts';
import { SIGNALLING_PATH } from '../protocol/roomSignalling.ts';
import { ApiKeys } from '../security/ApiKeys.ts';
import type { WebAssets } from '../web/WebAssets.ts';
import { ControllerError } from './ControllerError.ts';
import { forwardHttp } from './forwardHttp.ts';
import { renderMetrics } from './metrics.ts';
import type { RoomHomes } from './RoomHomes.ts';
import type { RoomService } from './RoomService.ts';
import type { RoomSnapshot } from './rooms/RoomSnapshot.ts';
import { FORWARDED_HEADER } from './SignallingProxy.ts';
import type { SignallingServer } from './SignallingServer.ts';

export interface ControllerHttpServerOptions {
  listenHost: string;
  port: number;
  apiKeys: string[];
  maxBodyBytes: number;
  rooms: RoomService;
  signalling: SignallingServer;
  clusterState: ClusterState;
  assets: WebAssets;
  log: Logger;
  /** Handlers tried before the controller's own routes (the BigBlueButton API); true = answered. */
  mounts?: HttpMount[];
  /** Where rooms live: calls about a room another controller is the home of are forwarded there. */
  homes?: RoomHomes;
  /** Metric text an extension adds to /metrics (the portal's bbb_* gauges). */
  extraMetrics?: () => Promise<string>;
}

export type HttpMount = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The controller's HTTP face: the meeting page, the participant WebSocket, the token and admin API, metrics. */
export class ControllerHttpServer {
  readonly #options: ControllerHttpServerOptions;
  readonly #server: Server;
  readonly #router: Router;
  readonly #apiKeys: ApiKeys;

  private constructor(options: ControllerHttpServerOptions) {
    this.#options = options;
    this.#apiKeys = new ApiKeys(options.apiKeys);
    this.#router = new Router({
      onUnexpectedError: (error, req) =>
        options.log.error('unexpected error in controller HTTP handler', { error, url: req.url }),
    });
    const api =
      (
        handler: (
          req: IncomingMessage,
          res: ServerResponse,
          p: Record<string, string>,
        ) => Promise<void> | void,
      ) =>
      async (req: IncomingMessage, res: ServerResponse, p: Record<string, string>) => {
        this.#checkApiKey(req);
        try {
          await handler(req, res, p);
        } catch (error) {
          if (error instanceof ControllerError)
            throw new HttpError(error.httpStatus, error.code, error.message);
          throw error;
        }
      };
    this.#router
      .add('GET', '/health', (_req, res) => {
        // A load balancer's health check then takes a controller cut off from Redis out of
        // rotation: it homes no room until it reaches Redis again (RoomHomes' fencing).
        if (options.homes?.fenced)
          sendJson(res, 503, {
            ok: false,
            reason: 'cut off from the cluster state (Redis); not homing rooms',
          });
        else sendJson(res, 200, { ok: true });
      })
      .add('GET', '/metrics', async (_req, res) => {
        // Cut off from Redis, the controller still says what it knows: its own rooms, no nodes.
        const nodes = await options.clusterState.listNodes().catch(() => undefined);
        const own = renderMetrics(options.rooms, nodes, options.signalling.connections, options.homes);
        const text = own + ((await options.extraMetrics?.()) ?? '');
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.end(text);
      })
      .add(
        'POST',
        '/api/v1/publish',
        api((req, res) => this.#publish(req, res)),
      )
      .add(
        'POST',
        '/api/v1/subscribe',
        api((req, res) => this.#subscribe(req, res)),
      )
      .add(
        'GET',
        '/api/v1/rooms',
        api(async (_req, res) => sendJson(res, 200, { rooms: await this.#allRooms() })),
      )
      .add(
        'GET',
        '/api/v1/rooms/:room',
        api(async (req, res, p) => {
          if (await this.#answeredByHome(req, res, p.room!, false)) return;
          sendJson(res, 200, this.#roomView(p.room!));
        }),
      );
    // GET /api/v1/nodes and the drain calls are NodeAdminApi's, mounted by the controller.
    this.#server = createDotmServer((req, res) => {
      this.#handle(req, res).catch((error) => sendError(res, error));
    });
    this.#server.on('upgrade', (req, socket, head) => {
      if (safePathname(req.url ?? '') !== SIGNALLING_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      options.signalling.handleUpgrade(req, socket, head);
    });
  }

  static async listen(options: ControllerHttpServerOptions): Promise<ControllerHttpServer> {
    const server = new ControllerHttpServer(options);
    await listenHttp(server.#server, options.port, options.listenHost);
    return server;
  }

  get port(): number {
    return boundPort(this.#server);
  }

  async close(): Promise<void> {
    await closeHttp(this.#server);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const mount of this.#options.mounts ?? []) if (await mount(req, res)) return;
    if (await this.#router.handle(req, res)) return;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const asset = this.#options.assets.get(safePathname(req.url ?? '/'));
      if (asset) {
        res.writeHead(200, {
          'Content-Type': asset.contentType,
          'Cache-Control': asset.cacheControl,
          'Content-Length': asset.body.length,
        });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
        return;
      }
    }
    sendJson(res, 404, { error: { code: 'not-found', message: 'no such page or endpoint' } });
  }

  #checkApiKey(req: IncomingMessage): void {
    this.#apiKeys.check(req);
  }

  async #publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body, raw } = await this.#readJson(req);
    const room = stringField(body, 'room');
    const name = stringField(body, 'participant', { max: 100 });
    const kind = body.kind === undefined ? 'camera' : body.kind;
    if (kind !== 'camera' && kind !== 'screen')
      throw new HttpError(400, 'bad-request', '"kind" is "camera" or "screen"');
    if (await this.#answeredByHome(req, res, room, true, raw)) return;
    const rooms = this.#options.rooms;
    const joined = rooms.join(room, name, undefined, { headless: true });
    try {
      const grant = await rooms.publish(room, joined.self.participantId, kind, true, true);
      const response: PublishResponse = {
        ...grant,
        participantId: joined.self.participantId,
        whipUrl: grant.url,
      };
      await this.#options.homes?.flush(room);
      sendJson(res, 201, response);
    } catch (error) {
      await rooms.leave(room, joined.self.participantId, 'left');
      throw error;
    }
  }

  async #subscribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body, raw } = await this.#readJson(req);
    const room = stringField(body, 'room');
    const streamId = stringField(body, 'streamId');
    if (await this.#answeredByHome(req, res, room, false, raw)) return;
    const grant = this.#options.rooms.subscribe(room, undefined, streamId);
    const response: SubscribeResponse = { ...grant, whepUrl: grant.url };
    sendJson(res, 201, response);
  }

  /** The JSON body, and its bytes as sent (for forwarding it to the room's home). */
  async #readJson(req: IncomingMessage): Promise<{ body: Record<string, unknown>; raw: Buffer }> {
    requireContentType(req, 'application/json');
    const text = await readText(req, this.#options.maxBodyBytes, 'request body', 'bad-json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'bad-json', 'request body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new HttpError(400, 'bad-json', 'request body must be a JSON object');
    }
    return { body: parsed as Record<string, unknown>, raw: Buffer.from(text, 'utf8') };
  }

  /**
   * True when `room` lives on another controller and the request was answered there. With
   * `claim`, a room open nowhere becomes this controller's; without, it is not found.
   */
  async #answeredByHome(
    req: IncomingMessage,
    res: ServerResponse,
    room: string,
    claim: boolean,
    body?: Buffer,
  ): Promise<boolean> {
    const homes = this.#options.homes;
    // A bad name is refused by the room service below, without looking for a home.
    if (!homes || !isValidRoomName(room)) return false;
    const forwarded = req.headers[FORWARDED_HEADER] !== undefined;
    const reached = await homes.reach(room, claim, async (url) => {
      if (forwarded) {
        throw new ControllerError(
          'unavailable',
          'the room moved while the request was on its way; try again',
        );
      }
      return (await forwardHttp(url, req, body, res, homes.controllerId)) || undefined;
    });
    if (reached.at === 'nowhere') throw new ControllerError('not-found', `no room "${room}"`);
    return reached.at === 'peer';
  }

  /** This controller's rooms as they are, the others' as their homes last saved them. */
  async #allRooms(): Promise<RoomView[]> {
    const views = [...this.#options.rooms.rooms.keys()].map((name) => this.#roomView(name));
    const homes = this.#options.homes;
    if (!homes) return views;
    const here = new Set(views.map((v) => v.room));
    for (const snapshot of await homes.snapshots()) {
      if (!here.has(snapshot.room)) views.push(snapshotView(snapshot));
    }
    return views.sort((a, b) => a.room.localeCompare(b.room));
  }

  #roomView(name: string): RoomView {
    const room = this.#options.rooms.rooms.get(name);
    if (!room) throw new ControllerError('not-found', `no room "${name}"`);
    return {
      room: room.name,
      participants: [...room.participants.values()].map((p) => p.info()),
      streams: [...room.streams.values()].map((s) => s.info()),
    };
  }
}

function snapshotView(snapshot: RoomSnapshot): RoomView {
  return {
    room: snapshot.room,
    participants: snapshot.participants.map((p) => ({
      participantId: p.participantId,
      name: p.name,
      role: p.role,
      joinedAt: p.joinedAt,
    })),
    streams: snapshot.streams.map((s) => ({
      streamId: s.streamId,
      participantId: s.participantId,
      kind: s.kind,
      hasAudio: s.hasAudio,
      hasVideo: s.hasVideo,
      audioMuted: s.audioMuted,
      videoMuted: s.videoMuted,
      nodeId: s.nodeId,
      live: s.live,
    })),
  };
}
