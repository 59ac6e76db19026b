import type { Database, Row, SqlValue } from './Database.ts';
import { bool, jsonArray, jsonObject, num, str } from './rowValues.ts';
import { placeholderList } from './sqlPlaceholders.ts';
import { compareText } from './textOrder.ts';

export type RecordingState = 'processing' | 'processed' | 'published' | 'unpublished' | 'deleted';

export interface PlaybackFormat {
  type: string;
  url: string;
  processingTimeMs: number;
  lengthMinutes: number;
}

export interface RecordingRecord {
  recordId: string;
  tenantId: string;
  /** meetings.id of the meeting it recorded. */
  meetingId: string;
  externalMeetingId: string;
  name: string;
  state: RecordingState;
  published: boolean;
  startTime: number;
  endTime: number;
  participants: number;
  sizeBytes: number;
  metadata: Record<string, string>;
  playback: PlaybackFormat[];
  storagePath: string;
  createdAt: number;
  updatedAt: number;
}

export interface RecordingFilter {
  /** Portal meetingIDs. */
  externalMeetingIds?: string[];
  /** Full record ids or prefixes of them, as BBB's getRecordings accepts. */
  recordIds?: string[];
  /** Default: published and unpublished; 'any' for every state. */
  states?: RecordingState[] | 'any';
  /** meta_* filters: the recording's metadata value must be one of the listed values. */
  meta?: Record<string, string[]>;
  offset?: number;
  limit?: number;
}

interface RecordingRow extends Row {
  record_id: string;
  tenant_id: string;
  meeting_id: string;
  external_meeting_id: string;
  name: string;
  state: string;
  published: number;
  start_time: number;
  end_time: number;
  participants: number;
  size_bytes: number;
  metadata: string;
  playback: string;
  storage_path: string;
  created_at: number;
  updated_at: number;
}

const COLUMNS =
  'record_id, tenant_id, meeting_id, external_meeting_id, name, state, published, start_time, end_time, ' +
  'participants, size_bytes, metadata, playback, storage_path, created_at, updated_at';

