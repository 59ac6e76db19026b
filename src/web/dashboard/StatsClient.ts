import type { FullReport, LiveView, TenantListing, UsersOverTime } from '../../stats/statsApiTypes.ts';

/** The API key was refused: the page asks for it again. */
export class UnauthorizedError extends Error {
  override name = 'UnauthorizedError';
}

export interface ReportFilter {
  /** Query values as the API takes them (`-24h`, ISO dates, milliseconds). */
  from: string;
  to?: string;
  bucket: string;
  tenantIds: string[];
}

/** The dashboard's calls to /api/v1/stats/, with the API key the user typed. */
export class StatsClient {
  readonly #apiKey: string;
  readonly #base: string;

  constructor(apiKey: string, base = location.origin) {
    this.#apiKey = apiKey;
    this.#base = base;
  }

  live(tenantIds: string[]): Promise<LiveView> {
    return this.#get('live', tenantIds.length > 0 ? { tenants: tenantIds.join(',') } : {});
  }

  tenants(): Promise<TenantListing> {
    return this.#get('tenants', {});
  }

  recentUsers(tenantIds: string[]): Promise<UsersOverTime> {
    return this.#get('users', { from: '-4h', bucket: '5m', ...tenantsParam(tenantIds) });
  }

  report(filter: ReportFilter): Promise<FullReport> {
    const query: Record<string, string> = {
      from: filter.from,
      bucket: filter.bucket,
      ...tenantsParam(filter.tenantIds),
    };
    if (filter.to) query.to = filter.to;
    return this.#get('report', query);
  }

  async #get<T>(path: string, query: Record<string, string>): Promise<T> {
    const url = new URL(`/api/v1/stats/${path}`, this.#base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${this.#apiKey}` },
      cache: 'no-store',
    });
    if (response.status === 401) throw new UnauthorizedError('the API key was not accepted');
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as
        | { error?: { message?: string } }
        | undefined;
      throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
    }
    return (await response.json()) as T;
  }
}

function tenantsParam(tenantIds: string[]): Record<string, string> {
  return tenantIds.length > 0 ? { tenants: tenantIds.join(',') } : {};
}
