import { ConstraintViolationError } from '../db/ConstraintViolationError.ts';
import type { Database } from '../db/Database.ts';
import { type Tenant, TenantRepository } from '../db/TenantRepository.ts';
import { randomSecret } from './defaultTenant.ts';
import { TenantAdminError } from './TenantAdminError.ts';
import {
  checkSecret,
  MAX_HOSTNAMES,
  MAX_SECRETS,
  mergePatch,
  parseSettings,
  parseTenantCreate,
  parseTenantPatch,
} from './tenantInput.ts';

export interface TenantAdminOptions {
  /** A tenant was added, changed or removed (the API's tenant cache is dropped). */
  onChange?: () => void;
  now?: () => number;
}

/**
 * Adding, changing and removing tenants, behind both the JSON admin API and `dotm tenant`. Input
 * is the API's JSON shape (src/portal/tenantInput.ts); refusals are TenantAdminErrors whose
 * message tells the administrator what to change.
 */
export class TenantAdmin {
  readonly #tenants: TenantRepository;
  readonly #o: TenantAdminOptions;

  constructor(db: Database, options: TenantAdminOptions = {}) {
    this.#tenants = new TenantRepository(db);
    this.#o = options;
  }

  list(): Promise<Tenant[]> {
    return this.#tenants.list();
  }

  /** By id or name. */
  async get(key: string): Promise<Tenant> {
    const tenant = await this.#tenants.findByIdOrName(key);
    if (!tenant)
      throw new TenantAdminError('not-found', `no tenant with the id or name "${key.slice(0, 100)}"`);
    return tenant;
  }

