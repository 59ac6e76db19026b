import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './redisServer.ts';

const DOTM_BIN = fileURLToPath(new URL('../../bin/dotm.ts', import.meta.url));

/** A `dotm controller` or `dotm node` in its own OS process, as an operator would run it. */
export class DotmProcess {
  readonly child: ChildProcess;
  readonly name: string;
  output = '';

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
  }

  static spawn(name: string, args: string[], env: Record<string, string>): DotmProcess {
    const child = spawn(process.execPath, [DOTM_BIN, ...args], {
      env: { ...process.env, DOTM_LOG_FORMAT: 'json', DOTM_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DotmProcess(name, child);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code (or signal) once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | string> {
    if (!this.alive) return this.child.exitCode ?? this.child.signalCode ?? 'gone';
    const exited = new Promise<number | string>((resolve) =>
      this.child.once('exit', (code, sig) => resolve(code ?? sig ?? 'gone')),
    );
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }
}

export interface ClusterEnv {
  redisUrl: string;
  secret: string;
  apiKey: string;
}

export function clusterEnv(cluster: ClusterEnv): Record<string, string> {
  return {
    DOTM_CLUSTER_STATE: 'redis',
    DOTM_CLUSTER_REDIS_URL: cluster.redisUrl,
    DOTM_CLUSTER_SECRET: cluster.secret,
    DOTM_CONTROLLER_API_KEYS: cluster.apiKey,
  };
}

/**
 * A `dotm controller` on `host` (a loopback address of its own, so several controllers are
 * distinct hosts to each other). `env` adds settings (e.g. DOTM_CONTROLLER_REJOIN_GRACE_MS).
 */
export async function spawnController(
  cluster: ClusterEnv,
  host = '127.0.0.1',
  env: Record<string, string> = {},
) {
  const port = await freePort(host);
  const process = DotmProcess.spawn(
    `controller:${host}:${port}`,
    ['controller', '--port', String(port), '--listen-host', host, '--public-url', `http://${host}:${port}`],
    { ...clusterEnv(cluster), ...env },
  );
  return { process, url: `http://${host}:${port}` };
}

/** Resolves once the controller answers /health (it listens and has announced itself). */
export async function controllerReady(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(new URL('/health', url)).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`controller ${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A media node on its own loopback address (127.0.0.x), so each node is a distinct host to ICE.
 * `env` adds settings (e.g. DOTM_NODE_MAX_PACKETS_PER_SECOND).
 */
export function spawnNode(
  cluster: ClusterEnv,
  nodeId: string,
  address: string,
  workers = 1,
  env: Record<string, string> = {},
) {
  return DotmProcess.spawn(
    nodeId,
    [
      'node',
      '--node-id',
      nodeId,
      '--listen-host',
      address,
      '--rtc-listen-ip',
      address,
      '--workers',
      String(workers),
    ],
    { ...clusterEnv(cluster), ...env },
  );
}
