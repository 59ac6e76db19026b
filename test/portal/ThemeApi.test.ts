import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/Database.ts';
import { type Tenant, TenantRepository } from '../../src/db/TenantRepository.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../../src/http/httpServerLifecycle.ts';
import { Logger } from '../../src/log/Logger.ts';
import { ensureDefaultTenant } from '../../src/portal/defaultTenant.ts';
import { JoinTokens } from '../../src/portal/JoinTokens.ts';
import { Portal } from '../../src/portal/Portal.ts';
import { ThemeApi, themeView } from '../../src/portal/ThemeApi.ts';
import {
  type HttpResult,
  type LoopbackRequestOptions,
  loopbackRequest,
  openPortalDatabase,
} from './portalRig.ts';

const SECRET_A = 'secret-of-tenant-a-0123456789';
const SECRET_B = 'secret-of-tenant-b-9876543210';
const ADMIN_KEY = 'admin-key-for-theme-tests';

/** The Portal as the controller mounts it, on a real HTTP server over a real (SQLite) database. */
class ThemeHarness {
  readonly db: Database;
  readonly portal: Portal;
  readonly tenants: TenantRepository;
  readonly #server: Server;
  #port = 0;

  private constructor(db: Database) {
    this.db = db;
    this.tenants = new TenantRepository(db);
    this.portal = new Portal(
      { endRoom: async () => true, roomMembers: () => undefined },
      {
        db,
        joinTokens: new JoinTokens('join-secret', 300),
        publicUrl: () => 'http://meet.example:8080',
        sweepIntervalMs: 3_600_000,
        emptyMeetingGraceMs: 60_000,
        unjoinedMeetingExpiryMs: 300_000,
        log: new Logger({ level: 'error', format: 'json', write: () => {} }),
        isAuthorized: (req) => req.headers.authorization === `Bearer ${ADMIN_KEY}`,
      },
    );
    this.#server = createDotmServer(async (req, res) => {
      for (const mount of this.portal.mounts ?? []) if (await mount(req, res)) return;
      res.writeHead(404);
      res.end('not the portal');
    });
  }

  static async start(): Promise<ThemeHarness> {
    const harness = new ThemeHarness(await openPortalDatabase());
    await listenHttp(harness.#server, 0, '127.0.0.1');
    harness.#port = boundPort(harness.#server);
    return harness;
  }

  request(method: string, path: string, options: LoopbackRequestOptions = {}): Promise<HttpResult> {
    return loopbackRequest(this.#port, method, path, options);
  }

  async theme(query = '', host?: string): Promise<Record<string, unknown>> {
    const answer = await this.request('GET', `/api/v1/theme${query}`, { host });
    assert.equal(answer.status, 200, answer.body);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    return JSON.parse(answer.body) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    await closeHttp(this.#server);
    await this.portal.close();
    await this.db.close();
  }
}

describe('the public theme endpoint (/api/v1/theme) through the Portal extension', () => {
  let h: ThemeHarness;
  let tenantA: Tenant;
  let tenantB: Tenant;
  let plain: Tenant;

  before(async () => {
    h = await ThemeHarness.start();
    await ensureDefaultTenant(h.db, { secret: 'the-default-secret-000' });
    const defaultTenant = (await h.tenants.findDefault())!;
    await h.tenants.update(defaultTenant.id, {
      settings: { theme: { name: 'Campus', colors: { primary: '#123456' } } },
    });
    tenantA = await h.tenants.create({
      name: 'tenant-a',
      secrets: [SECRET_A],
      hostnames: ['a.example'],
      settings: {
        overrideJoinParams: { 'userdata-private': 'internal-setting-of-a' },
        logoutUrl: 'https://a.example/after',
        theme: {
          name: 'Alpha University',
          logoUrl: 'https://a.example/logo.svg',
          colors: { primary: '#0a58ca', background: 'rgb(10, 20, 30)' },
        },
      },
    });
    tenantB = await h.tenants.create({
      name: 'tenant-b',
      secrets: [SECRET_B],
      hostnames: ['b.example'],
      settings: { theme: { name: 'Beta College', colors: { primary: '#aa0000' } } },
    });
    plain = await h.tenants.create({ name: 'no-theme', secrets: ['secret-of-the-plain-tenant'] });
  });
  after(() => h.close());

  test("a tenant's hostname gets that tenant's theme: presentation only, short-lived cache", async () => {
    const answer = await h.request('GET', '/api/v1/theme', { host: 'A.Example:8443' });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), {
      name: 'Alpha University',
      logoUrl: 'https://a.example/logo.svg',
      colors: { primary: '#0a58ca', background: 'rgb(10, 20, 30)' },
    });
    assert.match(String(answer.headers['cache-control']), /^public, max-age=\d+$/);
    assert.equal(answer.headers.vary, 'Host');
    for (const leak of [SECRET_A, SECRET_B, 'internal-setting-of-a', 'https://a.example/after', tenantA.id])
      assert.ok(!answer.body.includes(leak), `the answer must not carry ${leak}`);
  });

  test("A's hostname never shows B's theme, not even when the query names B", async () => {
    assert.equal((await h.theme('', 'a.example')).name, 'Alpha University');
    assert.equal((await h.theme('', 'b.example')).name, 'Beta College');
    const onA = await h.theme(`?tenant=${tenantB.id}`, 'a.example');
    assert.equal(onA.name, 'Alpha University');
    assert.deepEqual((onA.colors as Record<string, string>).primary, '#0a58ca');
    const onB = await h.request('GET', `/api/v1/theme?tenant=${tenantA.id}`, { host: 'b.example' });
    assert.equal(JSON.parse(onB.body).name, 'Beta College');
    for (const leak of [SECRET_A, SECRET_B, 'Alpha', '#0a58ca', 'a.example/logo'])
      assert.ok(!onB.body.includes(leak), `B's hostname must not show ${leak}`);
  });

  test('on a hostname no tenant owns: the tenant of the query (the join token), else the default', async () => {
    assert.equal((await h.theme(`?tenant=${tenantB.id}`)).name, 'Beta College');
    assert.equal((await h.theme(`?tenant=${tenantA.id}`, 'shared.example')).name, 'Alpha University');
    const fallback = { name: 'Campus', colors: { primary: '#123456' } };
    assert.deepEqual(await h.theme(''), fallback);
    assert.deepEqual(await h.theme('?tenant=no-such-tenant'), fallback);
    assert.deepEqual(await h.theme(`?tenant=${'x'.repeat(5000)}`), fallback);
    // By id only: a name is not a way to probe which tenants exist.
    assert.deepEqual(await h.theme('?tenant=tenant-b'), fallback);
    // A tenant without a theme is shown in the product's own.
    assert.deepEqual(await h.theme(`?tenant=${plain.id}`), { name: 'dotm', colors: {} });
  });

  test('a change through the admin API shows at once; bad colours are refused there', async () => {
    const patched = await h.request('PATCH', `/api/v1/tenants/${tenantB.id}`, {
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ settings: { theme: { colors: { primary: '#00aa00' } } } }),
    });
    assert.equal(patched.status, 200, patched.body);
    assert.deepEqual((await h.theme('', 'b.example')).colors, { primary: '#00aa00' });
    const refused = await h.request('PATCH', `/api/v1/tenants/${tenantB.id}`, {
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ settings: { theme: { colors: { primary: 'red;}body{x' } } } }),
    });
    assert.equal(refused.status, 400);
  });

  test('only GET and HEAD; other paths fall through', async () => {
    const post = await h.request('POST', '/api/v1/theme', { body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const head = await h.request('HEAD', '/api/v1/theme', { host: 'a.example' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await h.request('GET', '/api/v1/themes')).status, 404);
    assert.equal((await h.request('GET', '/api/v1/theme/x')).status, 404);
  });
});

