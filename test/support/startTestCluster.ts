import type { DotmConfig } from '../../src/config/DotmConfig.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { quietLogger } from '../../src/log/Logger.ts';
import { EmbeddedCluster } from '../../src/start/EmbeddedCluster.ts';

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

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
