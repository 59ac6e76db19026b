import { AttendanceRepository } from '../db/AttendanceRepository.ts';
import type { Database } from '../db/Database.ts';
import { MeetingBanRepository } from '../db/MeetingBanRepository.ts';
import { type MeetingEndReason, type MeetingRecord, MeetingRepository } from '../db/MeetingRepository.ts';
import type { Logger } from '../log/Logger.ts';
import type { Role } from '../protocol/roomSignalling.ts';
import type { MeetingEvents } from './MeetingEvents.ts';
import type { LiveRoom, MeetingRuntime } from './MeetingRuntime.ts';
import { endMeeting, userOf } from './meetingEnding.ts';
import { userJoinedEvent, userLeftEvent } from './webhookEvents.ts';

export interface MeetingLifecycleOptions {
  db: Database;
  runtime: MeetingRuntime;
  log: Logger;
  /** A meeting everyone left ends after this long (BBB: meetingExpireWhenLastUserLeftInMinutes = 1). */
  emptyGraceMs?: number;
  /** A meeting nobody joined ends after this long (BBB: meetingExpireIfNoUserJoinedInMinutes = 5). */
  unjoinedExpiryMs?: number;
  /** Told of joins, leaves and ends (webhooks). */
  events?: MeetingEvents;
}

export interface Arrival {
  participantId: string;
  /** The portal's userID from the join token; the participant id for people who came another way. */
  userId: string;
  fullName: string;
  role: Role;
}

export interface EndedMeeting {
  meetingId: string;
  room: string;
  reason: MeetingEndReason;
}

/**
 * Keeps the meeting history true to what happens in the rooms: the room side reports arrivals and
 * departures, and a periodic sweep ends meetings that emptied, that nobody joined, or whose duration
 * ran out. Rooms that no portal created are not meetings and are ignored.
 */
export class MeetingLifecycle {
  readonly #meetings: MeetingRepository;
  readonly #attendance: AttendanceRepository;
  readonly #bans: MeetingBanRepository;
  readonly #runtime: MeetingRuntime;
  readonly #log: Logger;
  readonly #emptyGraceMs: number;
  readonly #unjoinedExpiryMs: number;
  readonly #events: MeetingEvents | undefined;

  constructor(options: MeetingLifecycleOptions) {
    this.#meetings = new MeetingRepository(options.db);
    this.#attendance = new AttendanceRepository(options.db);
    this.#bans = new MeetingBanRepository(options.db);
    this.#runtime = options.runtime;
    this.#log = options.log.child({ component: 'meeting-lifecycle' });
    this.#emptyGraceMs = options.emptyGraceMs ?? 60_000;
    this.#unjoinedExpiryMs = options.unjoinedExpiryMs ?? 5 * 60_000;
    this.#events = options.events;
  }

