import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LoadTarget } from '../loadgen/loadgenProtocol.ts';
import type { Deployment, DeploymentName, ServerSideView } from '../scenario/Deployment.ts';
import type { DotmServerMessage, DotmServerStartOptions } from './dotmServerProtocol.ts';

const ENTRY = fileURLToPath(new URL('./dotmServerMain.ts', import.meta.url));
const PROBE = pathToFileURL(fileURLToPath(new URL('./eventLoopProbe.ts', import.meta.url))).href;

export interface DotmDeploymentOptions extends DotmServerStartOptions {
  name: DeploymentName;
  /** Where the event-loop probe writes its samples. */
  probeDir: string;
  /** When set, every dotm process writes a V8 CPU profile there on exit (`--cpu-prof`). */
  cpuProfileDir?: string;
}

/**
 * dotm under test: the embedded system in a child process (dotmServerMain) whose worker processes
 * inherit NODE_OPTIONS, which preloads the event-loop probe (and optionally `--cpu-prof`).
 */
export class DotmDeployment implements Deployment {
  readonly name: DeploymentName;
  readonly hasEventLoopProbe = true;
  readonly #options: DotmDeploymentOptions;
  #child: ChildProcess | undefined;
  #controllerUrl = '';
  #apiKey = '';
  readonly #waiting: Array<{
    kind: DotmServerMessage['kind'];
    resolve: (message: DotmServerMessage) => void;
    reject: (error: Error) => void;
  }> = [];

  constructor(options: DotmDeploymentOptions) {
    this.name = options.name;
    this.#options = options;
  }

  async start(): Promise<void> {
    const nodeOptions = [`--import=${PROBE}`];
    if (this.#options.cpuProfileDir)
      nodeOptions.push('--cpu-prof', `--cpu-prof-dir=${this.#options.cpuProfileDir}`);
    // For investigations, e.g. DOTM_BENCH_NODE_OPTIONS=--trace-gc (the output goes to the terminal).
    if (process.env.DOTM_BENCH_NODE_OPTIONS) nodeOptions.push(process.env.DOTM_BENCH_NODE_OPTIONS);
    const child = fork(
      ENTRY,
      [
        JSON.stringify({
          nodes: this.#options.nodes,
          workers: this.#options.workers,
          mediaIp: this.#options.mediaIp,
        } satisfies DotmServerStartOptions),
      ],
      {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // For investigations, V8 flags NODE_OPTIONS does not take, e.g. DOTM_BENCH_EXEC_ARGV=--no-wasm-tier-up
        // (the controller+agents process only; the workers get theirs from node.workerV8Flags).
        execArgv: process.env.DOTM_BENCH_EXEC_ARGV?.split(' ').filter((arg) => arg !== '') ?? [],
        env: {
          ...process.env,
          NODE_OPTIONS: nodeOptions.join(' '),
          // As `npm start` runs the server (package.json); the workers get theirs from node.workerMallocArenaMax.
          MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '1',
          DOTM_BENCH_PROBE_DIR: this.#options.probeDir,
        },
      },
    );
    this.#child = child;
    child.on('message', (message: DotmServerMessage) => {
      const index = this.#waiting.findIndex((w) => w.kind === message.kind);
      if (index >= 0) this.#waiting.splice(index, 1)[0]!.resolve(message);
    });
    child.once('exit', (code) => {
      for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error(`dotm server exited (${code})`));
    });
    const ready = await this.#next('ready', 30_000);
    if (ready.kind !== 'ready') throw new Error('dotm server did not start');
    this.#controllerUrl = ready.controllerUrl;
    this.#apiKey = ready.apiKey;
  }

  async openRoom(room: string): Promise<LoadTarget> {
    return { kind: 'dotm', controllerUrl: this.#controllerUrl, apiKey: this.#apiKey, room };
  }

  async closeRoom(): Promise<void> {
    // The room closes by itself once its last participant has left (the load generator DELETEs them).
  }

  async serverProcesses(): Promise<Array<{ pid: number; role: string }>> {
    const status = await this.#status();
    return [
      { pid: status.serverPid, role: 'controller+agents' },
      ...status.nodes.flatMap((node) =>
        node.workerPids.map((pid) => ({ pid, role: `worker@${node.nodeId}` })),
      ),
    ];
  }

  async serverSideView(): Promise<ServerSideView> {
    const status = await this.#status();
    const reports = status.nodes.map((n) => n.report);
    return {
      otmsPerNode: status.nodes.map((n) => n.otms),
      reportedPacketsOutPerSecond: reports.every((r) => r !== undefined)
        ? reports.reduce((sum, r) => sum + r!.packetsOutPerSecond, 0)
        : undefined,
    };
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.send({ op: 'stop' });
    await exited;
    clearTimeout(timer);
  }

  async #status(): Promise<Extract<DotmServerMessage, { kind: 'status' }>> {
    const reply = this.#next('status', 10_000);
    this.#child?.send({ op: 'status' });
    const message = await reply;
    if (message.kind !== 'status') throw new Error('dotm server answered something else than status');
    return message;
  }

  #next(kind: DotmServerMessage['kind'], timeoutMs: number): Promise<DotmServerMessage> {
    return new Promise((resolve, reject) => {
      const waiter = {
        kind,
        resolve: (message: DotmServerMessage) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(new Error(`dotm server: no ${kind} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.push(waiter);
    });
  }
}