  async create(body: Record<string, unknown>): Promise<Tenant> {
    const input = parseTenantCreate(body);
    const secrets = input.secrets.length > 0 ? input.secrets : [randomSecret()];
    await this.#refuseClashes(undefined, input.name, input.hostnames, secrets);
    const tenant = await this.#write(() =>
      this.#tenants.create(
        {
          name: input.name,
          region: input.region,
          hostnames: input.hostnames,
          secrets,
          settings: input.settings,
        },
        this.#now(),
      ),
    );
    this.#o.onChange?.();
    return tenant;
  }

  async update(key: string, body: Record<string, unknown>): Promise<Tenant> {
    const patch = parseTenantPatch(body);
    const current = await this.get(key);
    let hostnames = patch.hostnames ?? current.hostnames;
    if (patch.addHostnames) hostnames = [...new Set([...hostnames, ...patch.addHostnames])];
    if (patch.removeHostnames) {
      const missing = patch.removeHostnames.filter((h) => !hostnames.includes(h));
      if (missing.length > 0)
        throw new TenantAdminError('invalid', `the tenant has no hostname "${missing[0]}"`);
      hostnames = hostnames.filter((h) => !patch.removeHostnames!.includes(h));
    }
    if (hostnames.length > MAX_HOSTNAMES)
      throw new TenantAdminError('invalid', `a tenant has at most ${MAX_HOSTNAMES} hostnames`);
    let secrets = patch.secrets ?? current.secrets;
    if (patch.addSecrets) secrets = [...new Set([...secrets, ...patch.addSecrets])];
    if (patch.removeSecrets) {
      const missing = patch.removeSecrets.filter((s) => !secrets.includes(s));
      if (missing.length > 0)
        throw new TenantAdminError('invalid', 'one of "removeSecrets" is not a secret of this tenant');
      secrets = secrets.filter((s) => !patch.removeSecrets!.includes(s));
    }
    if (secrets.length === 0)
      throw new TenantAdminError(
        'invalid',
        'that would leave the tenant without a secret, locking its portals out; add another first',
      );
    if (secrets.length > MAX_SECRETS)
      throw new TenantAdminError('invalid', `a tenant has at most ${MAX_SECRETS} secrets`);
    const settings =
      patch.settings === undefined
        ? undefined
        : parseSettings(mergePatch(current.settings, patch.settings) ?? {});
    const name = patch.name ?? current.name;
    await this.#refuseClashes(current.id, name, hostnames, secrets);
    const updated = await this.#write(() =>
      this.#tenants.update(
        current.id,
        {
          name: patch.name,
          region: patch.region,
          settings,
          hostnames: sameList(hostnames, current.hostnames) ? undefined : hostnames,
          secrets: sameList(secrets, current.secrets) ? undefined : secrets,
        },
        this.#now(),
      ),
    );
    if (!updated) throw new TenantAdminError('not-found', 'the tenant was removed meanwhile');
    this.#o.onChange?.();
    return updated;
  }

  /**
   * Adds a secret (generated unless given). As the first one by default: that one is printed and
   * signs the callbacks of hooks whose own secret is gone. The others stay valid until removed, so
   * portals can move over one by one: that is a rotation.
   */
  async addSecret(
    key: string,
    options: { secret?: unknown; primary?: unknown } = {},
  ): Promise<{ tenant: Tenant; secret: string }> {
    if (options.primary !== undefined && typeof options.primary !== 'boolean')
      throw new TenantAdminError('invalid', '"primary" must be true or false');
    const secret = options.secret === undefined ? randomSecret() : checkSecret('secret', options.secret);
    const current = await this.get(key);
    if (current.secrets.includes(secret))
      throw new TenantAdminError('conflict', 'the tenant already has that secret');
    const others = current.secrets;
    const secrets = options.primary === false ? [...others, secret] : [secret, ...others];
    if (secrets.length > MAX_SECRETS)
      throw new TenantAdminError(
        'invalid',
        `a tenant has at most ${MAX_SECRETS} secrets; remove an old one first`,
      );
    await this.#refuseClashes(current.id, current.name, current.hostnames, secrets);
    const tenant = await this.#write(() => this.#tenants.update(current.id, { secrets }, this.#now()));
    if (!tenant) throw new TenantAdminError('not-found', 'the tenant was removed meanwhile');
    this.#o.onChange?.();
    return { tenant, secret };
  }

  /** Removes a tenant with its hostnames, secrets and hooks; one with meeting history stays. */
  async remove(key: string): Promise<Tenant> {
    const tenant = await this.get(key);
    if (tenant.isDefault)
      throw new TenantAdminError(
        'conflict',
        'the default tenant cannot be removed: the next start would create it again with a new secret (it is the one `dotm secret` prints)',
      );
    try {
      await this.#tenants.remove(tenant.id);
    } catch (error) {
      if (error instanceof ConstraintViolationError && error.kind === 'foreign-key')
        throw new TenantAdminError(
          'conflict',
          'the tenant has meetings or recordings in its history, which keep it; change its secrets to lock its portals out',
        );
      throw error;
    }
    this.#o.onChange?.();
    return tenant;
  }

  /** Clear messages for what the schema's unique indexes would refuse anyway (they decide races). */
  async #refuseClashes(
    self: string | undefined,
    name: string,
    hostnames: readonly string[],
    secrets: readonly string[],
  ): Promise<void> {
    for (const other of await this.#tenants.list()) {
      if (other.id === self) continue;
      if (other.name === name)
        throw new TenantAdminError('conflict', `a tenant named "${name}" exists already`);
      const host = hostnames.find((h) => other.hostnames.includes(h));
      if (host !== undefined)
        throw new TenantAdminError(
          'conflict',
          `the hostname "${host}" belongs to the tenant "${other.name}"`,
        );
      if (secrets.some((s) => other.secrets.includes(s)))
        throw new TenantAdminError('conflict', 'another tenant uses that secret; choose another');
    }
  }

  async #write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ConstraintViolationError && error.kind === 'unique')
        throw new TenantAdminError('conflict', 'another tenant took that name, hostname or secret meanwhile');
      throw error;
    }
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
