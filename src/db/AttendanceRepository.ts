import { randomUUID } from 'node:crypto';
import type { Database, Row } from './Database.ts';
import { num, optionalNum, optionalStr, str } from './rowValues.ts';
import { compareText } from './textOrder.ts';

export type AttendanceRole = 'moderator' | 'viewer';

export interface AttendanceRecord {
  id: string;
  meetingId: string;
  tenantId: string;
  participantId: string;
  userId: string;
  fullName: string;
  role: AttendanceRole;
  joinedAt: number;
  leftAt?: number;
  leaveReason?: string;
}

export type NewAttendance = Omit<AttendanceRecord, 'id' | 'leftAt' | 'leaveReason'>;

interface AttendanceRow extends Row {
  id: string;
  meeting_id: string;
  tenant_id: string;
  participant_id: string;
  user_id: string;
  full_name: string;
  role: string;
  joined_at: number;
  left_at: number | null;
  leave_reason: string | null;
}

const COLUMNS =
  'id, meeting_id, tenant_id, participant_id, user_id, full_name, role, joined_at, left_at, leave_reason';

/** Joins and leaves: the history usage statistics are computed from. */
export class AttendanceRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Opens the participant's session; undefined when one is already open (the join was recorded
   * before, e.g. by the room's previous home controller).
   */
  async recordJoin(entry: NewAttendance): Promise<AttendanceRecord | undefined> {
    const id = randomUUID();
    const inserted = await this.#db.query(
      `INSERT INTO attendance (id, meeting_id, tenant_id, participant_id, user_id, full_name, role, joined_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (meeting_id, participant_id) WHERE left_at IS NULL DO NOTHING
       RETURNING id`,
      [
        id,
        entry.meetingId,
        entry.tenantId,
        entry.participantId,
        entry.userId,
        entry.fullName,
        entry.role,
        entry.joinedAt,
      ],
    );
    return inserted.length > 0 ? { id, ...entry } : undefined;
  }

  /** Closes the participant's open session in that meeting; false if it had none open. */
  async recordLeave(meetingId: string, participantId: string, at: number, reason: string): Promise<boolean> {
    const { changes } = await this.#db.execute(
      `UPDATE attendance SET left_at = ?, leave_reason = ?
       WHERE meeting_id = ? AND participant_id = ? AND left_at IS NULL`,
      [at, reason, meetingId, participantId],
    );
    return changes > 0;
  }

  /** Closes every open session of a meeting (it ended); returns how many were open. */
  async closeAll(meetingId: string, at: number, reason: string): Promise<number> {
    const { changes } = await this.#db.execute(
      'UPDATE attendance SET left_at = ?, leave_reason = ? WHERE meeting_id = ? AND left_at IS NULL',
      [at, reason, meetingId],
    );
    return changes;
  }

  /** In the order they joined (then by id; sorted here, not by ORDER BY: see textOrder.ts). */
  async listForMeeting(meetingId: string): Promise<AttendanceRecord[]> {
    const rows = await this.#db.query<AttendanceRow>(
      `SELECT ${COLUMNS} FROM attendance WHERE meeting_id = ?`,
      [meetingId],
    );
    return rows.map(toAttendance).sort((a, b) => a.joinedAt - b.joinedAt || compareText(a.id, b.id));
  }

  async countOpen(meetingId: string): Promise<number> {
    const row = await this.#db.queryOne<{ n: number }>(
      'SELECT COUNT(*) AS n FROM attendance WHERE meeting_id = ? AND left_at IS NULL',
      [meetingId],
    );
    return num(row?.n);
  }

  /** When the meeting's last session closed, or undefined while one is open or none ever was. */
  async lastLeftAt(meetingId: string): Promise<number | undefined> {
    const row = await this.#db.queryOne<{ open: number; last: number | null }>(
      `SELECT SUM(CASE WHEN left_at IS NULL THEN 1 ELSE 0 END) AS open, MAX(left_at) AS last
       FROM attendance WHERE meeting_id = ?`,
      [meetingId],
    );
    if (!row || num(row.open) > 0) return undefined;
    return optionalNum(row.last);
  }
}

function toAttendance(row: AttendanceRow): AttendanceRecord {
  return {
    id: str(row.id),
    meetingId: str(row.meeting_id),
    tenantId: str(row.tenant_id),
    participantId: str(row.participant_id),
    userId: str(row.user_id),
    fullName: str(row.full_name),
    role: str(row.role) === 'moderator' ? 'moderator' : 'viewer',
    joinedAt: num(row.joined_at),
    leftAt: optionalNum(row.left_at),
    leaveReason: optionalStr(row.leave_reason),
  };
}
