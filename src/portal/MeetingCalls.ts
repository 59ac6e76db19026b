import { createHash, randomInt } from 'node:crypto';
import type { AttendanceRepository } from '../db/AttendanceRepository.ts';
import { ConstraintViolationError } from '../db/ConstraintViolationError.ts';
import type { MeetingRecord, MeetingRepository } from '../db/MeetingRepository.ts';
import type { Logger } from '../log/Logger.ts';
import { absoluteHttpUrl } from '../protocol/httpUrl.ts';
import type { Role } from '../protocol/roomSignalling.ts';
import {
  idNotUnique,
  internalError,
  invalidEndPassword,
  invalidJoinPassword,
  invalidMeetingIdentifier,
  maxParticipantsReached,
  meetingForciblyEnded,
  meetingNotFound,
  meetingNotRunning,
  mismatchCreateTime,
  missingFullName,
  validationError,
} from './bbbErrors.ts';
import {
  checkLength,
  metaParams,
  parseBoolean,
  parseCount,
  requireMeetingId,
  withPresets,
} from './bbbParams.ts';
import { createXml, joinXml, meetingElements, messageElements, successXml } from './bbbResponses.ts';
import { type BbbReply, type CallContext, xmlReply } from './callTypes.ts';
import type { JoinTokens } from './JoinTokens.ts';
import type { MeetingEvents } from './MeetingEvents.ts';
import type { LiveRoom, MeetingRuntime } from './MeetingRuntime.ts';
import { endMeetingAndRoom } from './meetingEnding.ts';
import { meetingCreatedEvent } from './webhookEvents.ts';
import { el, parent } from './xml.ts';

export interface MeetingCallsOptions {
  meetings: MeetingRepository;
  attendance: AttendanceRepository;
  runtime: MeetingRuntime;
  joinTokens: JoinTokens;
  log: Logger;
  /** getMeetingInfo still answers for a meeting this long after it ended (BBB keeps them a while too). */
  endedMeetingInfoMs: number;
  /** Told of meetings created and ended (webhooks). */
  events?: MeetingEvents;
}

/** Parameters that are columns of their own, or never stored. */
const NOT_STORED = new Set(['checksum', 'meetingID', 'attendeePW', 'moderatorPW']);
const MAX_STORED_PARAMS = 200;
const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** create, join, isMeetingRunning, getMeetingInfo, getMeetings, end — for one verified tenant. */
export class MeetingCalls {
  readonly #o: MeetingCallsOptions;

  constructor(options: MeetingCallsOptions) {
    this.#o = options;
  }

