import { randomBytes } from 'node:crypto';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { RoomView } from '../../src/protocol/httpApi.ts';
import {
  type ClusterEnv,
  type DotmProcess,
  spawnController,
  spawnNode,
} from '../../test/support/clusterProcesses.ts';
import { RedisServer } from '../../test/support/redisServer.ts';

export interface MediaNode {
  nodeId: string;
  address: string;
  process: DotmProcess;
}

/**
 * A cluster as an operator runs it: a real redis-server, one `dotm controller` process and media
 * `dotm node` processes on their own loopback addresses. Nodes can be killed and replaced.
 */
export class FailoverCluster {
  readonly env: ClusterEnv;
  readonly controller: { process: DotmProcess; url: string };
  readonly nodes = new Map<string, MediaNode>();
  readonly #redis: RedisServer;
  readonly #nodeEnv: Record<string, string>;
  #spawned = 0;

  private constructor(
    redis: RedisServer,
    env: ClusterEnv,
    controller: { process: DotmProcess; url: string },
    nodeEnv: Record<string, string>,
  ) {
    this.#redis = redis;
    this.env = env;
    this.controller = controller;
    this.#nodeEnv = nodeEnv;
  }

  /** `nodeEnv` adds settings to every node (e.g. its capacity). */
  static async start(addresses: string[], nodeEnv: Record<string, string> = {}): Promise<FailoverCluster> {
    const redis = await RedisServer.start();
    const env = { redisUrl: redis.url, secret: randomBytes(24).toString('hex'), apiKey: 'failover-bench' };
    const controller = await spawnController(env);
    const cluster = new FailoverCluster(redis, env, controller, nodeEnv);
    for (const address of addresses) cluster.addNode(address);
    try {
      await cluster.waitForNodes(addresses.length);
    } catch (error) {
      const outputs = [controller.process, ...[...cluster.nodes.values()].map((n) => n.process)]
        .map(
          (p) =>
            `--- ${p.name} (${p.alive ? 'running' : `exited ${p.child.exitCode ?? p.child.signalCode}`})\n${p.output.slice(-2_000)}`,
        )
        .join('\n');
      await cluster.stop();
      throw new Error(`${(error as Error).message}\n${outputs}`);
    }
    return cluster;
  }

  addNode(address: string): MediaNode {
    const nodeId = `media-${++this.#spawned}`;
    const node = { nodeId, address, process: spawnNode(this.env, nodeId, address, 1, this.#nodeEnv) };
    this.nodes.set(nodeId, node);
    return node;
  }

  async waitForNodes(count: number, timeoutMs = 20_000): Promise<NodeReport[]> {
    return poll(
      `${count} nodes registered`,
      async () => {
        const live = await this.liveNodes();
        return live?.length === count ? live : undefined;
      },
      timeoutMs,
    );
  }

  async get<T>(path: string): Promise<{ status: number; body: T } | undefined> {
    try {
      const response = await fetch(new URL(path, this.controller.url), {
        headers: { Authorization: `Bearer ${this.env.apiKey}` },
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
    } catch {
      return undefined;
    }
  }

  async liveNodes(): Promise<NodeReport[] | undefined> {
    const response = await this.get<{ nodes: NodeReport[] }>('/api/v1/nodes');
    return response?.status === 200 ? response.body.nodes : undefined;
  }

  async room(name: string): Promise<RoomView | undefined> {
    const response = await this.get<RoomView>(`/api/v1/rooms/${encodeURIComponent(name)}`);
    return response?.status === 200 ? response.body : undefined;
  }

  /** SIGTERM for everything still running, then Redis; returns each process's exit code or signal. */
  async stop(): Promise<{ name: string; code: number | string }[]> {
    const running = [this.controller.process, ...[...this.nodes.values()].map((n) => n.process)].filter(
      (p) => p.alive,
    );
    const codes = await Promise.all(
      running.map(async (p) => ({ name: p.name, code: await p.stop('SIGTERM') })),
    );
    await this.#redis.stop();
    return codes;
  }
}

export async function poll<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** When a process logged the first matching JSON record at or after `since` (ms since epoch). */
export function logTime(
  output: string,
  since: number,
  matches: (record: Record<string, unknown>) => boolean,
): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (typeof record.time !== 'string') continue;
      const at = Date.parse(record.time);
      if (at >= since && matches(record)) return at;
    } catch {
      // Not a log record.
    }
  }
  return undefined;
}
