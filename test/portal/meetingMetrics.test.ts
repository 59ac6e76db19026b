import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MeetingRecord } from '../../src/db/MeetingRepository.ts';
import type { Tenant } from '../../src/db/TenantRepository.ts';
import type { LiveParticipant, LiveRoom } from '../../src/portal/MeetingRuntime.ts';
import { renderMeetingMetrics } from '../../src/portal/meetingMetrics.ts';

const tenant = (id: string, name: string) => ({ id, name }) as Tenant;
const meeting = (id: string, tenantId: string) => ({ id, tenantId, room: `room-${id}` }) as MeetingRecord;
const person = (participantId: string, hasAudio: boolean, hasVideo: boolean): LiveParticipant => ({
  participantId,
  fullName: participantId,
  role: 'viewer',
  hasAudio,
  hasVideo,
});

test('bigbluebutton-exporter’s gauges per tenant, every tenant listed, labels escaped', () => {
  const live = new Map<string, LiveRoom>([
    [
      'room-m1',
      { participants: [person('a', true, true), person('b', true, false), person('c', false, false)] },
    ],
    ['room-m3', { participants: [person('d', false, true)] }],
  ]);
  const text = renderMeetingMetrics(
    [tenant('t1', 'uni-a'), tenant('t2', 'Uni "B"'), tenant('t3', 'idle')],
    // m2 was created but nobody came; m9 belongs to a tenant removed meanwhile.
    [meeting('m1', 't1'), meeting('m2', 't1'), meeting('m3', 't2'), meeting('m9', 'gone')],
    live,
  );
  const value = (name: string, tenantLabel: string) =>
    text
      .split('\n')
      .find((line) => line.startsWith(`${name}{tenant="${tenantLabel}"} `))
      ?.split(' ')
      .at(-1);
  assert.equal(value('bbb_meetings', 'uni-a'), '2');
  assert.equal(value('bbb_meetings_participants', 'uni-a'), '3');
  assert.equal(value('bbb_meetings_voice_participants', 'uni-a'), '2');
  assert.equal(value('bbb_meetings_listeners', 'uni-a'), '1');
  assert.equal(value('bbb_meetings_video_participants', 'uni-a'), '1');
  assert.equal(value('bbb_meetings', String.raw`Uni \"B\"`), '1');
  assert.equal(value('bbb_meetings_video_participants', String.raw`Uni \"B\"`), '1');
  assert.equal(value('bbb_meetings', 'idle'), '0');
  assert.match(text, /^# TYPE bbb_meetings gauge$/m);
  assert.doesNotMatch(text, /gone/);
});
