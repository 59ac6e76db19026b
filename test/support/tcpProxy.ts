import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of one server (Redis) for one client process, so a test can cut that
 * process off alone — a network partition between one controller and Redis — and mend it.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #cut: false | 'reset' | 'blackhole' = false;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async listen(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy({ host: targetHost, port: targetPort });
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (typeof address !== 'object' || !address) throw new Error('proxy not listening');
    return address.port;
  }

  get cutOff(): boolean {
    return this.#cut !== false;
  }

  /**
   * 'reset' (a firewall rejecting): every connection is reset and new ones are refused until
   * mend(). 'blackhole' (a firewall dropping, a dead link): connections stay open but nothing
   * passes, in either direction, until mend() lets the held bytes through, as TCP would deliver
   * its retransmissions once the path is back.
   */
  cut(mode: 'reset' | 'blackhole' = 'reset'): void {
    this.#cut = mode;
    for (const socket of this.#sockets) {
      if (mode === 'reset') socket.resetAndDestroy();
      else socket.pause();
    }
  }

  mend(): void {
    this.#cut = false;
    for (const socket of this.#sockets) socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    client.on('error', () => client.destroy());
    if (this.#cut === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.#target.port, this.#target.host);
    upstream.on('error', () => client.destroy());
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.#cut === 'blackhole') {
      client.pause();
      upstream.pause();
    }
  }
}
