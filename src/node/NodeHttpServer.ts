import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NodeDrain } from '../cluster/NodeReport.ts';
import type { NodeOtmList } from '../cluster/OtmListing.ts';
import { HttpError } from '../http/HttpError.ts';
import {
  bearerToken,
  readJson,
  readText,
  requireContentType,
  sendJson,
  stringField,
} from '../http/httpIo.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../http/httpServerLifecycle.ts';
import { Router } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import type { ClusterAuth } from '../security/ClusterAuth.ts';
import { TokenError } from '../security/jwt.ts';
import type { MediaTokens } from '../security/MediaTokens.ts';
import { WorkerRequestError } from './MediaWorkerHandle.ts';
import type { WorkerPool } from './WorkerPool.ts';

export interface NodeHttpServerOptions {
  listenHost: string;
  port: number;
  maxBodyBytes: number;
  iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  pool: WorkerPool;
  tokens: MediaTokens;
  clusterAuth: ClusterAuth;
  log: Logger;
  /** The node's own answer to the controller's placement command. */
  onCreateOtm(streamId: string, room: string, publisherId: string): Promise<void>;
  onCloseOtm(streamId: string, reason: string): Promise<boolean>;
  status(): unknown;
  listOtms(): NodeOtmList;
  /** A controller drains the node (it reports `drain` from now on) or takes it back. */
  drain(reason: string, force: boolean): Promise<NodeDrain>;
  undrain(): Promise<void>;
}

/** Browser WHIP/WHEP libraries run on other origins: preflights must pass and headers be readable. */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, If-Match',
  'Access-Control-Expose-Headers': 'Location, Link, ETag, Accept-Patch, Accept-Post',
  'Access-Control-Max-Age': '600',
};

type Direction = 'whip' | 'whep';

/**
 * The node's HTTP edge: WHIP (publish) and WHEP (subscribe) per OTM, as the seed paper wants —
 * clients negotiate media with the node itself, never through the controller — plus the
 * controller-only internal API that creates and closes OTMs.
 */
export class NodeHttpServer {
  readonly #options: NodeHttpServerOptions;
  readonly #server: Server;
  readonly #router: Router;
  /** The room each OTM was created for, so a token minted for another room is refused even with the right stream id. */
  readonly #roomOf = new Map<string, string>();

