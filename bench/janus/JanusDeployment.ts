import type { LoadTarget } from '../loadgen/loadgenProtocol.ts';
import type { Deployment } from '../scenario/Deployment.ts';
import { DEFAULT_JANUS, JanusServer } from './JanusServer.ts';

/** Janus 1.1.2 (Debian) with the VideoRoom plugin, one process: its pid is the whole server. */
export class JanusDeployment implements Deployment {
  readonly name = 'janus' as const;
  readonly hasEventLoopProbe = false;
  #server: JanusServer | undefined;
  #room: number | undefined;
  #nextRoom = 4200;
  readonly #mediaIp: string;
  readonly #eventLoops: number;

  constructor(mediaIp: string, eventLoops = 0) {
    this.#mediaIp = mediaIp;
    this.#eventLoops = eventLoops;
  }

  async start(): Promise<void> {
    this.#server = await JanusServer.start({
      ...DEFAULT_JANUS,
      mediaIp: this.#mediaIp,
      eventLoops: this.#eventLoops,
    });
  }

  async openRoom(_room: string, maxPublishers: number, bitrateBps: number): Promise<LoadTarget> {
    const server = this.#running();
    const room = this.#nextRoom++;
    // REMB cap well above what publishers send, so Janus never asks them to slow down.
    await server.createRoom(room, Math.max(maxPublishers, 1) + 1, Math.max(bitrateBps * 2, 10_000_000));
    this.#room = room;
    return { kind: 'janus', url: server.url, room };
  }

  async closeRoom(): Promise<void> {
    if (this.#room !== undefined) await this.#running().destroyRoom(this.#room);
    this.#room = undefined;
  }

  async serverProcesses(): Promise<Array<{ pid: number; role: string }>> {
    return [{ pid: this.#running().pid, role: 'janus' }];
  }

  async serverSideView(): Promise<undefined> {
    return undefined;
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
    this.#server = undefined;
  }

  get log(): string {
    return this.#server?.log ?? '';
  }

  #running(): JanusServer {
    if (!this.#server) throw new Error('janus is not running');
    return this.#server;
  }
}
