import type { IncomingMessage } from 'node:http';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { ControllerExtension } from '../controller/Controller.ts';
import type { RoomObserver } from '../controller/RoomObserver.ts';
import type { Database } from '../db/Database.ts';
import type { Logger } from '../log/Logger.ts';
import { LoadSampler, liveRoomsOf, type RoomsLike } from './LoadSampler.ts';
import { RoomSessionRecorder } from './RoomSessionRecorder.ts';
import { createStatsApi } from './StatsApi.ts';

export interface StatsSettings {
  /** Sample node load (and which nodes carry which meetings) this often. */
  sampleIntervalMs: number;
  /** Keep node load samples this many days; 0 keeps them forever. */
  sampleRetentionDays: number;
  /** Keep hourly node load and meetings-per-node history this many days; 0 keeps it forever. */
  hourRetentionDays: number;
  /** Keep the history of rooms that are not portal meetings too (room_sessions). */
  recordRooms: boolean;
}

export interface StatsExtensionOptions {
  db: Database;
  clusterState: ClusterState;
  /** The controller's rooms (its RoomService). */
  rooms: RoomsLike;
  isAuthorized: (req: IncomingMessage) => boolean | Promise<boolean>;
  settings: StatsSettings;
  log: Logger;
  now?: () => number;
}

/**
 * Usage statistics as a controller extension: samples load from the moment it is made, keeps the
 * history of rooms outside the portal (its observer), and answers /api/v1/stats/ (its mount).
 * Combine it with the portal's extension through combineExtensions.
 */
export class StatsExtension implements ControllerExtension {
  readonly observer: RoomObserver | undefined;
  readonly mounts: ControllerExtension['mounts'];
  readonly #sampler: LoadSampler;
  readonly #recorder: RoomSessionRecorder | undefined;

  constructor(options: StatsExtensionOptions) {
    const { settings } = options;
    this.#recorder = settings.recordRooms
      ? new RoomSessionRecorder({ db: options.db, log: options.log, now: options.now })
      : undefined;
    this.observer = this.#recorder;
    this.#sampler = new LoadSampler({
      db: options.db,
      clusterState: options.clusterState,
      intervalMs: settings.sampleIntervalMs,
      sampleRetentionMs: settings.sampleRetentionDays * 86_400_000,
      hourRetentionMs: settings.hourRetentionDays * 86_400_000,
      liveRooms: liveRoomsOf(options.rooms),
      log: options.log,
      now: options.now,
    });
    this.mounts = [
      createStatsApi({
        db: options.db,
        clusterState: options.clusterState,
        isAuthorized: options.isAuthorized,
        liveWindowMs: 3 * settings.sampleIntervalMs,
        log: options.log,
        now: options.now,
      }),
    ];
    this.#sampler.start();
  }

  async close(): Promise<void> {
    await this.#sampler.stop();
    await this.#recorder?.flush();
  }
}
