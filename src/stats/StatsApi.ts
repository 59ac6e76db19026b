import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState } from '../cluster/ClusterState.ts';
import type { Database } from '../db/Database.ts';
import { type IsAuthorized, requireApiKey } from '../http/apiKeyGuard.ts';
import { HttpError } from '../http/HttpError.ts';
import { sendError, sendJson } from '../http/httpIo.ts';
import { Router, safePathname } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import { StatsReports } from './StatsReports.ts';
import type { FullReport, LiveNode, LiveView, TenantListing } from './statsApiTypes.ts';
import { parseStatsQuery, type StatsParam, type StatsQuery } from './statsQuery.ts';

export const STATS_API_PREFIX = '/api/v1/stats';

export interface StatsApiOptions {
  db: Database;
  clusterState: ClusterState;
  /**
   * Who may read statistics (the controller's API-key check). Return false to refuse with a 401, or
   * throw an HttpError to refuse with that.
   */
  isAuthorized: IsAuthorized;
  /** How recently a node must have been seen carrying a room for the live view to name it (3 × the sample interval). */
  liveWindowMs: number;
  log: Logger;
  now?: () => number;
}

/** The HTTP handler type the controller mounts (ControllerExtension.mounts). */
export type StatsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const RANGE: readonly StatsParam[] = ['from', 'to', 'tenants'];
const SERIES: readonly StatsParam[] = ['from', 'to', 'tenants', 'bucket'];

/**
 * The statistics JSON API behind the dashboard, under /api/v1/stats/ (GET only):
 *
 * | path                 | parameters                  | answer (src/stats/statsApiTypes.ts) |
 * | -------------------- | --------------------------- | ----------------------------------- |
 * | `live`               | tenants                     | LiveView: nodes, rooms and users now |
 * | `tenants`            |                             | TenantListing                       |
 * | `summary`            | from, to, tenants           | MeetingSummary                      |
 * | `room-sizes`         | from, to, tenants           | RoomSizeDistribution                |
 * | `meetings-per-node`  | from, to, tenants           | MeetingsPerNode                     |
 * | `users`              | from, to, tenants, bucket   | UsersOverTime                       |
 * | `nodes`              | from, to, bucket            | NodeLoadOverTime                    |
 * | `report`             | from, to, tenants, bucket   | FullReport: all five above          |
 *
 * It answers every path under the prefix (404 for unknown ones) and nothing else.
 */
export function createStatsApi(options: StatsApiOptions): StatsHandler {
  const reports = new StatsReports(options.db);
  const now = options.now ?? Date.now;
  const router = new Router({
    onUnexpectedError: (error, req) => options.log.error('stats request failed', { error, url: req.url }),
  });

  const route = <T>(
    path: string,
    params: readonly StatsParam[],
    answer: (query: StatsQuery) => Promise<T>,
  ) => {
    router.add('GET', `${STATS_API_PREFIX}/${path}`, async (req, res) => {
      await authorize(req);
      const query = parseStatsQuery(searchOf(req), params, now());
      if (query.tenantIds.length > 0) {
        const unknown = await reports.unknownTenants(query.tenantIds);
        if (unknown.length > 0) {
          throw new HttpError(
            400,
            'unknown-tenant',
            `no tenant has the id ${unknown.map((id) => `"${id.slice(0, 60)}"`).join(', ')}`,
          );
        }
      }
      sendJson(res, 200, await answer(query), { 'Cache-Control': 'no-store' });
    });
  };

  const authorize = (req: IncomingMessage) => requireApiKey(options.isAuthorized, req);

  route('live', ['tenants'], async (query): Promise<LiveView> => {
    const at = now();
    const [reportsNow, rooms] = await Promise.all([
      options.clusterState.listNodes(),
      reports.liveRooms(query.tenantIds, at - options.liveWindowMs),
    ]);
    const nodes: LiveNode[] = reportsNow
      .map((r) => ({
        nodeId: r.nodeId,
        region: r.region,
        draining: r.draining,
        reportedAt: r.reportedAt,
        workers: r.workers,
        cpu: r.load.cpu,
        memoryBytes: r.load.memoryRssBytes,
        mbpsIn: r.load.bitrateInBps / 1e6,
        mbpsOut: r.load.bitrateOutBps / 1e6,
        packetsInPerSecond: r.load.packetsInPerSecond,
        packetsOutPerSecond: r.load.packetsOutPerSecond,
        otms: r.load.otms,
        subscribers: r.load.subscribers,
      }))
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    return {
      now: at,
      tenantIds: query.tenantIds,
      nodes,
      rooms,
      users: rooms.reduce((sum, room) => sum + room.users, 0),
    };
  });
  route('tenants', [], async (): Promise<TenantListing> => ({ tenants: await reports.tenants() }));
  route('summary', RANGE, (q) => reports.summary(scopeOf(q)));
  route('room-sizes', RANGE, (q) => reports.roomSizes(scopeOf(q)));
  route('meetings-per-node', RANGE, (q) => reports.meetingsPerNode(scopeOf(q)));
  route('users', SERIES, (q) => reports.usersOverTime(scopeOf(q), q.bucketMs));
  route('nodes', ['from', 'to', 'bucket'], (q) => reports.nodeLoadOverTime(q.from, q.to, q.bucketMs));
  route('report', SERIES, async (q): Promise<FullReport> => {
    const scope = scopeOf(q);
    const [summary, roomSizes, meetingsPerNode, users, nodeLoad] = await Promise.all([
      reports.summary(scope),
      reports.roomSizes(scope),
      reports.meetingsPerNode(scope),
      reports.usersOverTime(scope, q.bucketMs),
      reports.nodeLoadOverTime(q.from, q.to, q.bucketMs),
    ]);
    return { summary, roomSizes, meetingsPerNode, users, nodeLoad };
  });

  return async (req, res) => {
    const path = safePathname(req.url ?? '/');
    if (path !== STATS_API_PREFIX && !path.startsWith(`${STATS_API_PREFIX}/`)) return false;
    if (await router.handle(req, res)) return true;
    sendError(res, new HttpError(404, 'not-found', `no statistics at ${path.slice(0, 100)}`));
    return true;
  };
}

function scopeOf(query: StatsQuery) {
  return { from: query.from, to: query.to, tenantIds: query.tenantIds };
}

function searchOf(req: IncomingMessage): URLSearchParams {
  try {
    return new URL(req.url ?? '/', 'http://stats.invalid').searchParams;
  } catch {
    throw new HttpError(400, 'bad-request', 'the request URL cannot be parsed');
  }
}
