import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { RoomDirectory } from '../cluster/RoomDirectory.ts';
import type { DotmConfig } from '../config/DotmConfig.ts';
import type { ControllerExtension } from '../controller/Controller.ts';
import type { RoomHomes } from '../controller/RoomHomes.ts';
import type { RoomService } from '../controller/RoomService.ts';
import type { Database } from '../db/Database.ts';
import { openDatabase } from '../db/openDatabase.ts';
import type { Logger } from '../log/Logger.ts';
import { ensureDefaultTenant } from '../portal/defaultTenant.ts';
import { JoinTokens } from '../portal/JoinTokens.ts';
import { Portal } from '../portal/Portal.ts';
import { ApiKeys } from '../security/ApiKeys.ts';
import { ClusterAuth } from '../security/ClusterAuth.ts';
import { combineExtensions } from '../stats/combineExtensions.ts';
import { StatsExtension } from '../stats/StatsExtension.ts';

/** Opens the configured database (creating the embedded file's folder) at the newest schema. */
export async function openConfiguredDatabase(config: DotmConfig): Promise<Database> {
  const { engine, sqlitePath, postgresUrl } = config.database;
  if (engine === 'postgres') return openDatabase({ engine, url: postgresUrl });
  if (sqlitePath !== ':memory:') await mkdir(dirname(sqlitePath), { recursive: true });
  return openDatabase({ engine, path: sqlitePath });
}

/** Makes a controller's extension from its rooms and where the rooms of other controllers live. */
export type ExtensionFactory = (rooms: RoomService, homes: RoomHomes) => ControllerExtension;

/**
 * The BigBlueButton portal as the controller's extension, its default tenant created on first
 * start. `publicUrl` is read at each join, once the controller listens. With `roomDirectory` (cluster
 * mode) the portal sees and ends rooms homed on the other controllers too.
 */
export async function preparePortal(
  config: DotmConfig,
  db: Database,
  clusterSecret: string,
  apiKeys: readonly string[],
  publicUrl: () => string,
  log: Logger,
  roomDirectory?: RoomDirectory,
): Promise<ExtensionFactory | undefined> {
  if (!config.portal.enabled) return undefined;
  const { created } = await ensureDefaultTenant(db, { secret: config.portal.defaultSecret || undefined });
  if (created) log.info('default tenant created: `dotm secret` prints its API URL and secret');
  const joinTokens = new JoinTokens(
    config.portal.joinTokenSecret || `${clusterSecret}:join`,
    config.portal.joinTokenTtlSeconds,
  );
  const keys = new ApiKeys(apiKeys);
  const auth = roomDirectory ? new ClusterAuth(clusterSecret) : undefined;
  return (rooms, homes) =>
    new Portal(rooms, {
      db,
      isAuthorized: keys.authorize,
      maxAdminBodyBytes: config.controller.maxBodyBytes,
      joinTokens,
      publicUrl,
      sweepIntervalMs: config.portal.sweepIntervalMs,
      emptyMeetingGraceMs: config.portal.emptyMeetingGraceMs,
      unjoinedMeetingExpiryMs: config.portal.unjoinedMeetingExpiryMs,
      log,
      cluster:
        roomDirectory && auth
          ? {
              homes,
              loadSnapshot: (room) => roomDirectory.loadSnapshot(room),
              listSnapshots: () => roomDirectory.listSnapshots(),
              auth,
            }
          : undefined,
    });
}

/**
 * Everything the controller is extended with: the portal (if enabled) and usage statistics with
 * the dashboard (if enabled), fanned out as one extension.
 */
export function controllerExtensions(
  config: DotmConfig,
  db: Database,
  clusterState: ClusterState,
  apiKeys: readonly string[],
  portal: ExtensionFactory | undefined,
  log: Logger,
): ExtensionFactory {
  const keys = new ApiKeys(apiKeys);
  return (rooms, homes) =>
    combineExtensions(
      portal?.(rooms, homes),
      config.stats.enabled
        ? new StatsExtension({
            db,
            clusterState,
            rooms,
            isAuthorized: keys.authorize,
            settings: config.stats,
            log,
          })
        : undefined,
    );
}
