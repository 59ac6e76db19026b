import type { IncomingHttpHeaders } from 'node:http';
import { type RawData, WebSocket } from 'ws';
import { SIGNALLING_PATH } from '../protocol/roomSignalling.ts';

/** Marks a connection or request one controller forwards to another: it is never forwarded again. */
export const FORWARDED_HEADER = 'x-dotm-forwarded-by';

/**
 * Close code telling a client to reconnect now (RFC 6455 1012, "service restart"): its room's home
 * controller went away or the room moved. The client's next join finds the room's new home.
 */
export const RECONNECT_CLOSE_CODE = 1012;
/** The room's home could not be reached in time (1013, "try again later"). */
export const TRY_AGAIN_CLOSE_CODE = 1013;

const CONNECT_TIMEOUT_MS = 2000;
const PING_INTERVAL_MS = 5000;

/** Request headers a client's upgrade passes on to the home: who the client is, not how it connected. */
const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'upgrade',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  FORWARDED_HEADER,
]);

/** The headers a forwarded request carries to the home: the client's, plus where it came from. */
export function forwardedHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
  controllerId: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (clientAddress) {
    out['x-forwarded-for'] = out['x-forwarded-for']
      ? `${out['x-forwarded-for']}, ${clientAddress}`
      : clientAddress;
  }
  out[FORWARDED_HEADER] = controllerId;
  return out;
}

/**
 * A participant's signalling socket carried to its room's home controller: this controller is
 * only a pipe. Frames go both ways untouched (the join included, so the home admits the client
 * itself); when the home's socket ends, so does the client's, with a code that makes the client
 * reconnect (and its next join finds the room wherever it is then).
 */
export class SignallingProxy {
  readonly #client: WebSocket;
  readonly #upstream: WebSocket;
  readonly #pinger: NodeJS.Timeout;
  #upstreamAlive = true;

  /** Opens the socket to the home; resolves undefined when the home does not answer (dead, or not listening). */
  static async connect(
    homeUrl: string,
    headers: Record<string, string>,
    timeoutMs = CONNECT_TIMEOUT_MS,
  ): Promise<WebSocket | undefined> {
    const url = new URL(SIGNALLING_PATH, homeUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const upstream = new WebSocket(url, {
      headers,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    return new Promise((resolve) => {
      const fail = () => {
        upstream.removeAllListeners();
        upstream.on('error', () => {});
        upstream.terminate();
        resolve(undefined);
      };
      upstream.once('open', () => {
        upstream.off('error', fail);
        upstream.off('unexpected-response', fail);
        resolve(upstream);
      });
      upstream.once('error', fail);
      upstream.once('unexpected-response', fail);
    });
  }

  /** Pipes `client` to the open `upstream`, starting with the frames the client already sent. */
  constructor(
    client: WebSocket,
    upstream: WebSocket,
    firstFrames: Array<{ data: RawData; isBinary: boolean }>,
  ) {
    this.#client = client;
    this.#upstream = upstream;
    upstream.on('message', (data, isBinary) => {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
    upstream.on('pong', () => {
      this.#upstreamAlive = true;
    });
    upstream.on('close', (code, reason) => this.#closeClient(code, reason.toString()));
    upstream.on('error', () => upstream.terminate());
    client.on('close', () => this.close());
    for (const frame of firstFrames) this.forward(frame.data, frame.isBinary);
    // A home that vanished without closing its TCP connection (its machine died) is noticed here.
    this.#pinger = setInterval(() => {
      if (!this.#upstreamAlive) {
        upstream.terminate();
        return;
      }
      this.#upstreamAlive = false;
      if (upstream.readyState === WebSocket.OPEN) upstream.ping();
    }, PING_INTERVAL_MS);
  }

  /** A frame from the client, for the home. */
  forward(data: RawData, isBinary: boolean): void {
    if (this.#upstream.readyState === WebSocket.OPEN) this.#upstream.send(data, { binary: isBinary });
  }

  close(): void {
    clearInterval(this.#pinger);
    if (this.#upstream.readyState === WebSocket.OPEN || this.#upstream.readyState === WebSocket.CONNECTING) {
      this.#upstream.close(1000, 'client left');
    }
  }

  #closeClient(code: number, reason: string): void {
    clearInterval(this.#pinger);
    if (this.#client.readyState !== WebSocket.OPEN) return;
    // The home's own codes (join timeout, refusal) pass through; a dropped home means "reconnect".
    const passOn = code === 1000 || (code >= 3000 && code <= 4999) || code === 1012 || code === 1013;
    this.#client.close(
      passOn ? code : RECONNECT_CLOSE_CODE,
      passOn ? reason : 'the room moved to another controller',
    );
  }
}