/** Recording metadata; the media itself lives in the tenant's storage (a later slice). */
export class RecordingRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async save(recording: RecordingRecord): Promise<void> {
    await this.#db.execute(
      `INSERT INTO recordings (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (record_id) DO UPDATE SET name = excluded.name, state = excluded.state,
         published = excluded.published, start_time = excluded.start_time, end_time = excluded.end_time,
         participants = excluded.participants, size_bytes = excluded.size_bytes,
         metadata = excluded.metadata, playback = excluded.playback,
         storage_path = excluded.storage_path, updated_at = excluded.updated_at`,
      [
        recording.recordId,
        recording.tenantId,
        recording.meetingId,
        recording.externalMeetingId,
        recording.name,
        recording.state,
        recording.published ? 1 : 0,
        recording.startTime,
        recording.endTime,
        recording.participants,
        recording.sizeBytes,
        JSON.stringify(recording.metadata),
        JSON.stringify(recording.playback),
        recording.storagePath,
        recording.createdAt,
        recording.updatedAt,
      ],
    );
  }

  async get(tenantId: string, recordId: string): Promise<RecordingRecord | undefined> {
    const row = await this.#db.queryOne<RecordingRow>(
      `SELECT ${COLUMNS} FROM recordings WHERE tenant_id = ? AND record_id = ?`,
      [tenantId, recordId],
    );
    return row ? toRecording(row) : undefined;
  }

  /** The tenant's recordings matching the filter, newest first. */
  async list(tenantId: string, filter: RecordingFilter = {}): Promise<RecordingRecord[]> {
    const where = ['tenant_id = ?'];
    const params: SqlValue[] = [tenantId];
    if (filter.externalMeetingIds && filter.externalMeetingIds.length > 0) {
      where.push(`external_meeting_id IN (${placeholderList(filter.externalMeetingIds.length)})`);
      params.push(...filter.externalMeetingIds);
    }
    const states = filter.states ?? ['published', 'unpublished'];
    if (states !== 'any') {
      where.push(`state IN (${placeholderList(states.length)})`);
      params.push(...states);
    }
    const rows = await this.#db.query<RecordingRow>(
      `SELECT ${COLUMNS} FROM recordings WHERE ${where.join(' AND ')}`,
      params,
    );
    // Order, prefix and metadata matching stay out of SQL: text order follows the PostgreSQL
    // database's collation (textOrder.ts), and LIKE differs in case rules between the engines.
    const newestFirst = rows
      .map(toRecording)
      .sort((a, b) => b.startTime - a.startTime || compareText(a.recordId, b.recordId));
    const matching = newestFirst.filter((recording) => {
      if (filter.recordIds && !filter.recordIds.some((prefix) => recording.recordId.startsWith(prefix))) {
        return false;
      }
      for (const [name, values] of Object.entries(filter.meta ?? {})) {
        const value = recording.metadata[name];
        if (value === undefined || !values.includes(value)) return false;
      }
      return true;
    });
    const offset = filter.offset ?? 0;
    return matching.slice(offset, filter.limit === undefined ? undefined : offset + filter.limit);
  }

  /** Returns how many of the ids were the tenant's (not deleted) recordings. */
  async setPublished(
    tenantId: string,
    recordIds: string[],
    published: boolean,
    now = Date.now(),
  ): Promise<number> {
    const { changes } = await this.#db.execute(
      `UPDATE recordings SET published = ?, state = ?, updated_at = ?
       WHERE tenant_id = ? AND state IN ('published', 'unpublished') AND record_id IN (${placeholderList(recordIds.length)})`,
      [published ? 1 : 0, published ? 'published' : 'unpublished', now, tenantId, ...recordIds],
    );
    return changes;
  }

  /** Marks the recordings deleted (their files are removed by the storage side); returns how many. */
  async markDeleted(tenantId: string, recordIds: string[], now = Date.now()): Promise<number> {
    const { changes } = await this.#db.execute(
      `UPDATE recordings SET state = 'deleted', published = 0, updated_at = ?
       WHERE tenant_id = ? AND state <> 'deleted' AND record_id IN (${placeholderList(recordIds.length)})`,
      [now, tenantId, ...recordIds],
    );
    return changes;
  }

  /** Adds or replaces metadata entries and removes others; returns how many recordings it changed. */
  async updateMetadata(
    tenantId: string,
    recordIds: string[],
    set: Record<string, string>,
    remove: string[],
    now = Date.now(),
  ): Promise<number> {
    return this.#db.transaction(async (tx) => {
      // Claim the rows before reading them: PostgreSQL runs concurrent updates side by side, and two
      // that both read first would each write back a copy without the other's change.
      await tx.execute(
        `UPDATE recordings SET updated_at = ?
         WHERE tenant_id = ? AND state <> 'deleted' AND record_id IN (${placeholderList(recordIds.length)})`,
        [now, tenantId, ...recordIds],
      );
      const rows = await tx.query<{ record_id: string; metadata: string }>(
        `SELECT record_id, metadata FROM recordings
         WHERE tenant_id = ? AND state <> 'deleted' AND record_id IN (${placeholderList(recordIds.length)})`,
        [tenantId, ...recordIds],
      );
      for (const row of rows) {
        const metadata = { ...jsonObject<Record<string, string>>(row.metadata), ...set };
        for (const name of remove) delete metadata[name];
        await tx.execute('UPDATE recordings SET metadata = ?, updated_at = ? WHERE record_id = ?', [
          JSON.stringify(metadata),
          now,
          row.record_id,
        ]);
      }
      return rows.length;
    });
  }
}

function toRecording(row: RecordingRow): RecordingRecord {
  return {
    recordId: str(row.record_id),
    tenantId: str(row.tenant_id),
    meetingId: str(row.meeting_id),
    externalMeetingId: str(row.external_meeting_id),
    name: str(row.name),
    state: str(row.state) as RecordingState,
    published: bool(row.published),
    startTime: num(row.start_time),
    endTime: num(row.end_time),
    participants: num(row.participants),
    sizeBytes: num(row.size_bytes),
    metadata: jsonObject<Record<string, string>>(row.metadata),
    playback: jsonArray<PlaybackFormat>(row.playback),
    storagePath: str(row.storage_path),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}
