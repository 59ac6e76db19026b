import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ClusterState } from '../cluster/ClusterState.ts';
import { HttpError } from '../http/HttpError.ts';
import { bearerToken, readJson, sendError, sendJson, stringField } from '../http/httpIo.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../http/httpServerLifecycle.ts';
import { Router, safePathname } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import type { PublishResponse, RoomView, SubscribeResponse } from '../protocol/httpApi.ts';
import { SIGNALLING_PATH } from '../protocol/roomSignalling.ts';
import type { WebAssets } from '../web/WebAssets.ts';
import { ControllerError } from './ControllerError.ts';
import { renderMetrics } from './metrics.ts';
import type { RoomService } from './RoomService.ts';
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
}

export type HttpMount = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The controller's HTTP face: the meeting page, the participant WebSocket, the token and admin API, metrics. */
export class ControllerHttpServer {
  readonly #options: ControllerHttpServerOptions;
  readonly #server: Server;
  readonly #router: Router;

  private constructor(options: ControllerHttpServerOptions) {
    this.#options = options;
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
      .add('GET', '/health', (_req, res) => sendJson(res, 200, { ok: true }))
      .add('GET', '/metrics', async (_req, res) => {
        const text = renderMetrics(
          options.rooms,
          await options.clusterState.listNodes(),
          options.signalling.connections,
        );
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
        api((_req, res) =>
          sendJson(res, 200, { rooms: [...options.rooms.rooms.keys()].map((name) => this.#roomView(name)) }),
        ),
      )
      .add(
        'GET',
        '/api/v1/rooms/:room',
        api((_req, res, p) => sendJson(res, 200, this.#roomView(p.room!))),
      )
      .add(
        'GET',
        '/api/v1/nodes',
        api(async (_req, res) => sendJson(res, 200, { nodes: await options.clusterState.listNodes() })),
      );
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
    const given = Buffer.from(bearerToken(req));
    const ok = this.#options.apiKeys.some((key) => {
      const expected = Buffer.from(key);
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!ok)
      throw new HttpError(401, 'unauthorized', 'API key missing or not valid', {
        'WWW-Authenticate': 'Bearer',
      });
  }

  async #publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, this.#options.maxBodyBytes);
    const room = stringField(body, 'room');
    const name = stringField(body, 'participant', { max: 100 });
    const kind = body.kind === undefined ? 'camera' : body.kind;
    if (kind !== 'camera' && kind !== 'screen')
      throw new HttpError(400, 'bad-request', '"kind" is "camera" or "screen"');
    const rooms = this.#options.rooms;
    const joined = rooms.join(room, name, undefined, { headless: true });
    try {
      const grant = await rooms.publish(room, joined.self.participantId, kind, true, true);
      const response: PublishResponse = {
        ...grant,
        participantId: joined.self.participantId,
        whipUrl: grant.url,
      };
      sendJson(res, 201, response);
    } catch (error) {
      await rooms.leave(room, joined.self.participantId, 'left');
      throw error;
    }
  }

  async #subscribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req, this.#options.maxBodyBytes);
    const grant = this.#options.rooms.subscribe(
      stringField(body, 'room'),
      undefined,
      stringField(body, 'streamId'),
    );
    const response: SubscribeResponse = { ...grant, whepUrl: grant.url };
    sendJson(res, 201, response);
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
