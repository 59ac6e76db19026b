import type { MeetingRecord } from '../db/MeetingRepository.ts';
import type { Tenant } from '../db/TenantRepository.ts';
import { PrometheusText, type Sample } from '../http/PrometheusText.ts';
import type { LiveRoom } from './MeetingRuntime.ts';

interface TenantCounts {
  meetings: number;
  participants: number;
  voice: number;
  video: number;
}

/**
 * The gauges BigBlueButton's Prometheus exporter (bigbluebutton-exporter) publishes, under its
 * names, so dashboards and alerts written for BigBlueButton work unchanged; one series per tenant.
 * Counted over the whole cluster: every active meeting in the shared database, and who is in its
 * room wherever the room is homed. dotm has no listen-only audio: a listener is a participant who
 * does not publish a microphone (as getMeetingInfo's listenerCount).
 */
export function renderMeetingMetrics(
  tenants: readonly Tenant[],
  meetings: readonly MeetingRecord[],
  live: ReadonlyMap<string, LiveRoom>,
): string {
  const counts = new Map<string, TenantCounts>();
  for (const tenant of tenants) counts.set(tenant.id, { meetings: 0, participants: 0, voice: 0, video: 0 });
  for (const meeting of meetings) {
    const of = counts.get(meeting.tenantId);
    if (!of) continue; // its tenant was removed while the meeting ran
    of.meetings++;
    for (const participant of live.get(meeting.room)?.participants ?? []) {
      of.participants++;
      if (participant.hasAudio) of.voice++;
      if (participant.hasVideo) of.video++;
    }
  }
  const text = new PrometheusText();
  const gauge = (name: string, help: string, pick: (c: TenantCounts) => number) =>
    text.gauge(
      name,
      help,
      tenants.map((tenant): Sample => [{ tenant: tenant.name }, pick(counts.get(tenant.id)!)]),
    );
  gauge('bbb_meetings', 'Active meetings (created and not ended), per tenant.', (c) => c.meetings);
  gauge('bbb_meetings_participants', 'Participants in active meetings, per tenant.', (c) => c.participants);
  gauge(
    'bbb_meetings_listeners',
    'Participants in active meetings who do not publish a microphone, per tenant.',
    (c) => c.participants - c.voice,
  );
  gauge(
    'bbb_meetings_voice_participants',
    'Participants in active meetings who publish a microphone, per tenant.',
    (c) => c.voice,
  );
  gauge(
    'bbb_meetings_video_participants',
    'Participants in active meetings who publish a camera, per tenant.',
    (c) => c.video,
  );
  return text.toString();
}
