import { randomUUID } from 'node:crypto';
import type { Database, Queryable, Row } from './Database.ts';
import { bool, jsonObject, num, str } from './rowValues.ts';
import { compareText } from './textOrder.ts';

/** Applied to the meeting page a tenant's users see. */
export interface TenantTheme {
  name?: string;
  logoUrl?: string;
  /** CSS colours by role, e.g. `{ "primary": "#0a58ca", "background": "#fff" }`. */
  colors?: Record<string, string>;
}

/**
 * A tenant's presets, kept as one JSON column so new kinds of settings need no migration.
 * Create and join parameters use BigBlueButton's names; defaults apply when the portal does not send
 * the parameter, overrides win over whatever the portal sent (Scalelite's semantics).
 */
export interface TenantSettings {
  defaultCreateParams?: Record<string, string>;
  overrideCreateParams?: Record<string, string>;
  defaultJoinParams?: Record<string, string>;
  overrideJoinParams?: Record<string, string>;
  theme?: TenantTheme;
  /** Where users go when they leave, unless the create call gave a logoutURL. */
  logoutUrl?: string;
}

export interface Tenant {
  id: string;
  name: string;
  region: string;
  /** Lower case, without port. */
  hostnames: string[];
  /** In the order given; the first one is the one `dotm secret` prints. */
  secrets: string[];
  settings: TenantSettings;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewTenant {
  name: string;
  secrets: string[];
  region?: string;
  hostnames?: string[];
  settings?: TenantSettings;
  isDefault?: boolean;
}

export interface TenantPatch {
  name?: string;
  region?: string;
  settings?: TenantSettings;
  /** Replaces the whole list. */
  hostnames?: string[];
  /** Replaces the whole list, in order (add a new secret, later drop the old one, to rotate). */
  secrets?: string[];
}

interface TenantRow extends Row {
  id: string;
  name: string;
  region: string;
  settings: string;
  is_default: number;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'id, name, region, settings, is_default, created_at, updated_at';

/** Tenants with their hostnames and secrets. Unique name, hostnames and secrets are the schema's job. */
export class TenantRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async create(input: NewTenant, now = Date.now()): Promise<Tenant> {
    const id = randomUUID();
    await this.#db.transaction(async (tx) => {
      await tx.execute(`INSERT INTO tenants (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
        id,
        input.name,
        input.region ?? '',
        JSON.stringify(input.settings ?? {}),
        input.isDefault ? 1 : 0,
        now,
        now,
      ]);
      await replaceHostnames(tx, id, input.hostnames ?? []);
      await replaceSecrets(tx, id, input.secrets, now);
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Tenant | undefined> {
    return this.#one(`SELECT ${COLUMNS} FROM tenants WHERE id = ?`, [id]);
  }

  async findByName(name: string): Promise<Tenant | undefined> {
    return this.#one(`SELECT ${COLUMNS} FROM tenants WHERE name = ?`, [name]);
  }

  /** By id, else by name: what an administrator types (`dotm tenant update physics-dept`). */
  async findByIdOrName(key: string): Promise<Tenant | undefined> {
    return (await this.get(key)) ?? (await this.findByName(key));
  }

  async findByHostname(hostname: string): Promise<Tenant | undefined> {
    return this.#one(
      `SELECT ${COLUMNS} FROM tenants WHERE id = (SELECT tenant_id FROM tenant_hostnames WHERE hostname = ?)`,
      [normalizeHostname(hostname)],
    );
  }

  async findDefault(): Promise<Tenant | undefined> {
    return this.#one(`SELECT ${COLUMNS} FROM tenants WHERE is_default = 1`, []);
  }

  /** Every tenant with its hostnames and secrets, by name (code point order, see textOrder.ts). */
  async list(): Promise<Tenant[]> {
    const [rows, hostnames, secrets] = await Promise.all([
      this.#db.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants`),
      this.#db.query<{ tenant_id: string; hostname: string }>(
        'SELECT tenant_id, hostname FROM tenant_hostnames',
      ),
      this.#db.query<{ tenant_id: string; secret: string }>(
        'SELECT tenant_id, secret FROM tenant_secrets ORDER BY position',
      ),
    ]);
    rows.sort((x, y) => compareText(x.name, y.name));
    hostnames.sort((x, y) => compareText(x.hostname, y.hostname));
    return rows.map((row) =>
      toTenant(
        row,
        hostnames.filter((h) => h.tenant_id === row.id).map((h) => h.hostname),
        secrets.filter((s) => s.tenant_id === row.id).map((s) => s.secret),
      ),
    );
  }

  async update(id: string, patch: TenantPatch, now = Date.now()): Promise<Tenant | undefined> {
    const found = await this.#db.transaction(async (tx) => {
      // Claim the row before reading it. PostgreSQL runs concurrent updates side by side: two that
      // both read first would each write back the fields the other had just changed.
      const claimed = await tx.execute('UPDATE tenants SET updated_at = ? WHERE id = ?', [now, id]);
      if (claimed.changes === 0) return false;
      const current = await tx.queryOne<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = ?`, [id]);
      if (!current) return false;
      await tx.execute('UPDATE tenants SET name = ?, region = ?, settings = ? WHERE id = ?', [
        patch.name ?? current.name,
        patch.region ?? current.region,
        patch.settings === undefined ? current.settings : JSON.stringify(patch.settings),
        id,
      ]);
      if (patch.hostnames) await replaceHostnames(tx, id, patch.hostnames);
      if (patch.secrets) await replaceSecrets(tx, id, patch.secrets, now);
      return true;
    });
    return found ? this.get(id) : undefined;
  }

  /** Fails with a foreign-key ConstraintViolationError while meetings or recordings refer to it. */
  async remove(id: string): Promise<boolean> {
    const { changes } = await this.#db.execute('DELETE FROM tenants WHERE id = ?', [id]);
    return changes > 0;
  }

  async #one(sql: string, params: string[]): Promise<Tenant | undefined> {
    const row = await this.#db.queryOne<TenantRow>(sql, params);
    if (!row) return undefined;
    const [hostnames, secrets] = await Promise.all([
      this.#db.query<{ hostname: string }>('SELECT hostname FROM tenant_hostnames WHERE tenant_id = ?', [
        row.id,
      ]),
      this.#db.query<{ secret: string }>(
        'SELECT secret FROM tenant_secrets WHERE tenant_id = ? ORDER BY position',
        [row.id],
      ),
    ]);
    return toTenant(
      row,
      hostnames.map((h) => h.hostname).sort(compareText),
      secrets.map((s) => s.secret),
    );
  }
}

/** Host header form to stored form: lower case, no port, no trailing dot. */
export function normalizeHostname(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    name = close === -1 ? name : name.slice(0, close + 1);
  } else {
    const colon = name.indexOf(':');
    if (colon !== -1) name = name.slice(0, colon);
  }
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

async function replaceHostnames(tx: Queryable, tenantId: string, hostnames: string[]): Promise<void> {
  await tx.execute('DELETE FROM tenant_hostnames WHERE tenant_id = ?', [tenantId]);
  for (const hostname of new Set(hostnames.map(normalizeHostname).filter((h) => h !== ''))) {
    await tx.execute('INSERT INTO tenant_hostnames (hostname, tenant_id) VALUES (?, ?)', [
      hostname,
      tenantId,
    ]);
  }
}

async function replaceSecrets(
  tx: Queryable,
  tenantId: string,
  secrets: string[],
  now: number,
): Promise<void> {
  const previous = await tx.query<{ secret: string; created_at: number }>(
    'SELECT secret, created_at FROM tenant_secrets WHERE tenant_id = ?',
    [tenantId],
  );
  const createdAt = new Map(previous.map((p) => [p.secret, num(p.created_at)]));
  await tx.execute('DELETE FROM tenant_secrets WHERE tenant_id = ?', [tenantId]);
  const wanted = [...new Set(secrets.filter((s) => s !== ''))];
  for (const [position, secret] of wanted.entries()) {
    await tx.execute(
      'INSERT INTO tenant_secrets (secret, tenant_id, position, created_at) VALUES (?, ?, ?, ?)',
      [secret, tenantId, position, createdAt.get(secret) ?? now],
    );
  }
}

function toTenant(row: TenantRow, hostnames: string[], secrets: string[]): Tenant {
  return {
    id: str(row.id),
    name: str(row.name),
    region: str(row.region),
    hostnames,
    secrets,
    settings: jsonObject<TenantSettings>(row.settings),
    isDefault: bool(row.is_default),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}
