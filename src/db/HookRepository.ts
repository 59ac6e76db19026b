import { ConstraintViolationError } from './ConstraintViolationError.ts';
import type { Database, Row } from './Database.ts';
import { bool, num, optionalStr, str } from './rowValues.ts';

export interface HookRecord {
  tenantId: string;
  /** BBB's hookID: a number, counted per tenant. */
  hookId: number;
  callbackUrl: string;
  /** A portal meetingID, or undefined for every meeting of the tenant. */
  meetingId?: string;
  /** Event ids the hook wants, or undefined for all. */
  eventIds?: string[];
  getRaw: boolean;
  /**
   * SHA-256 (hex) of the tenant secret that signed the hooks/create call: callbacks are signed with
   * that secret while the tenant still has it (see migration 0003). Undefined: the first secret.
   */
  secretFingerprint?: string;
  createdAt: number;
}

export type NewHook = Omit<HookRecord, 'hookId' | 'createdAt'>;

interface HookRow extends Row {
  tenant_id: string;
  hook_id: number;
  callback_url: string;
  meeting_id: string | null;
  event_ids: string | null;
  get_raw: number;
  secret_fingerprint: string | null;
  created_at: number;
}

const COLUMNS =
  'tenant_id, hook_id, callback_url, meeting_id, event_ids, get_raw, secret_fingerprint, created_at';

/** Webhook subscriptions (BBB's hooks/create, hooks/list, hooks/destroy). */
export class HookRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Registers a hook, or returns the one the tenant already has for the same callback URL and meeting
   * (BBB answers that case with a duplicateWarning).
   */
  async create(hook: NewHook, now = Date.now()): Promise<{ hook: HookRecord; created: boolean }> {
    // Two controllers may pick the same next id, or register the same hook at the same moment: the
    // primary key or hooks_one_per_target refuses one of them, which retries (and finds the other's).
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#db.transaction(async (tx) => {
          const existing = await tx.queryOne<HookRow>(
            `SELECT ${COLUMNS} FROM hooks WHERE tenant_id = ? AND callback_url = ?
             AND COALESCE(meeting_id, '') = ?`,
            [hook.tenantId, hook.callbackUrl, hook.meetingId ?? ''],
          );
          if (existing) return { hook: toHook(existing), created: false };
          const next = await tx.queryOne<{ next_id: number }>(
            'SELECT COALESCE(MAX(hook_id), 0) + 1 AS next_id FROM hooks WHERE tenant_id = ?',
            [hook.tenantId],
          );
          const record: HookRecord = { ...hook, hookId: num(next?.next_id), createdAt: now };
          await tx.execute(`INSERT INTO hooks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
            record.tenantId,
            record.hookId,
            record.callbackUrl,
            record.meetingId ?? null,
            record.eventIds && record.eventIds.length > 0 ? record.eventIds.join(',') : null,
            record.getRaw ? 1 : 0,
            record.secretFingerprint ?? null,
            now,
          ]);
          return { hook: record, created: true };
        });
      } catch (error) {
        if (!(error instanceof ConstraintViolationError) || error.kind !== 'unique' || attempt >= 4)
          throw error;
      }
    }
  }

  /** The tenant's hooks; with a meetingID, those for that meeting plus the tenant-wide ones. */
  async list(tenantId: string, meetingId?: string): Promise<HookRecord[]> {
    const rows =
      meetingId === undefined
        ? await this.#db.query<HookRow>(`SELECT ${COLUMNS} FROM hooks WHERE tenant_id = ? ORDER BY hook_id`, [
            tenantId,
          ])
        : await this.#db.query<HookRow>(
            `SELECT ${COLUMNS} FROM hooks WHERE tenant_id = ? AND (meeting_id IS NULL OR meeting_id = ?)
             ORDER BY hook_id`,
            [tenantId, meetingId],
          );
    return rows.map(toHook);
  }

  async remove(tenantId: string, hookId: number): Promise<boolean> {
    const { changes } = await this.#db.execute('DELETE FROM hooks WHERE tenant_id = ? AND hook_id = ?', [
      tenantId,
      hookId,
    ]);
    return changes > 0;
  }
}

function toHook(row: HookRow): HookRecord {
  const events = optionalStr(row.event_ids);
  return {
    tenantId: str(row.tenant_id),
    hookId: num(row.hook_id),
    callbackUrl: str(row.callback_url),
    meetingId: optionalStr(row.meeting_id),
    eventIds: events ? events.split(',') : undefined,
    getRaw: bool(row.get_raw),
    secretFingerprint: optionalStr(row.secret_fingerprint),
    createdAt: num(row.created_at),
  };
}
