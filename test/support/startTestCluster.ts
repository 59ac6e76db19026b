import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { DotmConfig } from '../../src/config/DotmConfig.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';
import { processAlive } from './processTree.ts';

/** The embedded system on free ports, one worker per node, quiet unless DOTM_LOG_LEVEL is set. */
export async function startTestCluster(
  overrides: {
    nodes?: number;
    workers?: number;
    media?: Partial<DotmConfig['media']>;
    controller?: Partial<DotmConfig['controller']>;
  } = {},
): Promise<EmbeddedCluster> {
  const config = loadConfig({
    env: {},
    overrides: {
      controller: { port: 0, listenHost: '127.0.0.1', rejoinGraceMs: 2000, ...overrides.controller },
      node: { workers: overrides.workers ?? 1, listenHost: '127.0.0.1', rtcListenIp: '127.0.0.1' },
      start: { nodes: overrides.nodes ?? 2 },
      media: overrides.media,
      database: { sqlitePath: ':memory:' },
    },
  });
  return EmbeddedCluster.start(config, quietLogger());
}

export async function api<T = Record<string, unknown>>(
  cluster: EmbeddedCluster,
  method: string,
  path: string,
  body?: unknown,
  key = cluster.apiKey,
): Promise<{ status: number; body: T }> {
  const response = await fetch(new URL(path, cluster.controller.url), {
    method,
    headers: {
      Authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Ends a test's cluster and proves it left nothing behind: the OTMs closed by the system's own
 * flow (publishers gone → OTMs closed) before shutdown, then no worker process and no UDP socket
 * of this process still open. Close every peer before calling it.
 */
export async function stopTestCluster(cluster: EmbeddedCluster): Promise<void> {
  const workerPids = cluster.nodes.flatMap((n) => n.workerPids);
  let otmsLeft = 0;
  try {
    await waitFor(
      'every OTM closed',
      () => cluster.nodes.every((n) => n.otmCount === 0) || undefined,
      10_000,
    );
  } catch {
    otmsLeft = cluster.nodes.reduce((sum, n) => sum + n.otmCount, 0);
  }
  await cluster.close();
  assert.equal(otmsLeft, 0, `${otmsLeft} OTM(s) still open after every peer left`);
  for (const pid of workerPids) assert.equal(processAlive(pid), false, `worker ${pid} left running`);
  await waitFor('UDP sockets closed', () => openUdpSockets() === 0 || undefined, 5_000).catch(() => {
    assert.equal(openUdpSockets(), 0, 'UDP sockets left open in the test process');
  });
}

/** UDP sockets this process holds, from /proc (Linux): fds that are sockets listed in net/udp{,6}. */
export function openUdpSockets(): number {
  const inodes = new Set<string>();
  for (const table of ['/proc/self/net/udp', '/proc/self/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode) inodes.add(inode);
    }
  }
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1]!)) count++;
    } catch {
      // The fd closed while we looked.
    }
  }
  return count;
}
