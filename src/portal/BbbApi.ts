import type { IncomingMessage, ServerResponse } from 'node:http';
import { AttendanceRepository } from '../db/AttendanceRepository.ts';
import type { Database } from '../db/Database.ts';
import { HookRepository } from '../db/HookRepository.ts';
import { MeetingRepository } from '../db/MeetingRepository.ts';
import { RecordingRepository } from '../db/RecordingRepository.ts';
import { normalizeHostname, type Tenant, TenantRepository } from '../db/TenantRepository.ts';
import { HttpError } from '../http/HttpError.ts';
import type { Logger } from '../log/Logger.ts';
import { BbbError } from './BbbError.ts';
import { apiCallOf, readBbbRequest } from './BbbRequest.ts';
import { checksumError, internalError, unsupportedRequest, validationError } from './bbbErrors.ts';
import { failureXml, successXml } from './bbbResponses.ts';
import type { BbbReply, CallContext } from './callTypes.ts';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, checksumMatches } from './checksum.ts';
import { HookCalls } from './HookCalls.ts';
import type { JoinTokens } from './JoinTokens.ts';
import { MeetingCalls } from './MeetingCalls.ts';
import type { MeetingRuntime } from './MeetingRuntime.ts';
import { RecordingCalls } from './RecordingCalls.ts';
import { TenantResolver } from './TenantResolver.ts';
import type { WebhookDispatcher } from './WebhookDispatcher.ts';
import { el } from './xml.ts';

export interface BbbApiOptions {
  db: Database;
  runtime: MeetingRuntime;
  joinTokens: JoinTokens;
  /**
   * Where users reach the meeting page (controller.publicUrl), e.g. `https://conf.example.org`;
   * a function when it is known only once the server listens (a port picked at start).
   */
  publicUrl: string | (() => string);
  log: Logger;
  /** Largest POST body (create may carry slides inline). Default 2 MiB, as BigBlueButton. */
  maxBodyBytes?: number;
  /** Checksum hashes accepted; default all four (BigBlueButton's supportedChecksumAlgorithms). */
  checksumAlgorithms?: readonly ChecksumAlgorithm[];
  /** See TenantResolverOptions.cacheMs. */
  tenantCacheMs?: number;
  /** getMeetingInfo keeps answering for an ended meeting this long. Default one hour. */
  endedMeetingInfoMs?: number;
  /** Delivers meeting events to the hooks; without it hooks are kept but nothing is sent. */
  webhooks?: WebhookDispatcher;
  /** See HookCallsOptions.maxHooksPerTenant. */
  maxHooksPerTenant?: number;
  now?: () => number;
}

/** What the index call reports: the BigBlueButton API level dotm speaks. */
export const BBB_API_VERSION = '2.0';

type Call = (ctx: CallContext) => Promise<BbbReply>;

/**
 * The BigBlueButton-compatible API under `/bigbluebutton/api/`, for institution portals and LMSes.
 * Every answer is BigBlueButton's XML with HTTP 200 (or the join redirect); whatever goes wrong,
 * including bugs, the caller gets a FAILED document, never a 500.
 */
