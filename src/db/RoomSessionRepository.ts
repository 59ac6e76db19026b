import { randomUUID } from 'node:crypto';
import type { Database, Row } from './Database.ts';
import { num, optionalNum, optionalStr, str } from './rowValues.ts';
import { compareText } from './textOrder.ts';

/** One life of a room that is not a portal meeting: from its first participant until it closed. */
export interface RoomSession {
  id: string;
  room: string;
  openedAt: number;
  closedAt?: number;
  closeReason?: string;
  peakUsers: number;
  lastSeenAt: number;
}

export interface RoomAttendance {
  sessionId: string;
  participantId: string;
  joinedAt: number;
  leftAt?: number;
  leaveReason?: string;
}

interface RoomSessionRow extends Row {
  id: string;
  room: string;
  opened_at: number;
  closed_at: number | null;
  close_reason: string | null;
  peak_users: number;
  last_seen_at: number;
}

interface RoomAttendanceRow extends Row {
  session_id: string;
  participant_id: string;
  joined_at: number;
  left_at: number | null;
  leave_reason: string | null;
}

const COLUMNS = 'id, room, opened_at, closed_at, close_reason, peak_users, last_seen_at';

/**
 * History of rooms outside the portal (meetings/attendance hold the portal's). Every write is keyed
 * so that repeating it, or two controllers doing it, changes nothing: one open session per room
 * name (a partial unique index), one attendance row per session and participant.
 */