  async create(ctx: CallContext): Promise<BbbReply> {
    const meetingId = requireMeetingId(ctx.params);
    const { settings } = ctx.tenant;
    const params = withPresets(ctx.params, settings.defaultCreateParams, settings.overrideCreateParams);
    const name = checkLength('name', params.get('name') || meetingId, 256);
    const attendeePw = checkLength('attendeePW', params.get('attendeePW') ?? '', 64);
    const moderatorPw = checkLength('moderatorPW', params.get('moderatorPW') ?? '', 64);
    this.#dropUnsafeLogoutUrl(params, meetingId);
    const createParams = storedCreateParams(params, name);
    let createdAt = ctx.now;
    for (let attempt = 0; ; attempt++) {
      const id = internalMeetingId(ctx.tenant.id, meetingId, createdAt);
      try {
        const { meeting, created } = await this.#o.meetings.createIfAbsent({
          id,
          tenantId: ctx.tenant.id,
          externalId: meetingId,
          room: id,
          name,
          attendeePw: attendeePw || randomPassword(),
          moderatorPw: moderatorPw || randomPassword(),
          record: parseBoolean(params.get('record')),
          durationMinutes: parseCount(params.get('duration')),
          maxParticipants: parseCount(params.get('maxParticipants')),
          createParams,
          metadata: metaParams(params),
          createdAt,
        });
        if (created) return xmlReply(await this.#start(ctx, meeting));
        // BBB: the same passwords, or none given, is the idempotent repeat; other passwords are a clash.
        const same = meeting.attendeePw === attendeePw && meeting.moderatorPw === moderatorPw;
        if (!same && (attendeePw !== '' || moderatorPw !== '')) throw idNotUnique();
        return xmlReply(
          createXml(
            meeting,
            'duplicateWarning',
            'This conference was already in existence and may currently be in progress.',
          ),
        );
      } catch (error) {
        // The id repeats only if this meetingID ended and was created again within the same millisecond.
        if (!(error instanceof ConstraintViolationError) || attempt >= 2) throw error;
        createdAt++;
      }
    }
  }

  async join(ctx: CallContext): Promise<BbbReply> {
    const { settings } = ctx.tenant;
    const params = withPresets(ctx.params, settings.defaultJoinParams, settings.overrideJoinParams);
    const fullName = checkLength('fullName', params.get('fullName') ?? '', 256);
    if (fullName === '') throw missingFullName();
    const meetingId = requireMeetingId(ctx.params);
    const meeting = await this.#o.meetings.findActive(ctx.tenant.id, meetingId);
    if (!meeting) {
      const latest = await this.#o.meetings.findLatest(ctx.tenant.id, meetingId);
      throw latest?.endReason === 'api' ? meetingForciblyEnded() : invalidMeetingIdentifier();
    }
    const createTime = params.get('createTime');
    if (createTime !== undefined && createTime !== String(meeting.createdAt)) throw mismatchCreateTime();
    const role = roleOf(meeting, params.get('role'), params.get('password'));
    const internalUserId = `w_${randomText(12)}`;
    const userId = checkLength('userID', params.get('userID') || internalUserId, 256);
    await this.#checkRoomForOneMore(meeting, userId);
    // Checked again: meetings stored before create checked it, and the tenant's may have been edited in the database.
    const logoutUrl = absoluteHttpUrl(meeting.createParams.logoutURL) ?? absoluteHttpUrl(settings.logoutUrl);
    const region = userRegion(params) || ctx.tenant.region;
    const issued = this.#o.joinTokens.issue(
      {
        tenantId: ctx.tenant.id,
        meetingId: meeting.id,
        room: meeting.room,
        fullName,
        role,
        userId,
        internalUserId,
        ...(logoutUrl ? { logoutUrl } : {}),
        ...(region ? { region } : {}),
      },
      ctx.now,
    );
    const url = `${ctx.meetingPageUrl}/r/${encodeURIComponent(meeting.room)}?join=${encodeURIComponent(issued.token)}`;
    // BBB: redirect unless the parameter is present and not "true".
    const redirect = params.get('redirect');
    if (redirect === undefined || redirect === '' || parseBoolean(redirect))
      return { kind: 'redirect', location: url };
    return xmlReply(
      joinXml({
        meetingId: meeting.id,
        internalUserId,
        authToken: randomText(12),
        sessionToken: issued.sessionId,
        url,
      }),
    );
  }

  async isMeetingRunning(ctx: CallContext): Promise<BbbReply> {
    const meeting = await this.#o.meetings.findActive(ctx.tenant.id, requireMeetingId(ctx.params));
    const live = meeting ? await this.#live(meeting) : undefined;
    return xmlReply(successXml([el('running', (live?.participants.length ?? 0) > 0)]));
  }

  async getMeetingInfo(ctx: CallContext): Promise<BbbReply> {
    const meetingId = requireMeetingId(ctx.params);
    const meeting = await this.#o.meetings.findLatest(ctx.tenant.id, meetingId);
    const visible =
      meeting && (meeting.endedAt === undefined || ctx.now - meeting.endedAt <= this.#o.endedMeetingInfoMs);
    if (!meeting || !visible) throw meetingNotFound();
    const live = meeting.endedAt === undefined ? await this.#live(meeting) : undefined;
    return xmlReply(successXml(meetingElements(meeting, live)));
  }

  async getMeetings(ctx: CallContext): Promise<BbbReply> {
    const meetings = await this.#o.meetings.listActive(ctx.tenant.id);
    if (meetings.length === 0) {
      return xmlReply(
        successXml([
          parent('meetings', []),
          ...messageElements('noMeetings', 'no meetings were found on this server'),
        ]),
      );
    }
    const rooms = await Promise.all(meetings.map((m) => this.#live(m)));
    return xmlReply(
      successXml([
        parent(
          'meetings',
          meetings.map((m, i) => parent('meeting', meetingElements(m, rooms[i]))),
        ),
      ]),
    );
  }

  async end(ctx: CallContext): Promise<BbbReply> {
    const meeting = await this.#o.meetings.findActive(ctx.tenant.id, requireMeetingId(ctx.params));
    if (!meeting) throw meetingNotRunning();
    // Newer BBB needs no password here (the checksum is the authority); if one is given it must match.
    const password = ctx.params.get('password');
    if (password !== undefined && password !== '' && password !== meeting.moderatorPw)
      throw invalidEndPassword();
    await endMeetingAndRoom(this.#o, meeting, ctx.now);
    return xmlReply(
      successXml(
        messageElements(
          'sentEndMeetingRequest',
          'A request to end the meeting was sent.  Please wait a few seconds, and then use the getMeetingInfo or isMeetingRunning API calls to verify that it was ended.',
        ),
      ),
    );
  }

  /**
   * BigBlueButton takes any logoutURL and answers SUCCESS; its client later goes wherever it points.
   * Here one that is not an absolute http(s) URL (`javascript:`, `data:`, a bare path) is dropped
   * and the call still succeeds, as a portal expects: the person then goes where the tenant's
   * `logoutUrl` says, or stays on the page.
   */
  #dropUnsafeLogoutUrl(params: Map<string, string>, meetingId: string): void {
    const given = params.get('logoutURL');
    if (given === undefined || given === '' || absoluteHttpUrl(given) !== undefined) return;
    params.delete('logoutURL');
    this.#o.log.warn('create: ignored a logoutURL that is not an absolute http(s) URL', {
      meetingId,
      logoutURL: given.slice(0, 200),
    });
  }

  /** Tells the runtime about a meeting just created; a refusal ends the meeting and fails the call. */
  async #start(ctx: CallContext, meeting: MeetingRecord): Promise<string> {
    try {
      await this.#o.runtime.ensureRoom({
        room: meeting.room,
        tenantId: ctx.tenant.id,
        region: ctx.tenant.region,
        meetingName: meeting.name,
        welcome: meeting.createParams.welcome ?? '',
        maxParticipants: meeting.maxParticipants,
        durationMinutes: meeting.durationMinutes,
        record: meeting.record,
        createParams: meeting.createParams,
      });
    } catch (error) {
      this.#o.log.error('the runtime refused a new meeting', { room: meeting.room, error });
      await this.#o.meetings.end(meeting.id, ctx.now, 'failed');
      throw internalError('Unable to create meeting on server.');
    }
    this.#o.events?.publish(meeting, meetingCreatedEvent(meeting, ctx.now));
    return createXml(meeting);
  }

  async #checkRoomForOneMore(meeting: MeetingRecord, userId: string): Promise<void> {
    if (meeting.maxParticipants <= 0) return;
    const live = await this.#live(meeting);
    const participants = live?.participants ?? [];
    // A user coming back (same userID) does not take a second seat, as in BBB.
    if (participants.some((p) => p.userId === userId)) return;
    if (participants.length >= meeting.maxParticipants) throw maxParticipantsReached();
  }

  async #live(meeting: MeetingRecord): Promise<LiveRoom | undefined> {
    try {
      return await this.#o.runtime.liveRoom(meeting.room);
    } catch (error) {
      this.#o.log.warn('could not read the live state of a meeting', { room: meeting.room, error });
      return undefined;
    }
  }
}

