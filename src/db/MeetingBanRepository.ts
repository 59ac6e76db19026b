import type { Database } from './Database.ts';

/** Users a moderator removed from a meeting, who may not join it again (see migration 0005). */
export class MeetingBanRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Idempotent: a second removal of the same user keeps the first time. */
  async ban(meetingId: string, userId: string, at: number): Promise<void> {
    await this.#db.execute(
      `INSERT INTO meeting_bans (meeting_id, user_id, banned_at) VALUES (?, ?, ?)
       ON CONFLICT (meeting_id, user_id) DO NOTHING`,
      [meetingId, userId, at],
    );
  }

  async isBanned(meetingId: string, userId: string): Promise<boolean> {
    const row = await this.#db.queryOne(
      'SELECT 1 AS banned FROM meeting_bans WHERE meeting_id = ? AND user_id = ?',
      [meetingId, userId],
    );
    return row !== undefined;
  }
}
