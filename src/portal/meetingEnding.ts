import type { AttendanceRecord, AttendanceRepository } from '../db/AttendanceRepository.ts';
import type { MeetingEndReason, MeetingRecord, MeetingRepository } from '../db/MeetingRepository.ts';
import type { Logger } from '../log/Logger.ts';
import type { MeetingEvents } from './MeetingEvents.ts';
import type { MeetingRuntime } from './MeetingRuntime.ts';
import { type EventUser, meetingEndedEvent, userLeftEvent } from './webhookEvents.ts';

export interface MeetingEndingDeps {
  meetings: MeetingRepository;
  attendance: AttendanceRepository;
  events?: MeetingEvents;
}

/**
 * Ends a meeting in the history (the end call, or the sweep): closes who was still in it and tells
 * the hooks, as BigBlueButton does when it ejects everyone, a user-left per person then
 * meeting-ended. False when it had already ended (another call or controller got there first).
 */
export async function endMeeting(
  deps: MeetingEndingDeps,
  meeting: MeetingRecord,
  at: number,
  reason: MeetingEndReason,
): Promise<boolean> {
  if (!(await deps.meetings.end(meeting.id, at, reason))) return false;
  // Read after ending: from now on no join is recorded into this meeting, so none is missed here.
  const stillIn =
    deps.events && (await deps.events.wants(meeting, 'user-left'))
      ? (await deps.attendance.listForMeeting(meeting.id)).filter((a) => a.leftAt === undefined)
      : [];
  await deps.attendance.closeAll(meeting.id, at, 'meeting-ended');
  if (deps.events) {
    for (const session of stillIn) deps.events.publish(meeting, userLeftEvent(meeting, userOf(session), at));
    deps.events.publish(meeting, meetingEndedEvent(meeting, at));
  }
  return true;
}

/**
 * BigBlueButton's end: the meeting ends in the history (hooks told) and its room ends for everyone
 * in it, wherever it is homed. False when it had already ended. A room that cannot be reached is
 * logged: the meeting is over all the same, and its participants can no longer join it.
 */
export async function endMeetingAndRoom(
  deps: MeetingEndingDeps & { runtime: MeetingRuntime; log: Logger },
  meeting: MeetingRecord,
  at: number,
): Promise<boolean> {
  const ended = await endMeeting(deps, meeting, at, 'api');
  try {
    await deps.runtime.endRoom(meeting.room);
  } catch (error) {
    deps.log.error('ending the room of an ended meeting failed', { room: meeting.room, error });
  }
  return ended;
}

export function userOf(session: AttendanceRecord): EventUser {
  return {
    internalUserId: session.participantId,
    externalUserId: session.userId,
    name: session.fullName,
    role: session.role,
  };
}
