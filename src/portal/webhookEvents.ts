import type { MeetingRecord } from '../db/MeetingRepository.ts';
import type { Role } from '../protocol/roomSignalling.ts';
import { javaDateString } from './javaDate.ts';

/*
 * The events dotm sends to webhooks, in bbb-webhooks' "mapped" JSON shape (JSON:API-like:
 * `{ data: { type: 'event', id, attributes: { meeting, user? }, event: { ts } } }`), attribute names
 * in kebab case as bbb-webhooks writes them, so receivers written for BigBlueButton parse them as is.
 */

/** The events dotm emits; bbb-webhooks has many more (chat, polls, recordings…) that dotm does not. */
export const WEBHOOK_EVENT_IDS = ['meeting-created', 'meeting-ended', 'user-joined', 'user-left'] as const;

export type WebhookEventId = (typeof WEBHOOK_EVENT_IDS)[number];

export interface WebhookEvent {
  data: {
    type: 'event';
    id: WebhookEventId;
    attributes: Record<string, unknown>;
    event: { ts: number };
  };
}

/** A person in a meeting as events name them. */
export interface EventUser {
  /** BigBlueButton's internal user id; dotm's participant id. */
  internalUserId: string;
  /** The portal's userID from the join call. */
  externalUserId: string;
  name: string;
  role: Role;
}

export function meetingCreatedEvent(meeting: MeetingRecord, ts: number): WebhookEvent {
  return event('meeting-created', ts, {
    meeting: {
      ...meetingIds(meeting),
      name: meeting.name,
      'is-breakout': false,
      'parent-id': 'bbb-none',
      duration: meeting.durationMinutes,
      'create-time': meeting.createdAt,
      'create-date': javaDateString(meeting.createdAt),
      'moderator-pass': meeting.moderatorPw,
      'viewer-pass': meeting.attendeePw,
      record: meeting.record,
      'voice-conf': meeting.createParams.voiceBridge ?? '',
      'dial-number': meeting.createParams.dialNumber ?? '',
      'max-users': meeting.maxParticipants,
      metadata: meeting.metadata,
    },
  });
}

export function meetingEndedEvent(meeting: MeetingRecord, ts: number): WebhookEvent {
  return event('meeting-ended', ts, { meeting: meetingIds(meeting) });
}

export function userJoinedEvent(meeting: MeetingRecord, user: EventUser, ts: number): WebhookEvent {
  return event('user-joined', ts, {
    meeting: meetingIds(meeting),
    user: {
      'internal-user-id': user.internalUserId,
      'external-user-id': user.externalUserId,
      name: user.name,
      role: user.role === 'moderator' ? 'MODERATOR' : 'VIEWER',
      // bbb-webhooks sends this one as a string.
      presenter: 'false',
    },
  });
}

export function userLeftEvent(meeting: MeetingRecord, user: EventUser, ts: number): WebhookEvent {
  return event('user-left', ts, {
    meeting: meetingIds(meeting),
    user: { 'internal-user-id': user.internalUserId, 'external-user-id': user.externalUserId },
  });
}

function meetingIds(meeting: MeetingRecord): Record<string, string> {
  return { 'internal-meeting-id': meeting.id, 'external-meeting-id': meeting.externalId };
}

function event(id: WebhookEventId, ts: number, attributes: Record<string, unknown>): WebhookEvent {
  return { data: { type: 'event', id, attributes, event: { ts } } };
}