  /** Returns false when the room is not an active portal meeting. */
  async participantJoined(room: string, arrival: Arrival, at = Date.now()): Promise<boolean> {
    const meeting = await this.#meetings.findActiveByRoom(room);
    if (!meeting) return false;
    const opened = await this.#attendance.recordJoin({
      meetingId: meeting.id,
      tenantId: meeting.tenantId,
      participantId: arrival.participantId,
      userId: arrival.userId,
      fullName: arrival.fullName,
      role: arrival.role,
      joinedAt: at,
    });
    // Recorded already (by the room's previous home): its webhook went out then.
    if (!opened) return true;
    await this.#meetings.markStarted(meeting.id, at);
    await this.#meetings.notePeakUsers(meeting.id, await this.#attendance.countOpen(meeting.id));
    this.#events?.publish(
      meeting,
      userJoinedEvent(
        meeting,
        {
          internalUserId: arrival.participantId,
          externalUserId: arrival.userId,
          name: arrival.fullName,
          role: arrival.role,
        },
        at,
      ),
    );
    return true;
  }

  async participantLeft(
    room: string,
    participantId: string,
    reason: string,
    at = Date.now(),
  ): Promise<boolean> {
    const meeting = await this.#meetings.findActiveByRoom(room);
    if (!meeting) return false;
    if (!(await this.#attendance.recordLeave(meeting.id, participantId, at, reason))) return false;
    const removed = reason === 'removed';
    const told = this.#events !== undefined && (await this.#events.wants(meeting, 'user-left'));
    if (!removed && !told) return true;
    // The room forgot the person already; their userID is in the session just closed.
    const session = (await this.#attendance.listForMeeting(meeting.id)).findLast(
      (a) => a.participantId === participantId,
    );
    if (!session) return true;
    // BigBlueButton keeps a user a moderator removed out of the meeting, fresh join calls included.
    if (removed) await this.#bans.ban(meeting.id, session.userId, at);
    if (told) this.#events!.publish(meeting, userLeftEvent(meeting, userOf(session), at));
    return true;
  }

  /**
   * Brings a meeting's open attendance in line with who is in its room, as its home sees it. A
   * room's joins and leaves are recorded by its home a moment after they happen; when the home
   * dies in that moment (or hands the room over), the record is lost with it. The new home finds
   * here who is in the room without an open session (their join is recorded, told once) and who
   * has one but is gone (their leave is recorded as 'lost'). Only the room's home calls it.
   */
  async reconcile(room: string, live: LiveRoom, at = Date.now()): Promise<void> {
    const meeting = await this.#meetings.findActiveByRoom(room);
    if (!meeting) return;
    const sessions = await this.#attendance.listForMeeting(meeting.id);
    const open = new Set(sessions.filter((s) => s.leftAt === undefined).map((s) => s.participantId));
    const here = new Set(live.participants.map((p) => p.participantId));
    for (const p of live.participants) {
      if (open.has(p.participantId)) continue;
      const arrival = {
        participantId: p.participantId,
        userId: p.userId ?? p.participantId,
        fullName: p.fullName,
        role: p.role,
      };
      this.#log.warn('a join was not recorded (the room changed controllers): recorded now', {
        room,
        participantId: p.participantId,
      });
      await this.participantJoined(room, arrival, p.joinedAt ?? at);
    }
    for (const participantId of open) {
      if (here.has(participantId)) continue;
      this.#log.warn('a leave was not recorded (the room changed controllers): recorded now', {
        room,
        participantId,
      });
      await this.participantLeft(room, participantId, 'lost', at);
    }
  }

  /** Run every few seconds on each controller; ending is idempotent, so several may run at once. */
  async sweep(at = Date.now()): Promise<EndedMeeting[]> {
    const ended: EndedMeeting[] = [];
    for (const meeting of await this.#meetings.listAllActive()) {
      const reason = await this.#endReason(meeting, at);
      if (!reason) continue;
      const deps = { meetings: this.#meetings, attendance: this.#attendance, events: this.#events };
      if (!(await endMeeting(deps, meeting, at, reason))) continue;
      if (reason === 'duration') {
        try {
          await this.#runtime.endRoom(meeting.room);
        } catch (error) {
          this.#log.error('ending the room of a meeting out of time failed', { room: meeting.room, error });
        }
      }
      this.#log.info('meeting ended', { meetingId: meeting.id, room: meeting.room, reason });
      ended.push({ meetingId: meeting.id, room: meeting.room, reason });
    }
    return ended;
  }

  async #endReason(meeting: MeetingRecord, at: number): Promise<MeetingEndReason | undefined> {
    if (meeting.durationMinutes > 0 && at >= meeting.createdAt + meeting.durationMinutes * 60_000)
      return 'duration';
    if (meeting.startedAt === undefined) {
      return at >= meeting.createdAt + this.#unjoinedExpiryMs ? 'expired' : undefined;
    }
    let live: LiveRoom | undefined;
    try {
      live = await this.#runtime.liveRoom(meeting.room);
    } catch (error) {
      this.#log.warn('could not read the live state of a meeting', { room: meeting.room, error });
      return undefined;
    }
    if ((live?.participants.length ?? 0) > 0) return undefined;
    const emptySince = (await this.#attendance.lastLeftAt(meeting.id)) ?? meeting.startedAt;
    return at >= emptySince + this.#emptyGraceMs ? 'empty' : undefined;
  }
}
