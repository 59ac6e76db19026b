import type { Database, Row, SqlValue } from '../db/Database.ts';
import { HOUR_MS } from '../db/NodeSampleRepository.ts';
import { num, optionalNum, str } from '../db/rowValues.ts';
import { compareText } from '../db/textOrder.ts';
import { peakPerSlot, type Stay, slotStarts } from './peakConcurrency.ts';
import type {
  LiveRoomView,
  MeetingSummary,
  MeetingsPerNode,
  NodeLoadOverTime,
  NodeLoadSeries,
  ReportScope,
  RoomSizeBucket,
  RoomSizeDistribution,
  UsersOverTime,
} from './statsApiTypes.ts';

/** The room sizes of the Mconf report (virtual room size = a meeting's most simultaneous users). */
export const ROOM_SIZE_BUCKETS: readonly { minUsers: number; maxUsers: number | null }[] = [
  { minUsers: 1, maxUsers: 1 },
  { minUsers: 2, maxUsers: 2 },
  { minUsers: 3, maxUsers: 5 },
  { minUsers: 6, maxUsers: 10 },
  { minUsers: 11, maxUsers: 25 },
  { minUsers: 26, maxUsers: 50 },
  { minUsers: 51, maxUsers: 100 },
  { minUsers: 101, maxUsers: null },
];

/** The name the reports give rooms that no portal created (tenantId null). */
export const DIRECT_ROOMS_NAME = 'rooms outside the portal';

/** One node's samples in one slot, summed. */
interface SlotSums {
  samples: number;
  cpu: number;
  cpuMax: number;
  memory: number;
  bpsIn: number;
  bpsOut: number;
  otms: number;
  subscribers: number;
}

function emptySums(): SlotSums {
  return { samples: 0, cpu: 0, cpuMax: 0, memory: 0, bpsIn: 0, bpsOut: 0, otms: 0, subscribers: 0 };
}

interface Sql {
  text: string;
  params: SqlValue[];
}

/**
 * The usage reports of the Mconf paper (section 3.2), over any interval, for one tenant, a group of
 * tenants or the whole network. Aggregates are computed by SQL both engines run alike; only the
 * simultaneous-user sweeps run here, over the stays SQL selects (sorting on numbers only, see
 * src/db/Database.ts). Tenant isolation is the caller's: a scope names the tenants it may see.
 */
