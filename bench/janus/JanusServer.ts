import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JanusSession } from './JanusSession.ts';

export interface JanusServerOptions {
  binary: string;
  /** Where Debian installs the plugin and transport libraries. */
  libraryDir: string;
  rtpPortRange: [number, number];
  /** Debug level 0–7; 3 (warnings) keeps the log from costing CPU. */
  debugLevel: number;
  /**
   * The only address Janus gathers candidates on. Janus never offers loopback, so the benchmark puts
   * both servers and the load on the host's own IPv4 (the kernel still routes it through `lo`).
   */
  mediaIp: string;
  /** Extra command-line flags (e.g. `-l` for libnice debugging). */
  extraArgs?: string[];
  /**
   * Janus's `event_loops`: 0 keeps its default (one media thread per handle); N shares N loop threads
   * between all handles, Janus's own tuning for many PeerConnections on few cores.
   */
  eventLoops?: number;
}

export const DEFAULT_JANUS: JanusServerOptions = {
  binary: '/usr/bin/janus',
  libraryDir: '/usr/lib/x86_64-linux-gnu/janus',
  rtpPortRange: [20000, 29999],
  debugLevel: 3,
  mediaIp: '127.0.0.1',
};

/**
 * A private Janus for the benchmark: a generated config folder in a temp dir (only the VideoRoom
 * plugin and the HTTP transport are loadable, no event handlers, ICE-lite like dotm's media nodes,
 * candidates on one address), started on a free HTTP port, stopped with SIGTERM (SIGKILL after 5 s).
 */
export class JanusServer {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #exited: Promise<void>;
  #log = '';

  private constructor(child: ChildProcess, dir: string, url: string) {
    this.#child = child;
    this.#dir = dir;
    this.url = url;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-2_000_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(options: JanusServerOptions = DEFAULT_JANUS): Promise<JanusServer> {
    const dir = mkdtempSync(join(tmpdir(), 'dotm-bench-janus-'));
    const port = await freeTcpPort();
    writeConfig(dir, options, port);
    const child = spawn(
      options.binary,
      ['-F', join(dir, 'conf'), '-C', join(dir, 'conf', 'janus.jcfg'), '-o', ...(options.extraArgs ?? [])],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const server = new JanusServer(child, dir, `http://127.0.0.1:${port}/janus`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`janus exited at start:\n${server.log}`);
      try {
        const response = await fetch(`${server.url}/info`);
        if (response.ok) {
          await response.arrayBuffer();
          break;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`janus did not answer on ${server.url}:\n${server.log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return server;
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  get log(): string {
    return this.#log;
  }

  /** A VideoRoom with room for every publisher and a REMB cap above the test bit rate. */
  async createRoom(room: number, publishers: number, bitrateBps: number): Promise<void> {
    await this.#adminRequest({
      request: 'create',
      room,
      description: 'dotm benchmark',
      publishers,
      bitrate: bitrateBps,
      fir_freq: 0,
      audiocodec: 'opus',
      videocodec: 'vp8',
      notify_joining: false,
      permanent: false,
    });
  }

  async destroyRoom(room: number): Promise<void> {
    await this.#adminRequest({ request: 'destroy', room, permanent: false }).catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #adminRequest(body: Record<string, unknown>): Promise<void> {
    const session = await JanusSession.create(this.url);
    try {
      const handle = await session.attach('janus.plugin.videoroom');
      await session.message(handle, body);
    } finally {
      await session.destroy();
    }
  }
}

function writeConfig(dir: string, options: JanusServerOptions, httpPort: number): void {
  for (const sub of ['conf', 'plugins', 'transports', 'events', 'loggers']) mkdirSync(join(dir, sub));
  symlinkSync(
    join(options.libraryDir, 'plugins', 'libjanus_videoroom.so'),
    join(dir, 'plugins', 'libjanus_videoroom.so'),
  );
  symlinkSync(
    join(options.libraryDir, 'transports', 'libjanus_http.so'),
    join(dir, 'transports', 'libjanus_http.so'),
  );
  writeFileSync(
    join(dir, 'conf', 'janus.jcfg'),
    `general: {
  configs_folder = "${join(dir, 'conf')}"
  plugins_folder = "${join(dir, 'plugins')}"
  transports_folder = "${join(dir, 'transports')}"
  events_folder = "${join(dir, 'events')}"
  loggers_folder = "${join(dir, 'loggers')}"
  debug_level = ${options.debugLevel}
  session_timeout = 60${options.eventLoops ? `\n  event_loops = ${options.eventLoops}` : ''}
}
media: {
  rtp_port_range = "${options.rtpPortRange[0]}-${options.rtpPortRange[1]}"
}
nat: {
  ice_lite = true
  ice_enforce_list = "${options.mediaIp}"
}
plugins: {}
transports: {}
events: {
  broadcast = false
}
`,
  );
  writeFileSync(
    join(dir, 'conf', 'janus.transport.http.jcfg'),
    `general: {
  json = "plain"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
}
`,
  );
  writeFileSync(join(dir, 'conf', 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
}

/** A TCP port nobody listens on right now (bind to 0, read it, release it). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
