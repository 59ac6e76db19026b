import type { MeetingRecord } from '../db/MeetingRepository.ts';
import type { WebhookEvent, WebhookEventId } from './webhookEvents.ts';

/**
 * Where the portal's meeting events go (webhooks). Publishing never waits for delivery and never
 * fails the meeting operation that caused it.
 */
export interface MeetingEvents {
  /** Whether anyone wants `eventId` of this meeting: lets a caller skip reading what only an event needs. */
  wants(meeting: MeetingRecord, eventId: WebhookEventId): Promise<boolean>;
  /** Hands the event over for delivery, after everything published before it. */
  publish(meeting: MeetingRecord, event: WebhookEvent): void;
}
