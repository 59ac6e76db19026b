import assert from 'node:assert/strict';
import type { IncomingMessage, Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { AttendanceRepository } from '../../src/db/AttendanceRepository.ts';
import type { Database } from '../../src/db/Database.ts';
import { MeetingRepository } from '../../src/db/MeetingRepository.ts';
import { type Tenant, TenantRepository } from '../../src/db/TenantRepository.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../../src/http/httpServerLifecycle.ts';
import { Logger } from '../../src/log/Logger.ts';
import { computeChecksum } from '../../src/portal/checksum.ts';
import { ensureDefaultTenant } from '../../src/portal/defaultTenant.ts';
import { JoinTokens } from '../../src/portal/JoinTokens.ts';
import { Portal, type PortalOptions } from '../../src/portal/Portal.ts';
import { HookReceiver } from './HookReceiver.ts';
import { parseXml, text } from './miniXml.ts';
import { openPortalDatabase } from './portalRig.ts';

const ADMIN_KEY = 'admin-key-for-tests';

/** A Portal as the controller makes it, over fake rooms, its mounts on a real HTTP server. */
class PortalHarness {
  readonly portal: Portal;
  readonly db: Database;
  readonly logLines: string[] = [];
  readonly ended: string[] = [];
  readonly #server: Server;
  #base = '';

  private constructor(db: Database, options: Partial<PortalOptions>) {
    this.db = db;
    this.portal = new Portal(
      {
        endRoom: async (room) => {
          this.ended.push(room);
          return true;
        },
        roomMembers: () => undefined,
      },
      {
        db,
        joinTokens: new JoinTokens('join-secret', 300),
        publicUrl: () => 'http://meet.example:8080',
        sweepIntervalMs: 3_600_000,
        emptyMeetingGraceMs: 60_000,
        unjoinedMeetingExpiryMs: 300_000,
        log: new Logger({ level: 'warn', format: 'json', write: (line) => this.logLines.push(line) }),
        isAuthorized: (req: IncomingMessage) => req.headers.authorization === `Bearer ${ADMIN_KEY}`,
        webhooks: { retryDelaysMs: [20] },
        ...options,
      },
    );
    this.#server = createDotmServer(async (req, res) => {
      for (const mount of this.portal.mounts ?? []) if (await mount(req, res)) return;
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"error":{"code":"not-found","message":"controller 404"}}');
    });
  }

  static async start(options: Partial<PortalOptions> = {}): Promise<PortalHarness> {
    const harness = new PortalHarness(await openPortalDatabase(), options);
    await listenHttp(harness.#server, 0, '127.0.0.1');
    harness.#base = `http://127.0.0.1:${boundPort(harness.#server)}`;
    return harness;
  }

  async admin(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { Authorization: `Bearer ${ADMIN_KEY}` },
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const raw = await response.text();
    return { status: response.status, headers: response.headers, body: raw ? JSON.parse(raw) : {} };
  }

  async bbb(call: string, params: Record<string, string>, secret: string) {
    const query = new URLSearchParams(params).toString();
    const checksum = computeChecksum(call, query, secret, 'sha1');
    const response = await fetch(`${this.#base}/bigbluebutton/api/${call}?${query}&checksum=${checksum}`);
    return parseXml(await response.text());
  }

  async close(): Promise<void> {
    await closeHttp(this.#server);
    await this.portal.close();
    await this.db.close();
  }
}

describe('tenant admin API (/api/v1/tenants) through the Portal extension', () => {
  let h: PortalHarness;
  let defaultTenant: Tenant;
  before(async () => {
    h = await PortalHarness.start();
    defaultTenant = (await ensureDefaultTenant(h.db, { secret: 'the-default-secret-000' })).tenant;
  });
  after(() => h.close());

  test('every call needs the API key: 401 with the JSON error shape of /api/v1', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/tenants'],
      ['POST', '/api/v1/tenants'],
      ['GET', '/api/v1/tenants/default'],
      ['DELETE', '/api/v1/tenants/default'],
      ['POST', '/api/v1/tenants/default/secrets'],
    ] as const) {
      const refused = await h.admin(method, path, undefined, { Authorization: 'Bearer wrong' });
      assert.equal(refused.status, 401, `${method} ${path}`);
      assert.deepEqual(refused.body, {
        error: { code: 'unauthorized', message: 'API key missing or not valid' },
      });
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    }
    assert.equal((await h.admin('GET', '/api/v1/tenants', undefined, {})).status, 401);
    // Other paths are not the admin API's: they fall through to the controller.
    assert.equal((await h.admin('GET', '/api/v1/rooms')).status, 404);
  });

  test('create → read → list; the new tenant’s generated secret works on the BigBlueButton API at once', async () => {
    // Fill the API's tenant cache first: the create must drop it.
    await h.bbb('getMeetings', {}, 'the-default-secret-000');
    const created = await h.admin('POST', '/api/v1/tenants', {
      name: 'Physics Dept',
      region: 'sa-east',
      hostnames: ['Conf.Physics.Example:443'],
      settings: {
        defaultCreateParams: { record: true, duration: 90 },
        theme: {
          name: 'Physics',
          logoUrl: 'https://physics.example/logo.svg',
          colors: { primary: '#003366' },
        },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const tenant = created.body as unknown as Tenant;
    assert.equal(created.headers.get('location'), `/api/v1/tenants/${tenant.id}`);
    assert.deepEqual(tenant.hostnames, ['conf.physics.example']);
    assert.equal(tenant.region, 'sa-east');
    assert.equal(tenant.secrets.length, 1);
    assert.match(tenant.secrets[0]!, /^[A-Za-z0-9]{40}$/);
    assert.deepEqual(tenant.settings.defaultCreateParams, { record: 'true', duration: '90' });
    assert.equal(tenant.isDefault, false);
    const ok = await h.bbb('getMeetings', {}, tenant.secrets[0]!);
    assert.equal(text(ok, 'returncode'), 'SUCCESS');

    assert.equal((await h.admin('GET', `/api/v1/tenants/${tenant.id}`)).body.name, 'Physics Dept');
    assert.equal(
      (await h.admin('GET', `/api/v1/tenants/${encodeURIComponent('Physics Dept')}`)).body.id,
      tenant.id,
    );
    const list = (await h.admin('GET', '/api/v1/tenants')).body.tenants as Tenant[];
    assert.deepEqual(
      list.map((t) => t.name),
      ['Physics Dept', 'default'],
    );
    const missing = await h.admin('GET', '/api/v1/tenants/nobody');
    assert.equal(missing.status, 404);
    assert.equal((missing.body.error as { code: string }).code, 'not-found');
  });

  test('bad input gets a 400 that names the field; clashes a 409; wrong body types 400/415', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /"name" is required/],
      [{ name: '  ' }, /"name" must be a non-empty string/],
      [{ name: 'x', colour: 'red' }, /unknown field "colour"/],
      [{ name: 'x', hostnames: ['bad host!'] }, /"hostnames": "bad host!" is not a host name/],
      [{ name: 'x', secrets: ['short'] }, /"secrets\[0\]" must be 16 to 256 characters/],
      [{ name: 'x', region: 'São Paulo' }, /"region" is up to 64 letters/],
      [{ name: 'x', settings: { theme: { colors: { primary: 'red;}body{x' } } } }, /must be a CSS colour/],
      [
        { name: 'x', settings: { theme: { logoUrl: 'javascript:alert(1)' } } },
        /logoUrl" must be an absolute http/,
      ],
      [{ name: 'x', settings: { defaultJoinParams: { meetingID: 'x' } } }, /"meetingID" cannot be preset/],
      [{ name: 'x', settings: { welcome: 'hi' } }, /unknown field "settings.welcome"/],
    ];
    for (const [body, message] of cases) {
      const refused = await h.admin('POST', '/api/v1/tenants', body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal((refused.body.error as { code: string }).code, 'bad-request');
      assert.match((refused.body.error as { message: string }).message, message);
    }
    const clash = await h.admin('POST', '/api/v1/tenants', {
      name: 'Chem',
      hostnames: ['conf.physics.example'],
    });
    assert.equal(clash.status, 409);
    assert.match(
      (clash.body.error as { message: string }).message,
      /the hostname "conf.physics.example" belongs to the tenant "Physics Dept"/,
    );
    const sameName = await h.admin('POST', '/api/v1/tenants', { name: 'default' });
    assert.equal(sameName.status, 409);
    const sameSecret = await h.admin('POST', '/api/v1/tenants', {
      name: 'Chem',
      secrets: ['the-default-secret-000'],
    });
    assert.equal(sameSecret.status, 409);
    assert.equal((await h.admin('POST', '/api/v1/tenants', '{not json')).status, 400);
    const wrongType = await h.admin('POST', '/api/v1/tenants', undefined, {
      Authorization: `Bearer ${ADMIN_KEY}`,
      'Content-Type': 'text/plain',
    });
    assert.equal(wrongType.status, 415);
  });

  test('PATCH renames, edits hostnames and merges settings (null removes)', async () => {
    const patched = await h.admin('PATCH', '/api/v1/tenants/Physics%20Dept', {
      name: 'Physics',
      addHostnames: ['physics.example'],
      settings: {
        theme: { colors: { background: 'rgb(250, 250, 250)' }, logoUrl: null },
        logoutUrl: 'https://physics.example/bye',
        defaultCreateParams: null,
      },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const tenant = patched.body as unknown as Tenant;
    assert.equal(tenant.name, 'Physics');
    assert.deepEqual(tenant.hostnames, ['conf.physics.example', 'physics.example']);
    assert.deepEqual(tenant.settings, {
      theme: { name: 'Physics', colors: { primary: '#003366', background: 'rgb(250, 250, 250)' } },
      logoutUrl: 'https://physics.example/bye',
    });
    const removed = await h.admin('PATCH', '/api/v1/tenants/Physics', {
      removeHostnames: ['conf.physics.example'],
    });
    assert.deepEqual((removed.body as unknown as Tenant).hostnames, ['physics.example']);
    assert.equal((await h.admin('PATCH', '/api/v1/tenants/Physics', {})).status, 400);
    assert.equal(
      (await h.admin('PATCH', '/api/v1/tenants/Physics', { removeHostnames: ['nope.example'] })).status,
      400,
    );
    assert.equal((await h.admin('PATCH', '/api/v1/tenants/nobody', { region: 'eu' })).status, 404);
  });

  test('secrets rotate: a new first secret, the old one valid until removed; the last one stays', async () => {
    const before = (await h.admin('GET', '/api/v1/tenants/Physics')).body as unknown as Tenant;
    const old = before.secrets[0]!;
    const rotated = await h.admin('POST', '/api/v1/tenants/Physics/secrets');
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const secret = rotated.body.secret as string;
    assert.deepEqual((rotated.body.tenant as Tenant).secrets, [secret, old]);
    assert.equal(text(await h.bbb('getMeetings', {}, secret), 'returncode'), 'SUCCESS');
    assert.equal(text(await h.bbb('getMeetings', {}, old), 'returncode'), 'SUCCESS');
    const given = await h.admin('POST', '/api/v1/tenants/Physics/secrets', {
      secret: 'a-secret-chosen-by-the-admin',
      primary: false,
    });
    assert.deepEqual((given.body.tenant as Tenant).secrets, [secret, old, 'a-secret-chosen-by-the-admin']);
    const dropped = await h.admin('PATCH', '/api/v1/tenants/Physics', {
      removeSecrets: [old, 'a-secret-chosen-by-the-admin'],
    });
    assert.deepEqual((dropped.body as unknown as Tenant).secrets, [secret]);
    assert.equal(text(await h.bbb('getMeetings', {}, old), 'messageKey'), 'checksumError', 'refused at once');
    const last = await h.admin('PATCH', '/api/v1/tenants/Physics', { removeSecrets: [secret] });
    assert.equal(last.status, 400);
    assert.match((last.body.error as { message: string }).message, /without a secret/);
    const taken = await h.admin('POST', '/api/v1/tenants/Physics/secrets', {
      secret: 'the-default-secret-000',
    });
    assert.equal(taken.status, 409);
    assert.equal((await h.admin('POST', '/api/v1/tenants/Physics/secrets', { bogus: 1 })).status, 400);
  });

  test('DELETE removes a tenant; not the default one, nor one with meeting history', async () => {
    const doomed = (await h.admin('POST', '/api/v1/tenants', { name: 'Doomed' })).body as unknown as Tenant;
    const gone = await h.admin('DELETE', `/api/v1/tenants/${doomed.id}`);
    assert.equal(gone.status, 204);
    assert.equal((await h.admin('DELETE', `/api/v1/tenants/${doomed.id}`)).status, 404);
    assert.equal(text(await h.bbb('getMeetings', {}, doomed.secrets[0]!), 'messageKey'), 'checksumError');

    const refused = await h.admin('DELETE', `/api/v1/tenants/${defaultTenant.id}`);
    assert.equal(refused.status, 409);
    assert.match((refused.body.error as { message: string }).message, /default tenant cannot be removed/);

    const physics = (await h.admin('GET', '/api/v1/tenants/Physics')).body as unknown as Tenant;
    await h.bbb('create', { meetingID: 'lecture' }, physics.secrets[0]!);
    const kept = await h.admin('DELETE', '/api/v1/tenants/Physics');
    assert.equal(kept.status, 409);
    assert.match((kept.body.error as { message: string }).message, /meetings or recordings in its history/);
  });
});

describe('the Portal as the controller runs it', () => {
  test('without isAuthorized the admin API is not mounted', async () => {
    const h = await PortalHarness.start({ isAuthorized: undefined });
    try {
      // The BigBlueButton API and the public theme endpoint; no admin API.
      assert.equal(h.portal.mounts?.length, 2);
      const answer = await h.admin('GET', '/api/v1/tenants');
      assert.equal(answer.status, 404);
      assert.equal((answer.body.error as { message: string }).message, 'controller 404');
    } finally {
      await h.close();
    }
  });

  test('room events reach the hooks in order, a leave right after its join included', async () => {
    const h = await PortalHarness.start();
    const receiver = await HookReceiver.start();
    try {
      const tenant = await new TenantRepository(h.db).create({
        name: 't',
        secrets: ['secret-of-tenant-t-01'],
      });
      const secret = tenant.secrets[0]!;
      assert.equal(
        text(await h.bbb('hooks/create', { callbackURL: receiver.url() }, secret), 'returncode'),
        'SUCCESS',
      );
      const room = text(await h.bbb('create', { meetingID: 'm1' }, secret), 'internalMeetingID');
      const observer = h.portal.observer;
      // As the rooms report them: synchronously, one right after the other.
      observer.participantJoined?.(room, {
        participantId: 'p1',
        name: 'Ada',
        role: 'moderator',
        externalUserId: 'u1',
      });
      observer.participantLeft?.(room, 'p1', 'left');
      observer.participantJoined?.('not-a-meeting', { participantId: 'p2', name: 'Bob', role: 'viewer' });
      await receiver.waitFor(3);
      assert.deepEqual(receiver.eventIds(), ['meeting-created', 'user-joined', 'user-left']);
      assert.ok(receiver.received.every((c) => receiver.signedBy(c, receiver.url(), secret)));
      assert.equal(receiver.received[0]!.domain, 'meet.example');
      const sessions = await new AttendanceRepository(h.db).listForMeeting(room);
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]!.leaveReason, 'left', 'the quick leave was recorded after its join');
      assert.equal((await new MeetingRepository(h.db).get(room))?.peakUsers, 1);
    } finally {
      await receiver.close();
      await h.close();
    }
  });
});
