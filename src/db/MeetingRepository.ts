import type { Database, Row } from './Database.ts';
import { bool, jsonObject, num, optionalNum, optionalStr, str } from './rowValues.ts';
import { compareText } from './textOrder.ts';

/** api: the end call; empty: everyone left; expired: nobody came; duration: ran out of time; failed: the runtime refused it. */
export type MeetingEndReason = 'api' | 'empty' | 'expired' | 'duration' | 'failed';

export interface MeetingRecord {
  /** BBB's internalMeetingID. */
  id: string;
  tenantId: string;
  /** The portal's meetingID. */
  externalId: string;
  room: string;
  name: string;
  attendeePw: string;
  moderatorPw: string;
  record: boolean;
  durationMinutes: number;
  maxParticipants: number;
  /** The effective create parameters (after the tenant's defaults and overrides), by BBB name. */
  createParams: Record<string, string>;
  metadata: Record<string, string>;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  endReason?: MeetingEndReason;
  peakUsers: number;
}

export type NewMeeting = Omit<MeetingRecord, 'startedAt' | 'endedAt' | 'endReason' | 'peakUsers'>;

interface MeetingRow extends Row {
  id: string;
  tenant_id: string;
  external_id: string;
  room: string;
  name: string;
  attendee_pw: string;
  moderator_pw: string;
  record: number;
  duration_minutes: number;
  max_participants: number;
  create_params: string;
  metadata: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  peak_users: number;
}

const COLUMNS =
  'id, tenant_id, external_id, room, name, attendee_pw, moderator_pw, record, duration_minutes, ' +
  'max_participants, create_params, metadata, created_at, started_at, ended_at, end_reason, peak_users';

/** Meeting instances. Every lookup a portal can trigger is scoped by tenant. */
export class MeetingRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Inserts the meeting unless the tenant already has an active one with that meetingID, and returns
   * the active one either way. Atomic against concurrent creates, also from other controllers: the
   * partial unique index decides.
   */
  async createIfAbsent(meeting: NewMeeting): Promise<{ meeting: MeetingRecord; created: boolean }> {
    // Retried because the active meeting that blocked the insert may end before it is read back.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.#db.query(
        `INSERT INTO meetings (id, tenant_id, external_id, room, name, attendee_pw, moderator_pw, record,
           duration_minutes, max_participants, create_params, metadata, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, external_id) WHERE ended_at IS NULL DO NOTHING
         RETURNING id`,
        [
          meeting.id,
          meeting.tenantId,
          meeting.externalId,
          meeting.room,
          meeting.name,
          meeting.attendeePw,
          meeting.moderatorPw,
          meeting.record ? 1 : 0,
          meeting.durationMinutes,
          meeting.maxParticipants,
          JSON.stringify(meeting.createParams),
          JSON.stringify(meeting.metadata),
          meeting.createdAt,
        ],
      );
      const active = await this.findActive(meeting.tenantId, meeting.externalId);
      if (active) return { meeting: active, created: inserted.length > 0 };
    }
    throw new Error(`meeting ${meeting.externalId} keeps ending while it is being created`);
  }

  async get(id: string): Promise<MeetingRecord | undefined> {
    return this.#one(`SELECT ${COLUMNS} FROM meetings WHERE id = ?`, [id]);
  }

  async findActive(tenantId: string, externalId: string): Promise<MeetingRecord | undefined> {
    return this.#one(
      `SELECT ${COLUMNS} FROM meetings WHERE tenant_id = ? AND external_id = ? AND ended_at IS NULL`,
      [tenantId, externalId],
    );
  }

  /** The active instance, or else the one created last (ended). */
  async findLatest(tenantId: string, externalId: string): Promise<MeetingRecord | undefined> {
    return this.#one(
      `SELECT ${COLUMNS} FROM meetings WHERE tenant_id = ? AND external_id = ?
       ORDER BY CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, created_at DESC LIMIT 1`,
      [tenantId, externalId],
    );
  }

  async findActiveByRoom(room: string): Promise<MeetingRecord | undefined> {
    return this.#one(`SELECT ${COLUMNS} FROM meetings WHERE room = ? AND ended_at IS NULL`, [room]);
  }

  /** The tenant's active meetings, oldest first (then by id). */
  async listActive(tenantId: string): Promise<MeetingRecord[]> {
    const rows = await this.#db.query<MeetingRow>(
      `SELECT ${COLUMNS} FROM meetings WHERE tenant_id = ? AND ended_at IS NULL`,
      [tenantId],
    );
    return rows.map(toMeeting).sort(oldestFirst);
  }

  /** Every tenant's active meetings (for the lifecycle sweep and the dashboard), oldest first. */
  async listAllActive(): Promise<MeetingRecord[]> {
    const rows = await this.#db.query<MeetingRow>(`SELECT ${COLUMNS} FROM meetings WHERE ended_at IS NULL`);
    return rows.map(toMeeting).sort(oldestFirst);
  }

  /** Sets the start time once: the first participant's arrival. */
  async markStarted(id: string, at: number): Promise<void> {
    await this.#db.execute('UPDATE meetings SET started_at = ? WHERE id = ? AND started_at IS NULL', [
      at,
      id,
    ]);
  }

  /** Raises the peak of simultaneous participants if `count` is above it. */
  async notePeakUsers(id: string, count: number): Promise<void> {
    await this.#db.execute(
      'UPDATE meetings SET peak_users = CASE WHEN peak_users < ? THEN ? ELSE peak_users END WHERE id = ?',
      [count, count, id],
    );
  }

  /** Ends an active meeting; false when it had already ended (another controller was first). */
  async end(id: string, at: number, reason: MeetingEndReason): Promise<boolean> {
    const { changes } = await this.#db.execute(
      'UPDATE meetings SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL',
      [at, reason, id],
    );
    return changes > 0;
  }

  async #one(sql: string, params: string[]): Promise<MeetingRecord | undefined> {
    const row = await this.#db.queryOne<MeetingRow>(sql, params);
    return row ? toMeeting(row) : undefined;
  }
}

/** Sorted here, not by ORDER BY: see textOrder.ts. */
function oldestFirst(a: MeetingRecord, b: MeetingRecord): number {
  return a.createdAt - b.createdAt || compareText(a.id, b.id);
}

function toMeeting(row: MeetingRow): MeetingRecord {
  const endReason = optionalStr(row.end_reason) as MeetingEndReason | undefined;
  return {
    id: str(row.id),
    tenantId: str(row.tenant_id),
    externalId: str(row.external_id),
    room: str(row.room),
    name: str(row.name),
    attendeePw: str(row.attendee_pw),
    moderatorPw: str(row.moderator_pw),
    record: bool(row.record),
    durationMinutes: num(row.duration_minutes),
    maxParticipants: num(row.max_participants),
    createParams: jsonObject<Record<string, string>>(row.create_params),
    metadata: jsonObject<Record<string, string>>(row.metadata),
    createdAt: num(row.created_at),
    startedAt: optionalNum(row.started_at),
    endedAt: optionalNum(row.ended_at),
    endReason,
    peakUsers: num(row.peak_users),
  };
}
