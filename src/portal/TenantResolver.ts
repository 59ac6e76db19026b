import { normalizeHostname, type Tenant, type TenantRepository } from '../db/TenantRepository.ts';

export interface TenantResolverOptions {
  /**
   * How long the tenant list is reused before it is read again. Every API call needs it (to try the
   * secrets), so it is cached; a change made through another controller shows after this long.
   */
  cacheMs?: number;
  now?: () => number;
}

/**
 * Which tenant an API call belongs to. A tenant that owns the request's hostname is the only
 * candidate on that hostname; elsewhere, the tenant whose secret produced the checksum is the one.
 * Either way the checksum must verify with one of the chosen tenant's secrets.
 */
export class TenantResolver {
  readonly #tenants: TenantRepository;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached: { at: number; tenants: Tenant[] } | undefined;

  constructor(tenants: TenantRepository, options: TenantResolverOptions = {}) {
    this.#tenants = tenants;
    this.#cacheMs = options.cacheMs ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  /** `signedBy(secret)` says whether the request's checksum was made with that secret. */
  async resolve(host: string, signedBy: (secret: string) => boolean): Promise<Tenant | undefined> {
    const tenants = await this.#list();
    const hostname = normalizeHostname(host);
    const owner = hostname === '' ? undefined : tenants.find((t) => t.hostnames.includes(hostname));
    const candidates = owner ? [owner] : tenants;
    return candidates.find((tenant) => tenant.secrets.some(signedBy));
  }

  /** Forget the cached list (after a change made through this process). */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #list(): Promise<Tenant[]> {
    const now = this.#now();
    if (this.#cached && now - this.#cached.at < this.#cacheMs) return this.#cached.tenants;
    const tenants = await this.#tenants.list();
    this.#cached = { at: now, tenants };
    return tenants;
  }
}