/** BBB's shape: 40 hex characters, a dash, the creation time in ms. The tenant keeps tenants apart. */
export function internalMeetingId(tenantId: string, meetingId: string, createdAt: number): string {
  return `${createHash('sha1').update(`${tenantId}\n${meetingId}`).digest('hex')}-${createdAt}`;
}

/**
 * The joining user's region, when the portal knows it (e.g. from the user's address): dotm's own
 * `region` parameter, or `userdata-region` in the form BigBlueButton passes per-user data. A name as
 * the nodes' `node.region` are named.
 */
function userRegion(params: ReadonlyMap<string, string>): string | undefined {
  const given = params.get('region') || params.get('userdata-region');
  if (!given) return undefined;
  if (!REGION_NAME.test(given))
    throw validationError('region must be 1 to 64 letters, digits, dots, dashes or underscores');
  return given;
}

function roleOf(meeting: MeetingRecord, role: string | undefined, password: string | undefined): Role {
  const asked = role?.toLowerCase();
  if (asked === 'moderator' || asked === 'viewer') return asked;
  if (password && password === meeting.moderatorPw) return 'moderator';
  if (password && password === meeting.attendeePw) return 'viewer';
  throw invalidJoinPassword();
}

function storedCreateParams(params: ReadonlyMap<string, string>, name: string): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const [key, value] of params) {
    if (NOT_STORED.has(key) || key.startsWith('meta_')) continue;
    if (Object.keys(stored).length >= MAX_STORED_PARAMS) break;
    stored[key] = checkLength(key, value, 4096);
  }
  if (!/^\d{1,10}$/.test(stored.voiceBridge ?? '')) stored.voiceBridge = String(70000 + randomInt(10000));
  if (stored.welcome) {
    // BigBlueButton's keywords; the text stays as the portal wrote it (the page shows it as text).
    stored.welcome = stored.welcome
      .replaceAll('%%CONFNAME%%', name)
      .replaceAll('%%CONFNUM%%', stored.voiceBridge)
      .replaceAll('%%DIALNUM%%', stored.dialNumber ?? '');
  }
  return stored;
}

function randomText(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

/** BBB gives a meeting created without passwords random ones, so legacy password joins still work. */
function randomPassword(): string {
  return randomText(8);
}
