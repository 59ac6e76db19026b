import { request as httpRequest, type Server } from 'node:http';
import { AttendanceRepository } from '../../src/db/AttendanceRepository.ts';
import type { Database } from '../../src/db/Database.ts';
import { MeetingRepository } from '../../src/db/MeetingRepository.ts';
import { Migrator } from '../../src/db/Migrator.ts';
import { RecordingRepository } from '../../src/db/RecordingRepository.ts';
import { SqliteDatabase } from '../../src/db/SqliteDatabase.ts';
import { type Tenant, TenantRepository } from '../../src/db/TenantRepository.ts';
import { boundPort, closeHttp, createDotmServer, listenHttp } from '../../src/http/httpServerLifecycle.ts';
import { Logger } from '../../src/log/Logger.ts';
import { BbbApi, type BbbApiOptions } from '../../src/portal/BbbApi.ts';
import { type ChecksumAlgorithm, computeChecksum } from '../../src/portal/checksum.ts';
import { JoinTokens } from '../../src/portal/JoinTokens.ts';
import { MeetingLifecycle } from '../../src/portal/MeetingLifecycle.ts';
import { type WebhookDeliveryOptions, WebhookDispatcher } from '../../src/portal/WebhookDispatcher.ts';
import { FakeRuntime } from './FakeRuntime.ts';
import { parseXml, type XmlElement } from './miniXml.ts';

export const SECRET_A = 'secret-of-tenant-a-0123456789';
export const SECRET_B = 'secret-of-tenant-b-9876543210';
export const SECRET_H = 'secret-of-the-hostname-tenant';
export const PUBLIC_URL = 'http://meet.example:8080';

export interface LoopbackRequestOptions {
  /** The Host header (tenants are chosen by it); default the server's own address. */
  host?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** One request to a test server on 127.0.0.1, with the Host header under the test's control. */
export function loopbackRequest(
  port: number,
  method: string,
  path: string,
  options: LoopbackRequestOptions = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { host: options.host ?? `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The `domain` the rig's callbacks carry. */
export const CALLBACK_DOMAIN = 'meet.example';

export interface CallOptions {
  secret?: string;
  algorithm?: ChecksumAlgorithm;
  host?: string;
}

let openRigDatabase = async (): Promise<Database> => {
  const db = new SqliteDatabase({ path: ':memory:' });
  await new Migrator(db).migrate();
  return db;
};

/**
 * Where every rig's database comes from from now on: a migrated SQLite in memory unless a suite says
 * otherwise (BbbApi.postgres.test.ts runs the same suites on PostgreSQL).
 */
export function usePortalDatabases(open: () => Promise<Database>): void {
  openRigDatabase = open;
}

/** A new, migrated database of the engine the portal suites run on. */
export function openPortalDatabase(): Promise<Database> {
  return openRigDatabase();
}

/** The API on a real HTTP server over a real database (in-memory SQLite unless told), with a fake runtime. */
export class PortalRig {
  readonly db: Database;
  readonly runtime = new FakeRuntime();
  readonly joinTokens = new JoinTokens('join-token-secret', 600);
  readonly api: BbbApi;
  readonly tenants: TenantRepository;
  readonly meetings: MeetingRepository;
  readonly attendance: AttendanceRepository;
  readonly recordings: RecordingRepository;
  readonly logLines: string[] = [];
  /** Delivers the rig's meeting events to hooks: quick retries, so tests see them. */
  readonly webhooks: WebhookDispatcher;
  /** Records joins and leaves (what the Portal does with room events) and tells the webhooks. */
  readonly lifecycle: MeetingLifecycle;
  tenantA!: Tenant;
  tenantB!: Tenant;
  tenantH!: Tenant;
  now = 1_700_000_000_000;
  #server!: Server;
  #port = 0;

  private constructor(db: Database, options: Partial<BbbApiOptions>, delivery: WebhookDeliveryOptions) {
    this.db = db;
    const log = new Logger({ level: 'warn', format: 'json', write: (line) => this.logLines.push(line) });
    this.webhooks = new WebhookDispatcher({
      retryDelaysMs: [50, 100],
      requestTimeoutMs: 2000,
      cacheMs: 0,
      ...delivery,
      db,
      domain: () => CALLBACK_DOMAIN,
      log,
    });
    this.lifecycle = new MeetingLifecycle({ db, runtime: this.runtime, log, events: this.webhooks });
    this.tenants = new TenantRepository(db);
    this.meetings = new MeetingRepository(db);
    this.attendance = new AttendanceRepository(db);
    this.recordings = new RecordingRepository(db);
    this.api = new BbbApi({
      db,
      runtime: this.runtime,
      joinTokens: this.joinTokens,
      publicUrl: PUBLIC_URL,
      log,
      tenantCacheMs: 0,
      now: () => this.now,
      webhooks: this.webhooks,
      ...options,
    });
  }

  static async start(
    options: Partial<BbbApiOptions> = {},
    delivery: WebhookDeliveryOptions = {},
  ): Promise<PortalRig> {
    const rig = new PortalRig(await openPortalDatabase(), options, delivery);
    rig.tenantA = await rig.tenants.create({ name: 'a', secrets: [SECRET_A], region: 'eu' });
    rig.tenantB = await rig.tenants.create({ name: 'b', secrets: [SECRET_B], region: 'sa' });
    rig.tenantH = await rig.tenants.create({ name: 'h', secrets: [SECRET_H], hostnames: ['h.example'] });
    rig.#server = createDotmServer((req, res) => {
      rig.api.handle(req, res).then(
        (handled) => {
          if (!handled) {
            res.writeHead(404);
            res.end('not the api');
          }
        },
        () => {
          res.writeHead(500);
          res.end('handler threw');
        },
      );
    });
    await listenHttp(rig.#server, 0, '127.0.0.1');
    rig.#port = boundPort(rig.#server);
    return rig;
  }

  async close(): Promise<void> {
    await closeHttp(this.#server);
    await this.webhooks.close();
    await this.db.close();
  }

  /** Signs `query` (sent exactly as given) for `call` and sends it as a GET. */
  async call(call: string, query: string, options: CallOptions = {}): Promise<HttpResult> {
    const checksum = computeChecksum(call, query, options.secret ?? SECRET_A, options.algorithm ?? 'sha1');
    const full = query === '' ? `checksum=${checksum}` : `${query}&checksum=${checksum}`;
    return this.request('GET', `/bigbluebutton/api/${call}?${full}`, { host: options.host });
  }

  /** Like call, from name/value pairs encoded the way most BBB client libraries do. */
  async callParams(
    call: string,
    params: Record<string, string>,
    options: CallOptions = {},
  ): Promise<HttpResult> {
    return this.call(call, new URLSearchParams(params).toString(), options);
  }

  async xml(call: string, params: Record<string, string>, options: CallOptions = {}): Promise<XmlElement> {
    const result = await this.callParams(call, params, options);
    if (result.status !== 200) throw new Error(`${call} answered ${result.status}: ${result.body}`);
    return parseXml(result.body);
  }

  request(method: string, path: string, options: LoopbackRequestOptions = {}): Promise<HttpResult> {
    return loopbackRequest(this.#port, method, path, options);
  }
}
