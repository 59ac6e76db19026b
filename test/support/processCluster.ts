import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { NodeReport } from '../../src/cluster/NodeReport.ts';
import type { NodeOtmList } from '../../src/cluster/OtmListing.ts';
import { RedisRoomDirectory } from '../../src/cluster/redis/RedisRoomDirectory.ts';
import { ClusterAuth } from '../../src/security/ClusterAuth.ts';
import {
  type ClusterEnv,
  controllerReady,
  type DotmProcess,
  spawnController,
  spawnNode,
} from './clusterProcesses.ts';
import { LoadBalancer } from './loadBalancer.ts';
import { RedisServer } from './redisServer.ts';
import { openUdpSockets, waitFor } from './startTestCluster.ts';
import { type Reconnection, WsParticipant } from './wsParticipant.ts';

export interface ControllerProcess {
  process: DotmProcess;
  url: string;
}

export interface NodeSpec {
  nodeId: string;
  address: string;
}

/** A controller's loopback host, and what it differs in (e.g. a Redis URL through a proxy). */
export interface ControllerSpec {
  host: string;
  redisUrl?: string;
  env?: Record<string, string>;
}

export interface ProcessClusterOptions {
  apiKey: string;
  nodes: readonly NodeSpec[];
  controllers: readonly (string | ControllerSpec)[];
  /** A Redis the test started itself (to put a proxy in front of it); else one is started. */
  redis?: RedisServer;
  /** Waits for each controller's /health and puts a load balancer in front of them. */
  loadBalancer?: boolean;
}

/** Admin API GET with the cluster's API key; an empty body reads as `{}`. */
export async function adminGet<T>(
  baseUrl: string,
  key: string,
  path: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, baseUrl), { headers: { Authorization: `Bearer ${key}` } });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** The longest silence between consecutive packets whose arrival falls in [from, to]. */
export function longestGap(arrivals: number[], from: number, to: number): number {
  let gap = 0;
  for (let i = 1; i < arrivals.length; i++) {
    if (arrivals[i]! < from || arrivals[i - 1]! > to) continue;
    gap = Math.max(gap, arrivals[i]! - arrivals[i - 1]!);
  }
  return gap;
}

/**
 * A cluster of real processes as an operator runs it: a redis-server, `dotm node`s and `dotm
 * controller`s each on its own loopback address, optionally behind a TCP load balancer.
 */
export class ProcessCluster {
  readonly redis: RedisServer;
  readonly env: ClusterEnv;
  readonly directory: RedisRoomDirectory;
  readonly nodes: DotmProcess[] = [];
  readonly controllers: ControllerProcess[] = [];
  balancer: LoadBalancer | undefined;

