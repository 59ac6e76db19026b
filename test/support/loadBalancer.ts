import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

/**
 * A TCP load balancer in front of the controllers, as haproxy or nginx would be in a deployment:
 * each incoming connection (an HTTP request or a WebSocket upgrade, it does not look) goes to the
 * next backend in turn; a backend whose connect fails is skipped and the next one tried, so clients
 * reconnecting to the same URL after a controller died reach a live one.
 */
export class LoadBalancer {
  readonly #server: Server;
  #backends: Backend[];
  readonly #sockets = new Set<Socket>();
  #next = 0;
  /** Backend index of each connection made, in order: lets a test see where clients went. */
  readonly routed: number[] = [];

  private constructor(backends: Backend[]) {
    this.#backends = backends;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async listen(backends: Backend[], host = '127.0.0.1'): Promise<LoadBalancer> {
    const balancer = new LoadBalancer(backends);
    await new Promise<void>((resolve, reject) => {
      balancer.#server.once('error', reject);
      balancer.#server.listen(0, host, () => resolve());
    });
    return balancer;
  }

  static fromUrls(urls: string[], host?: string): Promise<LoadBalancer> {
    return LoadBalancer.listen(urls.map(backendOf), host);
  }

  /** Changes the pool (a controller added or replaced), as an operator would reload haproxy. */
  setBackends(urls: string[]): void {
    this.#backends = urls.map(backendOf);
  }

  get url(): string {
    const address = this.#server.address();
    if (typeof address !== 'object' || !address) throw new Error('load balancer not listening');
    return `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    this.#track(client);
    client.pause();
    client.on('error', () => client.destroy());
    this.#tryBackend(client, this.#next++ % this.#backends.length, this.#backends.length);
  }

  #tryBackend(client: Socket, index: number, attemptsLeft: number): void {
    if (attemptsLeft === 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = this.#backends[index % this.#backends.length]!;
    const upstream = connect(backend.port, backend.host);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.#track(upstream);
      this.routed.push(index);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) {
        upstream.destroy();
        this.#tryBackend(client, (index + 1) % this.#backends.length, attemptsLeft - 1);
        return;
      }
      client.destroy();
    });
    upstream.on('close', () => {
      if (connected) client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}

function backendOf(url: string): Backend {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}