export class BbbApi {
  /** Mount this on an HTTP server: resolves true when it answered the request. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): Promise<boolean> => this.handle(req, res);
  readonly #options: BbbApiOptions;
  readonly #resolver: TenantResolver;
  readonly #calls: ReadonlyMap<string, Call>;
  readonly #now: () => number;

  constructor(options: BbbApiOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#resolver = new TenantResolver(new TenantRepository(options.db), {
      cacheMs: options.tenantCacheMs,
      now: this.#now,
    });
    const meetings = new MeetingCalls({
      meetings: new MeetingRepository(options.db),
      attendance: new AttendanceRepository(options.db),
      runtime: options.runtime,
      joinTokens: options.joinTokens,
      log: options.log,
      endedMeetingInfoMs: options.endedMeetingInfoMs ?? 3_600_000,
      events: options.webhooks,
    });
    const webhooks = options.webhooks;
    const hooks = new HookCalls({
      hooks: new HookRepository(options.db),
      log: options.log,
      maxHooksPerTenant: options.maxHooksPerTenant,
      onChange: (tenantId, removedHookId) => {
        if (removedHookId === undefined) webhooks?.hooksChanged(tenantId);
        else webhooks?.hookRemoved(tenantId, removedHookId);
      },
    });
    const recordings = new RecordingCalls(new RecordingRepository(options.db));
    this.#calls = new Map<string, Call>([
      ['create', (ctx) => meetings.create(ctx)],
      ['join', (ctx) => meetings.join(ctx)],
      ['isMeetingRunning', (ctx) => meetings.isMeetingRunning(ctx)],
      ['getMeetingInfo', (ctx) => meetings.getMeetingInfo(ctx)],
      ['getMeetings', (ctx) => meetings.getMeetings(ctx)],
      ['end', (ctx) => meetings.end(ctx)],
      ['getRecordings', (ctx) => recordings.getRecordings(ctx)],
      ['publishRecordings', (ctx) => recordings.publishRecordings(ctx)],
      ['deleteRecordings', (ctx) => recordings.deleteRecordings(ctx)],
      ['updateRecordings', (ctx) => recordings.updateRecordings(ctx)],
      ['hooks/create', (ctx) => hooks.create(ctx)],
      ['hooks/destroy', (ctx) => hooks.destroy(ctx)],
      ['hooks/list', (ctx) => hooks.list(ctx)],
    ]);
  }

  /** Forget cached tenants, e.g. right after the admin API changed one. */
  invalidateTenants(): void {
    this.#resolver.invalidate();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const call = apiCallOf(req.url ?? '');
    if (call === undefined) return false;
    let reply: BbbReply;
    let status = 200;
    try {
      // HEAD only for the index: a HEAD that created or ended a meeting would surprise everyone.
      const allowed = req.method === 'GET' || req.method === 'POST' || (req.method === 'HEAD' && call === '');
      if (!allowed) {
        status = 405;
        throw unsupportedRequest();
      }
      reply = await this.#dispatch(req, call);
    } catch (error) {
      reply = { kind: 'xml', body: failureXml(this.#asBbbError(error, req)) };
    }
    this.#send(req, res, status, reply);
    return true;
  }

  async #dispatch(req: IncomingMessage, call: string): Promise<BbbReply> {
    if (call === '') {
      return {
        kind: 'xml',
        body: successXml([el('version', BBB_API_VERSION), el('apiVersion', BBB_API_VERSION)]),
      };
    }
    const run = this.#calls.get(call);
    if (!run) throw unsupportedRequest();
    const request = await readBbbRequest(req, call, this.#options.maxBodyBytes ?? 2 * 1024 * 1024);
    if (request.checksum === '') throw checksumError();
    const algorithms = this.#options.checksumAlgorithms ?? CHECKSUM_ALGORITHMS;
    let signingSecret = '';
    const tenant = await this.#resolver.resolve(request.host, (secret) => {
      const signed = checksumMatches(call, request.signedQuery, request.checksum, secret, algorithms);
      if (signed) signingSecret = secret;
      return signed;
    });
    if (!tenant) throw checksumError();
    return run({
      tenant,
      secret: signingSecret,
      params: request.params,
      meetingPageUrl: this.#meetingPageUrl(request.host, tenant),
      now: this.#now(),
    });
  }

  /** A tenant reached on its own hostname keeps its users on that hostname (and its theme). */
  #meetingPageUrl(host: string, tenant: Tenant): string {
    const { publicUrl } = this.#options;
    const base = (typeof publicUrl === 'function' ? publicUrl() : publicUrl).replace(/\/+$/, '');
    if (host === '' || !tenant.hostnames.includes(normalizeHostname(host))) return base;
    return `${new URL(base).protocol}//${host}`;
  }

  #asBbbError(error: unknown, req: IncomingMessage): BbbError {
    if (error instanceof BbbError) return error;
    if (error instanceof HttpError && error.status === 413) return validationError(error.message);
    this.#options.log.error('unexpected error in the BigBlueButton API', {
      error,
      url: redactedUrl(req.url),
    });
    return internalError('The request could not be processed.');
  }

  #send(req: IncomingMessage, res: ServerResponse, status: number, reply: BbbReply): void {
    if (res.headersSent || res.destroyed) return;
    if (reply.kind === 'redirect') {
      res.writeHead(302, { Location: reply.location, 'Cache-Control': 'no-cache', 'Content-Length': 0 });
      res.end();
      return;
    }
    const body = Buffer.from(reply.body, 'utf8');
    res.writeHead(status, {
      'Content-Type': 'text/xml;charset=utf-8',
      'Cache-Control': 'no-cache',
      'Content-Length': body.length,
      ...(status === 405 ? { Allow: 'GET, POST, HEAD' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Logs keep the call and parameter names, not values (passwords travel in the query string). */
function redactedUrl(url: string | undefined): string {
  const [path, query] = (url ?? '').split('?', 2);
  if (!query) return path ?? '';
  return `${path}?${[...new URLSearchParams(query).keys()].join('&')}`;
}