export class RoomSessionRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The room's open session, opened now unless one is open already. */
  async openIfAbsent(room: string, at: number): Promise<{ session: RoomSession; opened: boolean }> {
    // Retried because the open session that blocked the insert may close before it is read back.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.#db.query(
        `INSERT INTO room_sessions (id, room, opened_at, peak_users, last_seen_at) VALUES (?, ?, ?, 0, ?)
         ON CONFLICT (room) WHERE closed_at IS NULL DO NOTHING
         RETURNING id`,
        [randomUUID(), room, at, at],
      );
      const open = await this.findOpen(room);
      if (open) return { session: open, opened: inserted.length > 0 };
    }
    throw new Error(`room ${room} keeps closing while its session is being opened`);
  }

  async findOpen(room: string): Promise<RoomSession | undefined> {
    const row = await this.#db.queryOne<RoomSessionRow>(
      `SELECT ${COLUMNS} FROM room_sessions WHERE room = ? AND closed_at IS NULL`,
      [room],
    );
    return row ? toSession(row) : undefined;
  }

  async get(id: string): Promise<RoomSession | undefined> {
    const row = await this.#db.queryOne<RoomSessionRow>(`SELECT ${COLUMNS} FROM room_sessions WHERE id = ?`, [
      id,
    ]);
    return row ? toSession(row) : undefined;
  }

  /** Every open session, oldest first (then by id). */
  async listOpen(): Promise<RoomSession[]> {
    const rows = await this.#db.query<RoomSessionRow>(
      `SELECT ${COLUMNS} FROM room_sessions WHERE closed_at IS NULL`,
    );
    return rows.map(toSession).sort((a, b) => a.openedAt - b.openedAt || compareText(a.id, b.id));
  }

  /**
   * Records a participant's arrival (once: a repeat changes nothing) and raises the session's peak to
   * the number now inside. Returns false when the session is closed or unknown.
   */
  async recordJoin(sessionId: string, participantId: string, at: number): Promise<boolean> {
    const open = await this.#db.queryOne('SELECT id FROM room_sessions WHERE id = ? AND closed_at IS NULL', [
      sessionId,
    ]);
    if (!open) return false;
    await this.#db.execute(
      `INSERT INTO room_attendance (session_id, participant_id, joined_at) VALUES (?, ?, ?)
       ON CONFLICT (session_id, participant_id) DO NOTHING`,
      [sessionId, participantId, at],
    );
    const inside = num(
      (
        await this.#db.queryOne<{ n: number }>(
          'SELECT COUNT(*) AS n FROM room_attendance WHERE session_id = ? AND left_at IS NULL',
          [sessionId],
        )
      )?.n,
    );
    await this.#db.execute(
      `UPDATE room_sessions SET peak_users = CASE WHEN peak_users < ? THEN ? ELSE peak_users END,
         last_seen_at = CASE WHEN last_seen_at < ? THEN ? ELSE last_seen_at END
       WHERE id = ?`,
      [inside, inside, at, at, sessionId],
    );
    return true;
  }

  /** Closes the participant's stay; false when it was not open. */
  async recordLeave(sessionId: string, participantId: string, at: number, reason: string): Promise<boolean> {
    const { changes } = await this.#db.execute(
      `UPDATE room_attendance SET left_at = ?, leave_reason = ?
       WHERE session_id = ? AND participant_id = ? AND left_at IS NULL`,
      [at, reason, sessionId, participantId],
    );
    await this.touch([sessionId], at);
    return changes > 0;
  }

  /** Closes the room's open session and the stays still open in it; returns the session closed, if any. */
  async close(room: string, at: number, reason: string): Promise<RoomSession | undefined> {
    const open = await this.findOpen(room);
    if (!open) return undefined;
    return (await this.#closeSession(open.id, at, reason)) ? this.get(open.id) : undefined;
  }

  /** Notes that the home controller saw these sessions' rooms alive at `at`. */
  async touch(sessionIds: readonly string[], at: number): Promise<void> {
    for (let i = 0; i < sessionIds.length; i += 500) {
      const chunk = sessionIds.slice(i, i + 500);
      await this.#db.execute(
        `UPDATE room_sessions SET last_seen_at = ?
         WHERE closed_at IS NULL AND last_seen_at < ? AND id IN (${chunk.map(() => '?').join(', ')})`,
        [at, at, ...chunk],
      );
    }
  }

  /**
   * Closes sessions nobody has seen alive since `seenBefore` (their controller died without closing
   * them), at the time they were last seen; returns how many.
   */
  async closeAbandoned(seenBefore: number): Promise<number> {
    const stale = await this.#db.query<{ id: string; last_seen_at: number }>(
      'SELECT id, last_seen_at FROM room_sessions WHERE closed_at IS NULL AND last_seen_at < ?',
      [seenBefore],
    );
    let closed = 0;
    for (const row of stale) {
      if (await this.#closeSession(str(row.id), num(row.last_seen_at), 'abandoned')) closed++;
    }
    return closed;
  }

  /** The session's stays in the order they began (then by participant id). */
  async listAttendance(sessionId: string): Promise<RoomAttendance[]> {
    const rows = await this.#db.query<RoomAttendanceRow>(
      `SELECT session_id, participant_id, joined_at, left_at, leave_reason FROM room_attendance
       WHERE session_id = ?`,
      [sessionId],
    );
    return rows
      .map(toAttendance)
      .sort((a, b) => a.joinedAt - b.joinedAt || compareText(a.participantId, b.participantId));
  }

  /** Closes one session if still open (the UPDATE decides between racing controllers). */
  async #closeSession(id: string, at: number, reason: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const { changes } = await tx.execute(
        'UPDATE room_sessions SET closed_at = ?, close_reason = ? WHERE id = ? AND closed_at IS NULL',
        [at, reason, id],
      );
      if (changes === 0) return false;
      await tx.execute(
        `UPDATE room_attendance SET left_at = CASE WHEN joined_at > ? THEN joined_at ELSE ? END,
           leave_reason = ?
         WHERE session_id = ? AND left_at IS NULL`,
        [at, at, `room-${reason}`, id],
      );
      return true;
    });
  }
}

function toSession(row: RoomSessionRow): RoomSession {
  return {
    id: str(row.id),
    room: str(row.room),
    openedAt: num(row.opened_at),
    closedAt: optionalNum(row.closed_at),
    closeReason: optionalStr(row.close_reason),
    peakUsers: num(row.peak_users),
    lastSeenAt: num(row.last_seen_at),
  };
}

function toAttendance(row: RoomAttendanceRow): RoomAttendance {
  return {
    sessionId: str(row.session_id),
    participantId: str(row.participant_id),
    joinedAt: num(row.joined_at),
    leftAt: optionalNum(row.left_at),
    leaveReason: optionalStr(row.leave_reason),
  };
}