export class StatsReports {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async summary(scope: ReportScope): Promise<MeetingSummary> {
    const meetings = this.#meetingsInScope(scope);
    const row = await this.#db.queryOne(
      `SELECT COUNT(*) AS meetings,
         SUM(CASE WHEN s.ended_at IS NULL THEN 0 ELSE 1 END) AS ended,
         SUM(CASE WHEN s.ended_at IS NULL THEN 0 ELSE s.ended_at - s.started_at END) AS ended_duration,
         SUM(s.peak_users) AS peak_sum
       FROM (${meetings.text}) s`,
      meetings.params,
    );
    const count = num(row?.meetings);
    const ended = num(row?.ended);
    const [maxSimultaneousUsers] = peakPerSlot(
      await this.#stays(scope),
      scope.from,
      scope.to,
      scope.to - scope.from,
    );
    return {
      from: scope.from,
      to: scope.to,
      tenantIds: scope.tenantIds,
      meetings: count,
      endedMeetings: ended,
      averageDurationMs: ended > 0 ? Math.round(num(row?.ended_duration) / ended) : null,
      averagePeakUsers: count > 0 ? round(num(row?.peak_sum) / count, 2) : null,
      maxSimultaneousUsers: maxSimultaneousUsers ?? 0,
    };
  }

  async roomSizes(scope: ReportScope): Promise<RoomSizeDistribution> {
    const meetings = this.#meetingsInScope(scope);
    // Bucket bounds are this file's constants, not input: safe to write into the SQL.
    const cases = ROOM_SIZE_BUCKETS.map((bucket, index) =>
      bucket.maxUsers === null ? `ELSE ${index}` : `WHEN s.peak_users <= ${bucket.maxUsers} THEN ${index}`,
    ).join(' ');
    const rows = await this.#db.query(
      `SELECT b.size_bucket AS size_bucket, COUNT(*) AS meetings
       FROM (SELECT CASE ${cases} END AS size_bucket FROM (${meetings.text}) s) b
       GROUP BY b.size_bucket`,
      meetings.params,
    );
    const counts = new Map(rows.map((row) => [num(row.size_bucket), num(row.meetings)]));
    const buckets: RoomSizeBucket[] = ROOM_SIZE_BUCKETS.map((bucket, index) => ({
      label: sizeLabel(bucket.minUsers, bucket.maxUsers),
      minUsers: bucket.minUsers,
      maxUsers: bucket.maxUsers,
      meetings: counts.get(index) ?? 0,
    }));
    return { from: scope.from, to: scope.to, tenantIds: scope.tenantIds, buckets };
  }

  async meetingsPerNode(scope: ReportScope): Promise<MeetingsPerNode> {
    const meetings = this.#meetingsInScope(scope);
    const [perNode, unplaced] = await Promise.all([
      this.#db.query(
        `SELECT n.node_id AS node_id, COUNT(DISTINCT s.id) AS meetings
         FROM (${meetings.text}) s JOIN room_nodes n ON n.session_id = s.id
         WHERE n.first_seen_at < ? AND n.last_seen_at >= ?
         GROUP BY n.node_id`,
        [...meetings.params, scope.to, scope.from],
      ),
      this.#db.queryOne(
        `SELECT COUNT(*) AS meetings FROM (${meetings.text}) s
         WHERE NOT EXISTS (SELECT 1 FROM room_nodes n WHERE n.session_id = s.id
           AND n.first_seen_at < ? AND n.last_seen_at >= ?)`,
        [...meetings.params, scope.to, scope.from],
      ),
    ]);
    return {
      from: scope.from,
      to: scope.to,
      tenantIds: scope.tenantIds,
      nodes: perNode
        .map((row) => ({ nodeId: str(row.node_id), meetings: num(row.meetings) }))
        .sort((a, b) => compareText(a.nodeId, b.nodeId)),
      withoutKnownNode: num(unplaced?.meetings),
    };
  }

  async usersOverTime(scope: ReportScope, bucketMs: number): Promise<UsersOverTime> {
    const [stays, names] = await Promise.all([this.#stays(scope), this.#tenantNames()]);
    const byTenant = new Map<string | null, Stay[]>();
    for (const id of scope.tenantIds) byTenant.set(id, []);
    for (const stay of stays) {
      const list = byTenant.get(stay.tenantId);
      if (list) list.push(stay);
      else byTenant.set(stay.tenantId, [stay]);
    }
    const series = [...byTenant]
      .map(([tenantId, list]) => ({
        tenantId,
        tenantName: tenantId === null ? DIRECT_ROOMS_NAME : (names.get(tenantId) ?? tenantId),
        peakUsers: peakPerSlot(list, scope.from, scope.to, bucketMs),
      }))
      .sort((a, b) =>
        a.tenantId === null ? 1 : b.tenantId === null ? -1 : compareText(a.tenantName, b.tenantName),
      );
    return {
      from: scope.from,
      to: scope.to,
      bucketMs,
      buckets: slotStarts(scope.from, scope.to, bucketMs),
      tenantIds: scope.tenantIds,
      total: peakPerSlot(stays, scope.from, scope.to, bucketMs),
      series,
    };
  }

  /**
   * CPU, memory and bandwidth per node; nodes serve every tenant, so there is no tenant filter. With
   * steps of an hour or more, the hours that are over come from the hourly sums (each hour counted in
   * the slot it starts in) and only the rest from the samples; averages are weighted by samples, so
   * both give the same figures when the slots start on the hour.
   */
  async nodeLoadOverTime(from: number, to: number, bucketMs: number): Promise<NodeLoadOverTime> {
    const buckets = slotStarts(from, to, bucketMs);
    let rawRanges: [number, number][] = [[from, to]];
    const sums: Row[] = [];
    if (bucketMs >= HOUR_MS) {
      const hoursStart = Math.ceil(from / HOUR_MS) * HOUR_MS;
      const last = optionalNum(
        (await this.#db.queryOne('SELECT MAX(hour_start) AS last FROM node_load_hours'))?.last,
      );
      const hoursEnd =
        last === undefined ? hoursStart : Math.min(Math.floor(to / HOUR_MS) * HOUR_MS, last + HOUR_MS);
      if (hoursEnd > hoursStart) {
        sums.push(
          ...(await this.#db.query(
            `SELECT x.node_id AS node_id, x.slot AS slot, SUM(x.samples) AS samples, SUM(x.cpu_permille_sum) AS cpu,
               MAX(x.cpu_permille_max) AS cpu_max, SUM(x.memory_bytes_sum) AS memory,
               SUM(x.bitrate_in_bps_sum) AS bps_in, SUM(x.bitrate_out_bps_sum) AS bps_out, SUM(x.otms_sum) AS otms,
               SUM(x.subscribers_sum) AS subscribers, MAX(x.hour_start) AS latest_hour
             FROM (SELECT h.*, (hour_start - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS slot FROM node_load_hours h
                   WHERE hour_start >= ? AND hour_start < ?) x
             GROUP BY x.node_id, x.slot`,
            [from, bucketMs, hoursStart, hoursEnd],
          )),
        );
        rawRanges = [
          [from, hoursStart],
          [hoursEnd, to],
        ];
      }
    }
    for (const [rangeFrom, rangeTo] of rawRanges) {
      if (rangeTo <= rangeFrom) continue;
      sums.push(
        // node:sqlite binds JS numbers as REAL: the casts keep the slot an integer division on both engines.
        ...(await this.#db.query(
          `SELECT x.node_id AS node_id, x.slot AS slot, COUNT(*) AS samples, SUM(x.cpu_permille) AS cpu,
             MAX(x.cpu_permille) AS cpu_max, SUM(x.memory_bytes) AS memory, SUM(x.bitrate_in_bps) AS bps_in,
             SUM(x.bitrate_out_bps) AS bps_out, SUM(x.otms) AS otms, SUM(x.subscribers) AS subscribers,
             MAX(x.bucket_start) AS latest_sample
           FROM (SELECT s.*, (sampled_at - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS slot FROM node_samples s
                 WHERE sampled_at >= ? AND sampled_at < ?) x
           GROUP BY x.node_id, x.slot`,
          [from, bucketMs, rangeFrom, rangeTo],
        )),
      );
    }

    const totals = new Map<string, { slots: SlotSums[]; latestSample?: number; latestHour?: number }>();
    for (const row of sums) {
      const nodeId = str(row.node_id);
      const slot = num(row.slot);
      if (slot < 0 || slot >= buckets.length) continue;
      let node = totals.get(nodeId);
      if (!node) {
        node = { slots: buckets.map(() => emptySums()) };
        totals.set(nodeId, node);
      }
      const into = node.slots[slot]!;
      into.samples += num(row.samples);
      into.cpu += num(row.cpu);
      into.cpuMax = Math.max(into.cpuMax, num(row.cpu_max));
      into.memory += num(row.memory);
      into.bpsIn += num(row.bps_in);
      into.bpsOut += num(row.bps_out);
      into.otms += num(row.otms);
      into.subscribers += num(row.subscribers);
      if (row.latest_sample !== undefined)
        node.latestSample = Math.max(node.latestSample ?? 0, num(row.latest_sample));
      if (row.latest_hour !== undefined)
        node.latestHour = Math.max(node.latestHour ?? 0, num(row.latest_hour));
    }

    const nodes: NodeLoadSeries[] = [];
    for (const [nodeId, node] of totals) {
      // The region of the node's latest sample (or hour) in the interval: one primary-key lookup.
      const region =
        node.latestSample !== undefined
          ? await this.#db.queryOne(
              'SELECT region FROM node_samples WHERE node_id = ? AND bucket_start = ?',
              [nodeId, node.latestSample],
            )
          : await this.#db.queryOne(
              'SELECT region FROM node_load_hours WHERE node_id = ? AND hour_start = ?',
              [nodeId, node.latestHour ?? 0],
            );
      const average = (pick: (sums: SlotSums) => number, scale: number, decimals: number) =>
        node.slots.map((sums) =>
          sums.samples === 0 ? null : round(pick(sums) / sums.samples / scale, decimals),
        );
      nodes.push({
        nodeId,
        region: str(region?.region),
        cpu: average((x) => x.cpu, 1000, 4),
        cpuMax: node.slots.map((sums) => (sums.samples === 0 ? null : round(sums.cpuMax / 1000, 4))),
        memoryBytes: average((x) => x.memory, 1, 0),
        mbpsIn: average((x) => x.bpsIn, 1e6, 3),
        mbpsOut: average((x) => x.bpsOut, 1e6, 3),
        otms: average((x) => x.otms, 1, 2),
        subscribers: average((x) => x.subscribers, 1, 2),
      });
    }
    return { from, to, bucketMs, buckets, nodes: nodes.sort((a, b) => compareText(a.nodeId, b.nodeId)) };
  }

  /**
   * Meetings running now (portal meetings that started and have not ended, and open rooms outside
   * the portal), with the participants inside and the nodes seen carrying them since `seenSince`.
   */
  async liveRooms(tenantIds: string[], seenSince: number): Promise<LiveRoomView[]> {
    const tenantFilter = tenantIds.length > 0 ? `AND m.tenant_id IN (${placeholders(tenantIds)})` : '';
    const portal = await this.#db.query(
      `SELECT m.id AS id, m.room AS room, m.name AS name, m.tenant_id AS tenant_id, t.name AS tenant_name,
         m.started_at AS started_at,
         (SELECT COUNT(*) FROM attendance a WHERE a.meeting_id = m.id AND a.left_at IS NULL) AS users
       FROM meetings m JOIN tenants t ON t.id = m.tenant_id
       WHERE m.ended_at IS NULL AND m.started_at IS NOT NULL ${tenantFilter}`,
      tenantIds,
    );
    const direct =
      tenantIds.length > 0
        ? []
        : await this.#db.query(
            `SELECT r.id AS id, r.room AS room, r.opened_at AS started_at,
               (SELECT COUNT(*) FROM room_attendance a WHERE a.session_id = r.id AND a.left_at IS NULL) AS users
             FROM room_sessions r WHERE r.closed_at IS NULL`,
          );
    const nodeRows = await this.#db.query(
      'SELECT session_id, node_id FROM room_nodes WHERE last_seen_at >= ?',
      [seenSince],
    );
    const nodesOf = new Map<string, string[]>();
    for (const row of nodeRows) {
      const id = str(row.session_id);
      nodesOf.set(id, [...(nodesOf.get(id) ?? []), str(row.node_id)]);
    }
    const view = (
      row: Record<string, SqlValue>,
      tenantId: string | null,
      tenantName: string,
      name: string,
    ): LiveRoomView => ({
      sessionId: str(row.id),
      room: str(row.room),
      name,
      tenantId,
      tenantName,
      startedAt: num(row.started_at),
      users: num(row.users),
      nodeIds: (nodesOf.get(str(row.id)) ?? []).sort(compareText),
    });
    return [
      ...portal.map((row) => view(row, str(row.tenant_id), str(row.tenant_name), str(row.name))),
      ...direct.map((row) => view(row, null, DIRECT_ROOMS_NAME, str(row.room))),
    ].sort((a, b) => b.users - a.users || a.startedAt - b.startedAt || compareText(a.sessionId, b.sessionId));
  }

  /** Every tenant, by name. */
  async tenants(): Promise<{ id: string; name: string }[]> {
    const rows = await this.#db.query('SELECT id, name FROM tenants');
    return rows
      .map((row) => ({ id: str(row.id), name: str(row.name) }))
      .sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id));
  }

  /** The given ids that name no tenant. */
  async unknownTenants(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query(`SELECT id FROM tenants WHERE id IN (${placeholders(ids)})`, [...ids]);
    const known = new Set(rows.map((row) => str(row.id)));
    return ids.filter((id) => !known.has(id));
  }

  /**
   * The meetings running during some part of the scope's interval: portal meetings that started, and
   * (for the whole network only) sessions of rooms outside the portal. Columns: id, tenant_id,
   * started_at, ended_at, peak_users.
   */
  #meetingsInScope(scope: ReportScope): Sql {
    const portal = `SELECT id, tenant_id, started_at, ended_at, peak_users FROM meetings
      WHERE started_at IS NOT NULL AND started_at < ? AND (ended_at IS NULL OR ended_at > ?)`;
    if (scope.tenantIds.length > 0) {
      return {
        text: `${portal} AND tenant_id IN (${placeholders(scope.tenantIds)})`,
        params: [scope.to, scope.from, ...scope.tenantIds],
      };
    }
    return {
      text: `${portal}
        UNION ALL
        SELECT id, CAST(NULL AS TEXT) AS tenant_id, opened_at AS started_at, closed_at AS ended_at, peak_users
        FROM room_sessions WHERE opened_at < ? AND (closed_at IS NULL OR closed_at > ?)`,
      params: [scope.to, scope.from, scope.to, scope.from],
    };
  }

  /** Participants' stays that overlap the interval, with their tenant (null outside the portal). */
  async #stays(scope: ReportScope): Promise<(Stay & { tenantId: string | null })[]> {
    const portal = `SELECT tenant_id, joined_at, left_at FROM attendance
      WHERE joined_at < ? AND (left_at IS NULL OR left_at > ?)`;
    const sql: Sql =
      scope.tenantIds.length > 0
        ? {
            text: `${portal} AND tenant_id IN (${placeholders(scope.tenantIds)})`,
            params: [scope.to, scope.from, ...scope.tenantIds],
          }
        : {
            text: `${portal}
              UNION ALL
              SELECT CAST(NULL AS TEXT) AS tenant_id, joined_at, left_at FROM room_attendance
              WHERE joined_at < ? AND (left_at IS NULL OR left_at > ?)`,
            params: [scope.to, scope.from, scope.to, scope.from],
          };
    const rows = await this.#db.query(sql.text, sql.params);
    return rows.map((row) => ({
      tenantId: row.tenant_id === null ? null : str(row.tenant_id),
      joinedAt: num(row.joined_at),
      leftAt: optionalNum(row.left_at),
    }));
  }

  async #tenantNames(): Promise<Map<string, string>> {
    return new Map((await this.tenants()).map((t) => [t.id, t.name]));
  }
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function sizeLabel(min: number, max: number | null): string {
  if (max === null) return `${min}+`;
  return min === max ? String(min) : `${min}–${max}`;
}
