import type { Database, Row } from './Database.ts';
import { num, str } from './rowValues.ts';
import { compareText } from './textOrder.ts';

export interface RoomNodeSighting {
  /** meetings.id for a portal meeting, room_sessions.id for any other room. */
  sessionId: string;
  nodeId: string;
  firstSeenAt: number;
  lastSeenAt: number;
}

interface RoomNodeRow extends Row {
  session_id: string;
  node_id: string;
  first_seen_at: number;
  last_seen_at: number;
}

/**
 * Which media nodes carried each meeting's streams, as first and last seen by the room's home
 * controller. An upsert that only widens the seen interval, so repeats and several controllers agree.
 */
export class RoomNodeRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async noteSeen(sightings: readonly { sessionId: string; nodeId: string }[], at: number): Promise<void> {
    for (const { sessionId, nodeId } of sightings) {
      await this.#db.execute(
        `INSERT INTO room_nodes (session_id, node_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (session_id, node_id) DO UPDATE SET
           first_seen_at = CASE WHEN excluded.first_seen_at < room_nodes.first_seen_at
             THEN excluded.first_seen_at ELSE room_nodes.first_seen_at END,
           last_seen_at = CASE WHEN excluded.last_seen_at > room_nodes.last_seen_at
             THEN excluded.last_seen_at ELSE room_nodes.last_seen_at END`,
        [sessionId, nodeId, at, at],
      );
    }
  }

  /** The nodes seen carrying the session, by node id (code point order). */
  async listForSession(sessionId: string): Promise<RoomNodeSighting[]> {
    const rows = await this.#db.query<RoomNodeRow>(
      'SELECT session_id, node_id, first_seen_at, last_seen_at FROM room_nodes WHERE session_id = ?',
      [sessionId],
    );
    return rows
      .map((row) => ({
        sessionId: str(row.session_id),
        nodeId: str(row.node_id),
        firstSeenAt: num(row.first_seen_at),
        lastSeenAt: num(row.last_seen_at),
      }))
      .sort((a, b) => compareText(a.nodeId, b.nodeId));
  }

  /** Forgets sightings that ended before `before` (retention); returns how many went. */
  async pruneBefore(before: number): Promise<number> {
    const { changes } = await this.#db.execute('DELETE FROM room_nodes WHERE last_seen_at < ?', [before]);
    return changes;
  }
}
