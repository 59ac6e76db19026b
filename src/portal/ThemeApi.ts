import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeHostname, type Tenant, type TenantRepository } from '../db/TenantRepository.ts';
import { sendJson } from '../http/httpIo.ts';
import type { Logger } from '../log/Logger.ts';
import { parseSettings } from './tenantInput.ts';

export const THEME_PATH = '/api/v1/theme';

/** What the meeting page is told: presentation only, never a tenant's id, secrets or presets. */
export interface ThemeView {
  name: string;
  logoUrl?: string;
  colors: Record<string, string>;
}

export interface ThemeApiOptions {
  tenants: TenantRepository;
  log: Logger;
  /** How long the tenant list is reused (the endpoint is public: it must not hit the database per call). */
  cacheMs?: number;
  /** How long browsers and proxies may keep an answer. Default 60 s. */
  maxAgeSeconds?: number;
  now?: () => number;
}

const DEFAULT_NAME = 'dotm';
const MAX_TENANT_PARAM = 200;

/**
 * `GET /api/v1/theme[?tenant=<id>]`, public and read-only: the theme of the tenant that owns the
 * request's hostname; on a hostname no tenant owns, the tenant named by `tenant` (the meeting page
 * reads it from its join token); else the default tenant's. A hostname's owner always wins, so a
 * tenant's own hostname never shows another tenant's theme whatever the query says.
 */
export class ThemeApi {
  /** Mount this on the controller: resolves true when it answered the request. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): Promise<boolean> => this.#handle(req, res);
  readonly #o: ThemeApiOptions;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached: { at: number; tenants: Tenant[] } | undefined;

  constructor(options: ThemeApiOptions) {
    this.#o = options;
    this.#cacheMs = options.cacheMs ?? 5000;
    this.#now = options.now ?? Date.now;
  }

  /** Forget the cached tenants (after a change made through this process). */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path !== THEME_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(
        res,
        405,
        { error: { code: 'method-not-allowed', message: `${THEME_PATH} answers GET only` } },
        { Allow: 'GET, HEAD' },
      );
      return true;
    }
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    let theme: ThemeView;
    try {
      theme = themeView(await this.#tenantFor(req.headers.host ?? '', query.get('tenant') ?? ''));
    } catch (error) {
      // A page without its tenant's colours still works: answer the default, but do not let it be kept.
      this.#o.log.error('could not read the tenants for a theme', { error });
      sendJson(res, 200, defaultTheme(), { 'Cache-Control': 'no-store' });
      return true;
    }
    const body = JSON.stringify(theme);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': `public, max-age=${this.#o.maxAgeSeconds ?? 60}`,
      // The same URL answers differently per hostname.
      Vary: 'Host',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  async #tenantFor(host: string, tenantId: string): Promise<Tenant | undefined> {
    const tenants = await this.#list();
    const hostname = normalizeHostname(host);
    const owner = hostname === '' ? undefined : tenants.find((t) => t.hostnames.includes(hostname));
    if (owner) return owner;
    const named =
      tenantId !== '' && tenantId.length <= MAX_TENANT_PARAM
        ? tenants.find((t) => t.id === tenantId)
        : undefined;
    return named ?? tenants.find((t) => t.isDefault);
  }

  async #list(): Promise<Tenant[]> {
    const now = this.#now();
    if (this.#cached && now - this.#cached.at < this.#cacheMs) return this.#cached.tenants;
    const tenants = await this.#o.tenants.list();
    this.#cached = { at: now, tenants };
    return tenants;
  }
}

export function defaultTheme(): ThemeView {
  return { name: DEFAULT_NAME, colors: {} };
}

/**
 * A tenant's theme as the page may use it. Each field passes the admin API's own checks again
 * (colours become CSS custom properties; a row written by hand or by an older version must not carry
 * anything else), and whatever fails is left out rather than failing the whole theme.
 */
export function themeView(tenant: Tenant | undefined): ThemeView {
  const stored = tenant?.settings.theme;
  const view = defaultTheme();
  if (!stored || typeof stored !== 'object') return view;
  const name = checked({ name: stored.name })?.name?.trim();
  if (name) view.name = name;
  const logoUrl = checked({ logoUrl: stored.logoUrl })?.logoUrl;
  if (logoUrl) view.logoUrl = logoUrl;
  if (stored.colors && typeof stored.colors === 'object') {
    for (const [role, color] of Object.entries(stored.colors)) {
      const passed = checked({ colors: { [role]: color } })?.colors?.[role];
      if (passed !== undefined) view.colors[role] = passed;
    }
  }
  return view;
}

function checked(
  theme: Record<string, unknown>,
): { name?: string; logoUrl?: string; colors?: Record<string, string> } | undefined {
  try {
    return parseSettings({ theme }).theme;
  } catch {
    return undefined;
  }
}