  private constructor(redis: RedisServer, apiKey: string) {
    this.redis = redis;
    this.env = { redisUrl: redis.url, secret: randomBytes(24).toString('hex'), apiKey };
    this.directory = new RedisRoomDirectory({ url: redis.url, keyPrefix: 'dotm:' });
  }

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(options.redis ?? (await RedisServer.start()), options.apiKey);
    for (const { nodeId, address } of options.nodes)
      cluster.nodes.push(spawnNode(cluster.env, nodeId, address));
    for (const spec of options.controllers) await cluster.addController(spec);
    if (options.loadBalancer ?? true) {
      await Promise.all(cluster.controllers.map((c) => controllerReady(c.url)));
      cluster.balancer = await LoadBalancer.fromUrls(cluster.controllers.map((c) => c.url));
    }
    return cluster;
  }

  async addController(spec: string | ControllerSpec): Promise<ControllerProcess> {
    const { host, redisUrl, env } = typeof spec === 'string' ? { host: spec } : spec;
    const controller = await spawnController(redisUrl ? { ...this.env, redisUrl } : this.env, host, env);
    this.controllers.push(controller);
    return controller;
  }

  get balancerUrl(): string {
    if (!this.balancer) throw new Error('this cluster has no load balancer');
    return this.balancer.url;
  }

  api<T>(path: string, via = this.balancerUrl): Promise<{ status: number; body: T }> {
    return adminGet<T>(via, this.env.apiKey, path);
  }

  /** The URL of the controller the directory names as the room's home. */
  async homeUrl(room: string): Promise<string | undefined> {
    const holder = await this.directory.home(room);
    const presence = (await this.directory.listControllers()).find((c) => c.controllerId === holder);
    return presence?.internalUrl;
  }

  /** Until every node is listed (asked at `via`) and every controller has announced itself. */
  async registered(via: string, controllers = this.controllers.length, timeoutMs = 20_000): Promise<void> {
    await waitFor(
      `${this.nodes.length} nodes and ${controllers} controllers registered`,
      async () => {
        const listed = await this.api<{ nodes: NodeReport[] }>('/api/v1/nodes', via);
        const presences = await this.directory.listControllers();
        return (
          (listed.body.nodes?.length === this.nodes.length && presences.length === controllers) || undefined
        );
      },
      timeoutMs,
    );
  }

  /** Until every node (listed at `via`) answers its internal OTM list empty. */
  async otmsClosed(via: string, timeoutMs = 10_000): Promise<void> {
    const auth = new ClusterAuth(this.env.secret);
    const nodeUrls = (await this.api<{ nodes: NodeReport[] }>('/api/v1/nodes', via)).body.nodes.map(
      (n) => n.url,
    );
    await waitFor(
      'every OTM closed on the nodes',
      async () => {
        const lists = await Promise.all(
          nodeUrls.map(async (url) => {
            const response = await fetch(new URL('/internal/otms', url), {
              headers: { Authorization: auth.header() },
            });
            return (await response.json()) as NodeOtmList;
          }),
        );
        return lists.every((list) => list.otms.length === 0) || undefined;
      },
      timeoutMs,
    );
  }

  /** Until the room's snapshot and lease are gone from the directory. */
  async roomForgotten(room: string): Promise<void> {
    await waitFor(
      'the snapshot deleted',
      async () => (await this.directory.loadSnapshot(room)) === undefined || undefined,
    );
    await waitFor(
      'the lease released',
      async () => (await this.directory.home(room)) === undefined || undefined,
    );
  }

  /**
   * Until the admin API (at `via`) knows no such room and every node reports no OTM. The default
   * wait outlasts the 15 s rejoin grace: a page whose leave was not acknowledged (its socket was
   * reconnecting after a failover, or the controller was slow to answer) is let go only when its
   * grace ends, and its camera with it. (A page still in the room after 30 s did not leave at all:
   * leaveAll reports it.)
   */
  async roomClosedEverywhere(room: string, via: string, timeoutMs = 30_000): Promise<void> {
    let nodes: NodeReport[] | undefined;
    let view: { status: number; body: unknown } | undefined;
    await waitFor(
      'the room closed and no OTM left on any node',
      async () => {
        view = await this.api(`/api/v1/rooms/${room}`, via).catch(() => undefined);
        nodes = (await this.api<{ nodes: NodeReport[] }>('/api/v1/nodes', via).catch(() => undefined))?.body
          .nodes;
        return (view?.status === 404 && nodes?.every((n) => n.load.otms === 0)) || undefined;
      },
      timeoutMs,
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: nodes ${JSON.stringify(nodes?.map((n) => [n.nodeId, n.load.otms]))}\n` +
          `the room: ${view?.status} ${JSON.stringify(view?.body)}\n` +
          `what the processes warned of last:\n${this.#warnings().join('\n')}`,
      );
    });
  }

  /** The last warnings and errors each process logged (JSON lines): for failure messages. */
  #warnings(perProcess = 10): string[] {
    const lines: string[] = [];
    for (const process of [...this.controllers.map((c) => c.process), ...this.nodes]) {
      const warned = process.output.split('\n').filter((line) => /"level":"(warn|error)"/.test(line));
      lines.push(...warned.slice(-perProcess).map((line) => `${process.name}: ${line}`));
    }
    return lines;
  }

  /**
   * Stops what still runs (SIGTERM), then the directory and Redis, and waits for the test process's
   * UDP sockets to close; returns what went wrong (a process that did not exit cleanly, sockets left).
   */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    await this.balancer?.close();
    const running = [...this.controllers.map((c) => c.process), ...this.nodes].filter((p) => p.alive);
    const codes = await Promise.all(running.map((p) => p.stop('SIGTERM')));
    for (const [i, code] of codes.entries()) {
      if (code !== 0)
        problems.push(`${running[i]!.name} exited with ${code}:\n${running[i]!.output.slice(-3000)}`);
    }
    await this.directory.close();
    await this.redis.stop();
    await waitFor('UDP sockets closed', () => openUdpSockets() === 0 || undefined, 5_000).catch(() =>
      problems.push('UDP sockets left open in the test process'),
    );
    return problems;
  }
}

/**
 * Headless participants of one room who reconnect through `reconnectUrl` (a load balancer), each
 * remembered with the participant id of its first join.
 */
export class Attendance {
  readonly people = new Map<string, WsParticipant>();
  readonly firstIds = new Map<string, string>();
  readonly #room: string;
  readonly #reconnectUrl: () => string;
  readonly #attempts: number;

  /** `attempts` > 1: a controller that cannot serve a first join says so, the client asks again. */
  constructor(room: string, reconnectUrl: () => string, attempts = 1) {
    this.#room = room;
    this.#reconnectUrl = reconnectUrl;
    this.#attempts = attempts;
  }

  async join(name: string, via: string): Promise<WsParticipant> {
    for (let attempt = 1; ; attempt++) {
      const participant = new WsParticipant(name, this.#room, this.#reconnectUrl());
      try {
        const result = await participant.join(via);
        this.people.set(name, participant);
        this.firstIds.set(name, result.self.participantId);
        return participant;
      } catch (error) {
        participant.close();
        if (attempt >= this.#attempts) throw error;
      }
    }
  }

  get(name: string): WsParticipant {
    const person = this.people.get(name);
    if (!person) throw new Error(`${name} never joined`);
    return person;
  }

  /** Until everyone's last reconnection, dropped at `since` or later, has resumed; those reconnections. */
  resumedSince(what: string, since: number, timeoutMs: number): Promise<Reconnection[]> {
    return waitFor(
      what,
      () => {
        const last = [...this.people.values()].map((p) => p.reconnections.at(-1));
        return last.every((r) => r !== undefined && r.droppedAt >= since && r.resumedAt !== undefined)
          ? (last as Reconnection[])
          : undefined;
      },
      timeoutMs,
    );
  }

  /** Everyone's last reconnection resumed them as the participant of their first join. */
  assertResumedAsThemselves(): void {
    for (const [name, person] of this.people) {
      assert.equal(person.reconnections.at(-1)!.resumed, true, `${name} resumed`);
      assert.equal(
        person.lastJoin!.self.participantId,
        this.firstIds.get(name),
        `${name} is the same participant`,
      );
    }
  }

  /** Everyone leaves (says so, then closes the socket). */
  async leaveAll(): Promise<void> {
    for (const person of this.people.values()) await person.leave();
  }

  closeAll(): void {
    for (const person of this.people.values()) person.close();
  }
}
