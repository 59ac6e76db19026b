import type { Database } from '../../src/db/Database.ts';
import { NodeSampleRepository } from '../../src/db/NodeSampleRepository.ts';
import { TenantRepository } from '../../src/db/TenantRepository.ts';

/** 2025-01-01T00:00:00Z: every time in the hand-built history is T0 + minutes. */
export const T0 = Date.UTC(2025, 0, 1);
export const MIN = 60_000;
export const at = (minutes: number): number => T0 + minutes * MIN;

export interface BuiltHistory {
  alpha: string;
  beta: string;
  /** A tenant with no meetings at all. */
  gamma: string;
  /** room_sessions ids by room. */
  rooms: Record<string, string>;
}

/**
 * A small history with answers worked out by hand (test/stats/StatsReports.test.ts lists them).
 * Minutes from T0; stays are [join, leave), `null` = still there.
 *
 * alpha  mA1 0–60 peak 3: a1 0–60, a2 10–50, a3 20–30          nodes n1 0–59
 *        mA2 30–90 peak 2: a4 30–90, a5 40–45                 nodes n1 30–89, n2 31–89
 *        mA3 created at 100, never started
 *        mA4 200–(running) peak 12: u0..u11 200–null          nodes n2 200–239, n3 300–400
 * beta   mB1 50–110 peak 7: b1..b7 50–110                     nodes n2 50–109
 *        mB2 -30–20 peak 1: b8 -30–20                         no node seen
 * direct r1 10–40 peak 2: d1 10–40, d2 15–25                  nodes n1 10–39
 *        r2 300–320 peak 1: d3 300–320
 *        r3 250–(open) peak 2: d4 250–null, d5 255–258
 * node samples: n1 eu at 1 (cpu .2, 1/4 Mbit/s in/out), 2 (.4, 3/8), 70 (eu-west, .9, 10/20), -1 and 250;
 *               n2 us at 65 (.5) and 130 (.1)
 */
export async function buildHistory(db: Database): Promise<BuiltHistory> {
  const tenants = new TenantRepository(db);
  const alpha = (await tenants.create({ name: 'alpha', secrets: ['sa'] })).id;
  const beta = (await tenants.create({ name: 'beta', secrets: ['sb'] })).id;
  const gamma = (await tenants.create({ name: 'gamma', secrets: ['sg'] })).id;

  const meeting = async (
    id: string,
    tenant: string,
    start: number | null,
    end: number | null,
    peak: number,
  ) => {
    await db.execute(
      `INSERT INTO meetings (id, tenant_id, external_id, room, name, attendee_pw, moderator_pw, created_at,
         started_at, ended_at, peak_users)
       VALUES (?, ?, ?, ?, ?, 'ap', 'mp', ?, ?, ?, ?)`,
      [
        id,
        tenant,
        `ext-${id}`,
        `room-${id}`,
        `Meeting ${id}`,
        at(start ?? 100),
        start === null ? null : at(start),
        end === null ? null : at(end),
        peak,
      ],
    );
  };
  const stay = async (meetingId: string, tenant: string, who: string, join: number, leave: number | null) => {
    await db.execute(
      `INSERT INTO attendance (id, meeting_id, tenant_id, participant_id, user_id, full_name, role, joined_at, left_at)
       VALUES (?, ?, ?, ?, ?, ?, 'viewer', ?, ?)`,
      [`${meetingId}-${who}`, meetingId, tenant, who, who, who, at(join), leave === null ? null : at(leave)],
    );
  };
  const rooms: Record<string, string> = {};
  const room = async (name: string, open: number, close: number | null, peak: number) => {
    rooms[name] = `session-${name}`;
    await db.execute(
      `INSERT INTO room_sessions (id, room, opened_at, closed_at, peak_users, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [rooms[name], name, at(open), close === null ? null : at(close), peak, at(close ?? open)],
    );
  };
  const roomStay = async (name: string, who: string, join: number, leave: number | null) => {
    await db.execute(
      'INSERT INTO room_attendance (session_id, participant_id, joined_at, left_at) VALUES (?, ?, ?, ?)',
      [rooms[name]!, who, at(join), leave === null ? null : at(leave)],
    );
  };
  const seen = async (sessionId: string, nodeId: string, first: number, last: number) => {
    await db.execute(
      'INSERT INTO room_nodes (session_id, node_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)',
      [sessionId, nodeId, at(first), at(last)],
    );
  };

  await meeting('mA1', alpha, 0, 60, 3);
  await stay('mA1', alpha, 'a1', 0, 60);
  await stay('mA1', alpha, 'a2', 10, 50);
  await stay('mA1', alpha, 'a3', 20, 30);
  await seen('mA1', 'n1', 0, 59);
  await meeting('mA2', alpha, 30, 90, 2);
  await stay('mA2', alpha, 'a4', 30, 90);
  await stay('mA2', alpha, 'a5', 40, 45);
  await seen('mA2', 'n1', 30, 89);
  await seen('mA2', 'n2', 31, 89);
  await meeting('mA3', alpha, null, null, 0);
  await meeting('mA4', alpha, 200, null, 12);
  for (let i = 0; i < 12; i++) await stay('mA4', alpha, `u${i}`, 200, null);
  await seen('mA4', 'n2', 200, 239);
  await seen('mA4', 'n3', 300, 400);

  await meeting('mB1', beta, 50, 110, 7);
  for (let i = 1; i <= 7; i++) await stay('mB1', beta, `b${i}`, 50, 110);
  await seen('mB1', 'n2', 50, 109);
  await meeting('mB2', beta, -30, 20, 1);
  await stay('mB2', beta, 'b8', -30, 20);

  await room('r1', 10, 40, 2);
  await roomStay('r1', 'd1', 10, 40);
  await roomStay('r1', 'd2', 15, 25);
  await seen(rooms.r1!, 'n1', 10, 39);
  await room('r2', 300, 320, 1);
  await roomStay('r2', 'd3', 300, 320);
  await room('r3', 250, null, 2);
  await roomStay('r3', 'd4', 250, null);
  await roomStay('r3', 'd5', 255, 258);

  const samples = new NodeSampleRepository(db);
  const load = (
    nodeId: string,
    region: string,
    minute: number,
    cpu: number,
    inMbps: number,
    outMbps: number,
  ) => ({
    nodeId,
    region,
    sampledAt: at(minute),
    cpu,
    memoryBytes: 100_000_000 * (1 + Math.round(cpu * 10)),
    bitrateInBps: inMbps * 1e6,
    bitrateOutBps: outMbps * 1e6,
    packetsInPerSecond: 0,
    packetsOutPerSecond: 0,
    otms: Math.round(cpu * 10),
    subscribers: Math.round(cpu * 100),
  });
  await samples.insertIfAbsent(
    [
      load('n1', 'eu', -1, 0.7, 70, 70),
      load('n1', 'eu', 1, 0.2, 1, 4),
      load('n1', 'eu', 2, 0.4, 3, 8),
      load('n1', 'eu-west', 70, 0.9, 10, 20),
      load('n1', 'eu-west', 250, 0.8, 80, 80),
      load('n2', 'us', 65, 0.5, 5, 5),
      load('n2', 'us', 130, 0.1, 1, 1),
    ],
    10_000,
  );
  return { alpha, beta, gamma, rooms };
}
