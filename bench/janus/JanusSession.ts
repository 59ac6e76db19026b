import { randomBytes } from 'node:crypto';

export interface JanusJsep {
  type: 'offer' | 'answer';
  sdp: string;
  trickle?: boolean;
}

/** What the plugin says back: its data (`videoroom: 'joined'` …) and, for negotiations, a JSEP. */
export interface JanusPluginReply {
  data: Record<string, unknown>;
  jsep: JanusJsep | undefined;
}

interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id?: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: JanusJsep;
}

interface Waiter {
  resolve: (message: JanusMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

const EVENT_TIMEOUT_MS = 20_000;

/**
 * One Janus session over the REST transport, as DESIGN.md describes driving it: requests are POSTed,
 * plugin requests that negotiate answer `ack` and their result (with the JSEP) arrives on the long
 * poll `GET /janus/<session>?maxev=10`, matched by transaction. The long poll also keeps the
 * session alive; `destroy()` ends it (Janus then tears down every handle and PeerConnection).
 */
export class JanusSession {
  readonly id: number;
  readonly #baseUrl: string;
  readonly #waiters = new Map<string, Waiter>();
  readonly #abort = new AbortController();
  #closed = false;

  private constructor(baseUrl: string, id: number) {
    this.#baseUrl = baseUrl;
    this.id = id;
    void this.#poll();
  }

  static async create(baseUrl: string): Promise<JanusSession> {
    const reply = await post(baseUrl, { janus: 'create', transaction: transaction() });
    if (reply.janus !== 'success' || reply.data?.id === undefined)
      throw new Error(`janus create: ${JSON.stringify(reply)}`);
    return new JanusSession(baseUrl, reply.data.id);
  }

  async attach(plugin: string): Promise<number> {
    const reply = await post(`${this.#baseUrl}/${this.id}`, {
      janus: 'attach',
      plugin,
      transaction: transaction(),
    });
    if (reply.janus !== 'success' || reply.data?.id === undefined)
      throw new Error(`janus attach: ${JSON.stringify(reply)}`);
    return reply.data.id;
  }

  /**
   * A plugin request. Synchronous requests (create, destroy) come back in the POST's response;
   * asynchronous ones (join, joinandconfigure, start) are acked and answered on the long poll.
   */
  async message(handle: number, body: Record<string, unknown>, jsep?: JanusJsep): Promise<JanusPluginReply> {
    const id = transaction();
    const eventArrived = new Promise<JanusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(id);
        reject(new Error(`janus: no event for ${String(body.request)} after ${EVENT_TIMEOUT_MS} ms`));
      }, EVENT_TIMEOUT_MS);
      this.#waiters.set(id, { resolve, reject, timer });
    });
    eventArrived.catch(() => undefined);
    const reply = await post(`${this.#baseUrl}/${this.id}/${handle}`, {
      janus: 'message',
      body,
      transaction: id,
      ...(jsep ? { jsep } : {}),
    });
    let result: JanusMessage;
    if (reply.janus === 'ack') {
      result = await eventArrived;
    } else {
      const waiter = this.#waiters.get(id);
      if (waiter) clearTimeout(waiter.timer);
      this.#waiters.delete(id);
      result = reply;
    }
    if (result.janus === 'error') throw new Error(`janus ${String(body.request)}: ${result.error?.reason}`);
    const data = result.plugindata?.data ?? {};
    if (typeof data.error === 'string') throw new Error(`janus ${String(body.request)}: ${data.error}`);
    return { data, jsep: result.jsep };
  }

  async detach(handle: number): Promise<void> {
    await post(`${this.#baseUrl}/${this.id}/${handle}`, {
      janus: 'detach',
      transaction: transaction(),
    }).catch(() => undefined);
  }

  async destroy(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await post(`${this.#baseUrl}/${this.id}`, { janus: 'destroy', transaction: transaction() }).catch(
      () => undefined,
    );
    this.#abort.abort();
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('janus session destroyed'));
    }
    this.#waiters.clear();
  }

  async #poll(): Promise<void> {
    while (!this.#closed) {
      try {
        const response = await fetch(`${this.#baseUrl}/${this.id}?maxev=10&rid=${Date.now()}`, {
          signal: this.#abort.signal,
        });
        const body = (await response.json()) as JanusMessage | JanusMessage[];
        for (const message of Array.isArray(body) ? body : [body]) this.#dispatch(message);
      } catch {
        if (this.#closed) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  #dispatch(message: JanusMessage): void {
    if (message.transaction === undefined) return;
    const waiter = this.#waiters.get(message.transaction);
    if (!waiter || message.janus === 'ack') return;
    this.#waiters.delete(message.transaction);
    clearTimeout(waiter.timer);
    waiter.resolve(message);
  }
}

function transaction(): string {
  return randomBytes(9).toString('base64url');
}

async function post(url: string, body: unknown): Promise<JanusMessage> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as JanusMessage;
}