  private constructor(options: NodeHttpServerOptions) {
    this.#options = options;
    this.#router = new Router({
      commonHeaders: CORS_HEADERS,
      onUnexpectedError: (error, req) =>
        options.log.error('unexpected error in node HTTP handler', { error, url: req.url }),
    });
    for (const direction of ['whip', 'whep'] as const) {
      this.#router
        .add('OPTIONS', `/${direction}/:streamId`, (_req, res) => this.#preflight(res))
        .add('OPTIONS', `/${direction}/:streamId/:resourceId`, (_req, res) => this.#preflight(res))
        .add('POST', `/${direction}/:streamId`, (req, res, p) =>
          this.#offer(direction, req, res, p.streamId!),
        )
        .add('PATCH', `/${direction}/:streamId/:resourceId`, (req, res, p) =>
          this.#patch(direction, req, res, p.streamId!, p.resourceId!),
        )
        .add('DELETE', `/${direction}/:streamId/:resourceId`, (req, res, p) =>
          this.#delete(direction, req, res, p.streamId!, p.resourceId!),
        );
    }
    this.#router
      .add('GET', '/health', (_req, res) => sendJson(res, 200, { ok: true }))
      .add('POST', '/internal/otms', (req, res) => this.#createOtm(req, res))
      .add('DELETE', '/internal/otms/:streamId', (req, res, p) => this.#closeOtm(req, res, p.streamId!))
      .add('GET', '/internal/otms', (req, res) => {
        options.clusterAuth.check(req);
        sendJson(res, 200, options.listOtms());
      })
      .add('POST', '/internal/drain', (req, res) => this.#drain(req, res))
      .add('POST', '/internal/undrain', async (req, res) => {
        options.clusterAuth.check(req);
        await options.undrain();
        sendJson(res, 200, { ok: true });
      })
      .add('GET', '/internal/status', (req, res) => {
        options.clusterAuth.check(req);
        sendJson(res, 200, options.status());
      });
    this.#server = createDotmServer((req, res) => this.#handle(req, res));
  }

  static async listen(options: NodeHttpServerOptions): Promise<NodeHttpServer> {
    const server = new NodeHttpServer(options);
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
    const handled = await this.#router.handle(req, res);
    if (!handled)
      sendJson(res, 404, { error: { code: 'not-found', message: 'no such endpoint' } }, CORS_HEADERS);
  }

  #preflight(res: ServerResponse): void {
    res.writeHead(204, {
      'Accept-Post': 'application/sdp',
      'Accept-Patch': 'application/trickle-ice-sdpfrag',
    });
    res.end();
  }

  #authorize(req: IncomingMessage, direction: Direction, streamId: string): string {
    const token = bearerToken(req);
    if (!this.#options.pool.workerFor(streamId)) this.#roomOf.delete(streamId);
    try {
      return this.#options.tokens.verify(token, {
        streamId,
        role: direction === 'whip' ? 'publish' : 'subscribe',
        room: this.#roomOf.get(streamId),
      }).participantId;
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      // RFC 6750 section 3.1: a bad or expired token is 401 (get a new one), a good one for something else 403.
      if (error.reason === 'out-of-scope') {
        throw new HttpError(403, 'forbidden', error.message, {
          'WWW-Authenticate': 'Bearer error="insufficient_scope"',
        });
      }
      const expired = error.reason === 'expired';
      throw new HttpError(
        401,
        expired ? 'token-expired' : 'unauthorized',
        expired ? `${error.message}; ask the controller for a new grant` : error.message,
        { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      );
    }
  }

  async #offer(
    direction: Direction,
    req: IncomingMessage,
    res: ServerResponse,
    streamId: string,
  ): Promise<void> {
    const participantId = this.#authorize(req, direction, streamId);
    requireContentType(req, 'application/sdp');
    const offer = await readText(req, this.#options.maxBodyBytes, 'the SDP offer', 'bad-sdp');
    const worker = this.#options.pool.workerFor(streamId);
    if (!worker) throw new HttpError(404, 'not-found', `stream ${streamId} has no OTM on this node`);
    const result = await worker
      .request({ op: direction === 'whip' ? 'publish' : 'subscribe', streamId, participantId, offer })
      .catch(toHttpError);
    res.writeHead(201, {
      'Content-Type': 'application/sdp',
      Location: `/${direction}/${encodeURIComponent(streamId)}/${result.resourceId}`,
      ETag: `"${result.resourceId}"`,
      'Accept-Patch': 'application/trickle-ice-sdpfrag',
      ...this.#linkHeader(),
    });
    res.end(result.answer);
  }

  async #patch(
    direction: Direction,
    req: IncomingMessage,
    res: ServerResponse,
    streamId: string,
    resourceId: string,
  ): Promise<void> {
    this.#authorize(req, direction, streamId);
    requireContentType(req, 'application/trickle-ice-sdpfrag');
    const fragment = await readText(req, this.#options.maxBodyBytes, 'the SDP fragment', 'bad-sdp');
    const worker = this.#options.pool.workerFor(streamId);
    if (!worker) throw new HttpError(404, 'not-found', `stream ${streamId} has no OTM on this node`);
    const result = await worker
      .request({ op: 'restartIce', streamId, resourceId, endpoint: direction, sdpFragment: fragment })
      .catch(toHttpError);
    if (result.sdpFragment === '') {
      // Plain trickle: an ICE-lite server learns the peer's addresses from its checks.
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'application/trickle-ice-sdpfrag',
      ETag: `"${resourceId}-${Date.now()}"`,
    });
    res.end(result.sdpFragment);
  }

  async #delete(
    direction: Direction,
    req: IncomingMessage,
    res: ServerResponse,
    streamId: string,
    resourceId: string,
  ): Promise<void> {
    this.#authorize(req, direction, streamId);
    const worker = this.#options.pool.workerFor(streamId);
    if (!worker) throw new HttpError(404, 'not-found', `stream ${streamId} has no OTM on this node`);
    await worker
      .request({ op: 'deleteResource', streamId, resourceId, endpoint: direction })
      .catch(toHttpError);
    sendJson(res, 200, { ok: true });
  }

  async #createOtm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#options.clusterAuth.check(req);
    const body = await readJson(req, this.#options.maxBodyBytes);
    const streamId = stringField(body, 'streamId');
    const room = stringField(body, 'room');
    await this.#options.onCreateOtm(streamId, room, stringField(body, 'publisherId')).catch(toHttpError);
    this.#roomOf.set(streamId, room);
    sendJson(res, 201, {
      streamId,
      whipPath: `/whip/${encodeURIComponent(streamId)}`,
      whepPath: `/whep/${encodeURIComponent(streamId)}`,
    });
  }

  async #drain(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#options.clusterAuth.check(req);
    const body = await readJson(req, this.#options.maxBodyBytes);
    const reason = body.reason === undefined ? 'operator' : stringField(body, 'reason', { max: 200 });
    if (body.force !== undefined && typeof body.force !== 'boolean')
      throw new HttpError(400, 'bad-request', '"force" is true or false');
    sendJson(res, 200, { drain: await this.#options.drain(reason, body.force === true) });
  }

  async #closeOtm(req: IncomingMessage, res: ServerResponse, streamId: string): Promise<void> {
    this.#options.clusterAuth.check(req);
    this.#roomOf.delete(streamId);
    const closed = await this.#options.onCloseOtm(streamId, 'closed by controller');
    if (!closed) throw new HttpError(404, 'not-found', `stream ${streamId} has no OTM on this node`);
    sendJson(res, 200, { ok: true });
  }

  /** RFC 9725 section 4.6: STUN/TURN servers for the client, as Link headers. */
  #linkHeader(): Record<string, string> {
    const links = this.#options.iceServers.flatMap((server) =>
      (Array.isArray(server.urls) ? server.urls : [server.urls]).map((url) => {
        let link = `<${url}>; rel="ice-server"`;
        if (server.username)
          link += `; username="${server.username}"; credential="${server.credential ?? ''}"; credential-type="password"`;
        return link;
      }),
    );
    return links.length > 0 ? { Link: links.join(', ') } : {};
  }
}

function toHttpError(error: unknown): never {
  if (error instanceof WorkerRequestError) {
    switch (error.code) {
      case 'not-found':
        throw new HttpError(404, 'not-found', error.message);
      case 'bad-sdp':
        throw new HttpError(400, 'bad-sdp', error.message);
      case 'conflict':
        throw new HttpError(409, 'conflict', error.message);
      case 'worker-gone':
      case 'timeout':
        throw new HttpError(503, 'unavailable', error.message);
      default:
        throw new HttpError(500, 'internal', error.message);
    }
  }
  throw error;
}
