import { randomInt } from 'node:crypto';
import { ConstraintViolationError } from '../db/ConstraintViolationError.ts';
import type { Database } from '../db/Database.ts';
import { type Tenant, TenantRepository } from '../db/TenantRepository.ts';

export interface DefaultTenantOptions {
  /** Default 'default'. */
  name?: string;
  /** A secret from the configuration; without one a random secret is made on first start. */
  secret?: string;
  region?: string;
  now?: number;
}

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_LENGTH = 40;

/**
 * The tenant a fresh installation answers with, like a new BigBlueButton server's one shared secret.
 * Created on first start. A configured secret becomes its first secret (the one printed); the
 * secrets it had stay valid. Safe when several controllers start at once on the same database.
 */
export async function ensureDefaultTenant(
  db: Database,
  options: DefaultTenantOptions = {},
): Promise<{ tenant: Tenant; created: boolean }> {
  const tenants = new TenantRepository(db);
  const now = options.now ?? Date.now();
  let existing = await tenants.findDefault();
  if (!existing) {
    try {
      const tenant = await tenants.create(
        {
          name: options.name ?? 'default',
          region: options.region ?? '',
          secrets: [options.secret || randomSecret()],
          isDefault: true,
        },
        now,
      );
      return { tenant, created: true };
    } catch (error) {
      // Another controller created it in the meantime.
      if (!(error instanceof ConstraintViolationError)) throw error;
      existing = await tenants.findDefault();
      if (!existing) throw error;
    }
  }
  if (options.secret && existing.secrets[0] !== options.secret) {
    const others = existing.secrets.filter((s) => s !== options.secret);
    const updated = await tenants.update(existing.id, { secrets: [options.secret, ...others] }, now);
    return { tenant: updated ?? existing, created: false };
  }
  return { tenant: existing, created: false };
}

/** `bbb-conf --secret`'s two lines: where the API is and the secret that signs calls to it. */
export function bbbSecretLines(publicUrl: string, secret: string): string {
  return `    URL: ${publicUrl.replace(/\/+$/, '')}/bigbluebutton/\n    Secret: ${secret}`;
}

/** The two lines for the default tenant; undefined before the first start created it. */
export async function defaultTenantSecretLines(db: Database, publicUrl: string): Promise<string | undefined> {
  const tenant = await new TenantRepository(db).findDefault();
  const secret = tenant?.secrets[0];
  return secret === undefined ? undefined : bbbSecretLines(publicUrl, secret);
}

/** 40 letters and digits, like a BigBlueButton server's generated secret (about 238 bits). */
export function randomSecret(): string {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)];
  return secret;
}
