import type { MeetingRecord } from '../db/MeetingRepository.ts';
import type { RecordingRecord } from '../db/RecordingRepository.ts';
import type { BbbError } from './BbbError.ts';
import { javaDateString } from './javaDate.ts';
import type { LiveRoom } from './MeetingRuntime.ts';
import { el, mapElements, parent, xmlDocument } from './xml.ts';

/*
 * The response documents, element for element in BigBlueButton's order (its FreeMarker templates
 * create-meeting, get-meeting-info, get-meetings, join-meeting, get-recordings).
 */

export function failureXml(error: BbbError): string {
  return xmlDocument([
    el('returncode', 'FAILED'),
    el('messageKey', error.messageKey),
    el('message', error.message),
  ]);
}

export function successXml(children: readonly string[]): string {
  return xmlDocument([el('returncode', 'SUCCESS'), ...children]);
}

export function messageElements(messageKey: string, message: string): string[] {
  return [el('messageKey', messageKey), el('message', message)];
}

export function createXml(meeting: MeetingRecord, messageKey = '', message = ''): string {
  return successXml([
    el('meetingID', meeting.externalId),
    el('internalMeetingID', meeting.id),
    el('parentMeetingID', 'bbb-none'),
    ...passwordElements(meeting),
    el('createTime', meeting.createdAt),
    el('voiceBridge', meeting.createParams.voiceBridge ?? ''),
    el('dialNumber', meeting.createParams.dialNumber ?? ''),
    el('createDate', javaDateString(meeting.createdAt)),
    el('hasUserJoined', meeting.startedAt !== undefined),
    el('duration', meeting.durationMinutes),
    el('hasBeenForciblyEnded', meeting.endReason === 'api'),
    el('messageKey', messageKey),
    el('message', message),
  ]);
}

/** The body of getMeetingInfo, and of each `<meeting>` of getMeetings. */
export function meetingElements(meeting: MeetingRecord, live: LiveRoom | undefined): string[] {
  const participants = meeting.endedAt === undefined ? (live?.participants ?? []) : [];
  const withAudio = participants.filter((p) => p.hasAudio).length;
  return [
    el('meetingName', meeting.name),
    el('meetingID', meeting.externalId),
    el('internalMeetingID', meeting.id),
    el('createTime', meeting.createdAt),
    el('createDate', javaDateString(meeting.createdAt)),
    el('voiceBridge', meeting.createParams.voiceBridge ?? ''),
    el('dialNumber', meeting.createParams.dialNumber ?? ''),
    ...passwordElements(meeting),
    el('running', meeting.endedAt === undefined && participants.length > 0),
    el('duration', meeting.durationMinutes),
    el('hasUserJoined', meeting.startedAt !== undefined),
    el('recording', meeting.record),
    el('hasBeenForciblyEnded', meeting.endReason === 'api'),
    el('startTime', meeting.createdAt),
    el('endTime', meeting.endedAt ?? 0),
    el('participantCount', participants.length),
    el('listenerCount', participants.length - withAudio),
    el('voiceParticipantCount', withAudio),
    el('videoCount', participants.filter((p) => p.hasVideo).length),
    el('maxUsers', meeting.maxParticipants),
    el('moderatorCount', participants.filter((p) => p.role === 'moderator').length),
    parent(
      'attendees',
      participants.map((p) =>
        parent('attendee', [
          el('userID', p.userId ?? p.participantId),
          el('fullName', p.fullName),
          el('role', p.role === 'moderator' ? 'MODERATOR' : 'VIEWER'),
          el('isPresenter', false),
          el('isListeningOnly', !p.hasAudio),
          el('hasJoinedVoice', p.hasAudio),
          el('hasVideo', p.hasVideo),
          el('clientType', 'HTML5'),
        ]),
      ),
    ),
    mapElements('metadata', meeting.metadata),
    el('isBreakout', false),
  ];
}

export function joinXml(fields: {
  meetingId: string;
  internalUserId: string;
  authToken: string;
  sessionToken: string;
  url: string;
}): string {
  return successXml([
    ...messageElements('successfullyJoined', 'You have joined successfully.'),
    el('meeting_id', fields.meetingId),
    el('user_id', fields.internalUserId),
    el('auth_token', fields.authToken),
    el('session_token', fields.sessionToken),
    el('guestStatus', 'ALLOW'),
    el('url', fields.url),
  ]);
}

export function recordingElement(recording: RecordingRecord): string {
  const lengthMinutes = Math.round((recording.endTime - recording.startTime) / 60_000);
  return parent('recording', [
    el('recordID', recording.recordId),
    el('meetingID', recording.externalMeetingId),
    el('internalMeetingID', recording.meetingId),
    el('name', recording.name),
    el('isBreakout', false),
    el('published', recording.published),
    el('state', recording.state),
    el('startTime', recording.startTime),
    el('endTime', recording.endTime),
    el('participants', recording.participants),
    el('rawSize', recording.sizeBytes),
    mapElements('metadata', recording.metadata),
    el('size', recording.sizeBytes),
    parent(
      'playback',
      recording.playback.map((format) =>
        parent('format', [
          el('type', format.type),
          el('url', format.url),
          el('processingTime', format.processingTimeMs),
          el('length', format.lengthMinutes || lengthMinutes),
        ]),
      ),
    ),
    parent('data', []),
  ]);
}

function passwordElements(meeting: MeetingRecord): string[] {
  return [
    ...(meeting.attendeePw ? [el('attendeePW', meeting.attendeePw)] : []),
    ...(meeting.moderatorPw ? [el('moderatorPW', meeting.moderatorPw)] : []),
  ];
}