describe('themeView: a stored theme is checked again before it reaches a page', () => {
  const tenant = (theme: unknown): Tenant =>
    ({
      id: 't',
      name: 'n',
      region: '',
      hostnames: [],
      secrets: ['s'],
      settings: { theme },
      isDefault: false,
      createdAt: 0,
      updatedAt: 0,
    }) as Tenant;

  test('colours that could carry CSS, odd role names and non-http logos are left out; the rest stays', () => {
    const view = themeView(
      tenant({
        name: 'Mixed',
        logoUrl: 'javascript:alert(1)',
        colors: {
          primary: ' #0a58ca ',
          background: 'red;}body{display:none',
          text: 'url(https://evil.example/x)',
          'bad role;': '#fff',
          surface: 42,
          muted: 'hsl(210, 10%, 60%)',
        },
      }),
    );
    assert.deepEqual(view, { name: 'Mixed', colors: { primary: '#0a58ca', muted: 'hsl(210, 10%, 60%)' } });
  });

  test('no tenant, no theme, or a theme of the wrong shape: the default', () => {
    assert.deepEqual(themeView(undefined), { name: 'dotm', colors: {} });
    assert.deepEqual(themeView(tenant(undefined)), { name: 'dotm', colors: {} });
    assert.deepEqual(themeView(tenant('blue')), { name: 'dotm', colors: {} });
    assert.deepEqual(themeView(tenant({ name: 7, colors: ['#fff'] })), { name: 'dotm', colors: {} });
  });

  test('the tenant list is cached for cacheMs, and invalidate drops it', async () => {
    const db = await openPortalDatabase();
    try {
      const tenants = new TenantRepository(db);
      let now = 0;
      const api = new ThemeApi({
        tenants,
        log: new Logger({ level: 'error', format: 'json', write: () => {} }),
        cacheMs: 1000,
        now: () => now,
      });
      const server = createDotmServer(async (req, res) => {
        if (!(await api.handler(req, res))) res.writeHead(404).end();
      });
      await listenHttp(server, 0, '127.0.0.1');
      const get = async () =>
        (await (await fetch(`http://127.0.0.1:${boundPort(server)}/api/v1/theme`)).json()) as {
          name: string;
        };
      try {
        assert.equal((await get()).name, 'dotm');
        await tenants.create({
          name: 'd',
          secrets: ['the-default-secret-111'],
          isDefault: true,
          settings: { theme: { name: 'Later' } },
        });
        assert.equal((await get()).name, 'dotm', 'still cached');
        now = 1000;
        assert.equal((await get()).name, 'Later');
        await tenants.update((await tenants.findDefault())!.id, { settings: { theme: { name: 'Again' } } });
        api.invalidate();
        assert.equal((await get()).name, 'Again');
      } finally {
        await closeHttp(server);
      }
    } finally {
      await db.close();
    }
  });
});
