import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AttendanceRepository } from '../db/AttendanceRepository.ts';
import type { MeetingRecord, MeetingRepository } from '../db/MeetingRepository.ts';
import type { Tenant, TenantRepository } from '../db/TenantRepository.ts';
import { apiKeyGuard, type IsAuthorized } from '../http/apiKeyGuard.ts';
import { HttpError } from '../http/HttpError.ts';
import { sendJson } from '../http/httpIo.ts';
import { Router } from '../http/Router.ts';
import type { Logger } from '../log/Logger.ts';
import type { MeetingEvents } from './MeetingEvents.ts';
import type { LiveRoom, MeetingRuntime } from './MeetingRuntime.ts';
import { endMeetingAndRoom } from './meetingEnding.ts';

export const MEETINGS_PATH = '/api/v1/meetings';

export interface MeetingAdminApiOptions {
  meetings: MeetingRepository;
  attendance: AttendanceRepository;
  tenants: TenantRepository;
  runtime: MeetingRuntime & { liveRooms(rooms: readonly string[]): Promise<Map<string, LiveRoom>> };
  /** The controller's API-key check. May throw an HttpError (e.g. no Authorization header). */
  isAuthorized: IsAuthorized;
  log: Logger;
  events?: MeetingEvents;
  now?: () => number;
}

/** A live meeting as the admin API shows it. */
export interface MeetingView {
  tenant: { id: string; name: string };
  /** The portal's meetingID. */
  meetingID: string;
  /** BBB's internalMeetingID, also the dotm room the meeting runs in. */
  internalMeetingID: string;
  room: string;
  name: string;
  createdAt: number;
  startedAt: number | null;
  participantCount: number;
  participants: Array<{
    participantId: string;
    userID: string | null;
    fullName: string;
    role: string;
    hasAudio: boolean;
    hasVideo: boolean;
  }>;
}

/**
 * The operators' view of the meetings running anywhere in the cluster, under the controller's API
 * keys (the BigBlueButton API is for portals, one tenant at a time; this is across tenants):
 *
 *   GET    /api/v1/meetings[?tenant=idOrName]       { meetings: [MeetingView…] }, oldest first
 *   GET    /api/v1/meetings/:tenant/:meetingID      MeetingView
 *   DELETE /api/v1/meetings/:tenant/:meetingID      { ended: true, meeting: MeetingView } — BBB's end:
 *                                                   the room ends for everyone, hooks are told
 *
 * `:tenant` is a tenant's id or name, `:meetingID` the portal's meetingID (URL-encoded).
 * Errors are the rest of /api/v1's: `{ "error": { "code", "message" } }` with 401, 404, 405.
 */
export class MeetingAdminApi {
  /** Mount this on the controller: resolves true when it answered the request. */
  readonly handler = (req: IncomingMessage, res: ServerResponse): Promise<boolean> => this.#handle(req, res);
  readonly #o: MeetingAdminApiOptions;
  readonly #router: Router;

  constructor(options: MeetingAdminApiOptions) {
    this.#o = options;
    const guarded = apiKeyGuard(options.isAuthorized);
    this.#router = new Router({
      onUnexpectedError: (error, req) =>
        options.log.error('unexpected error in the meeting admin API', {
          error,
          method: req.method,
          url: req.url,
        }),
    })
      .add(
        'GET',
        MEETINGS_PATH,
        guarded(async (req, res) => {
          const filter = new URL(req.url ?? '/', 'http://x').searchParams.get('tenant');
          const tenants = await this.#o.tenants.list();
          const shown = filter === null ? tenants : [await this.#tenant(filter)];
          const byId = new Map(shown.map((t) => [t.id, t]));
          const meetings = (await this.#o.meetings.listAllActive()).filter((m) => byId.has(m.tenantId));
          const live = await this.#o.runtime.liveRooms(meetings.map((m) => m.room));
          sendJson(res, 200, {
            meetings: meetings.map((m) => meetingView(byId.get(m.tenantId)!, m, live.get(m.room))),
          });
        }),
      )
      .add(
        'GET',
        `${MEETINGS_PATH}/:tenant/:meetingId`,
        guarded(async (_req, res, p) => {
          const { tenant, meeting } = await this.#meeting(p.tenant!, p.meetingId!);
          sendJson(res, 200, meetingView(tenant, meeting, await this.#o.runtime.liveRoom(meeting.room)));
        }),
      )
      .add(
        'DELETE',
        `${MEETINGS_PATH}/:tenant/:meetingId`,
        guarded(async (_req, res, p) => {
          const { tenant, meeting } = await this.#meeting(p.tenant!, p.meetingId!);
          const view = meetingView(tenant, meeting, await this.#o.runtime.liveRoom(meeting.room));
          await endMeetingAndRoom(this.#o, meeting, (this.#o.now ?? Date.now)());
          this.#o.log.info('meeting ended through the admin API', {
            tenant: tenant.name,
            meetingId: meeting.externalId,
            room: meeting.room,
          });
          sendJson(res, 200, { ended: true, meeting: view });
        }),
      );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '').split('?', 1)[0]!;
    if (path !== MEETINGS_PATH && !path.startsWith(`${MEETINGS_PATH}/`)) return false;
    return this.#router.handle(req, res);
  }

  async #tenant(idOrName: string): Promise<Tenant> {
    const tenant = await this.#o.tenants.findByIdOrName(idOrName);
    if (!tenant) throw new HttpError(404, 'not-found', `no tenant "${idOrName.slice(0, 100)}"`);
    return tenant;
  }

  async #meeting(tenantKey: string, meetingId: string): Promise<{ tenant: Tenant; meeting: MeetingRecord }> {
    const tenant = await this.#tenant(tenantKey);
    const meeting = await this.#o.meetings.findActive(tenant.id, meetingId);
    if (!meeting)
      throw new HttpError(
        404,
        'not-found',
        `tenant "${tenant.name}" has no running meeting "${meetingId.slice(0, 256)}"`,
      );
    return { tenant, meeting };
  }
}

function meetingView(tenant: Tenant, meeting: MeetingRecord, live: LiveRoom | undefined): MeetingView {
  const participants = live?.participants ?? [];
  return {
    tenant: { id: tenant.id, name: tenant.name },
    meetingID: meeting.externalId,
    internalMeetingID: meeting.id,
    room: meeting.room,
    name: meeting.name,
    createdAt: meeting.createdAt,
    startedAt: meeting.startedAt ?? null,
    participantCount: participants.length,
    participants: participants.map((p) => ({
      participantId: p.participantId,
      userID: p.userId ?? null,
      fullName: p.fullName,
      role: p.role,
      hasAudio: p.hasAudio,
      hasVideo: p.hasVideo,
    })),
  };
}
